import ArgumentParser
import Foundation
import SpasmBus
import SpasmRuntime
import SpasmSchema
import ZeroMQ

/// `spasmwatch tail [PREFIX]`: the live bus, filtered by topic prefix.
struct TailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Show live messages on the bus whose topic starts with PREFIX (all when omitted).")

    @OptionGroup var options: CommonOptions

    @Argument(help: "Topic prefix, e.g. heartbeat, sensor., manual., episode., alert.")
    var prefix: String = ""

    @Option(help: "Exit after this many messages.")
    var count: Int?

    @Option(help: "Exit after this many seconds.")
    var seconds: Double?

    @Flag(help: "Print whole envelopes as JSON, one per line.")
    var json = false

    func run() async throws {
        let (home, configuration) = try options.load()
        let address = try BusAddress.resolve(home: home, configuration: configuration)
        let context = ZMQContext()
        let subscriber = try BusSubscriber(context: context, address: address, prefixes: [prefix])
        let (count, seconds, json) = (self.count, self.seconds, self.json)
        if !json {
            FileHandle.standardError.write(Data("tailing '\(prefix)' on \(address.subscribe) (Ctrl-C to stop)\n".utf8))
        }
        // Runs on its own thread: printing blocks, and Ctrl-C simply ends the process.
        await SocketThread.run(name: "tail") {
            var printed = 0
            let deadline = seconds.map { Date().addingTimeInterval($0) }
            while true {
                if let deadline, Date() >= deadline { break }
                for message in subscriber.next(timeout: 0.1) ?? [] {
                    print(json ? String(decoding: message.envelope, as: UTF8.self) : TailCommand.line(for: message))
                    fflush(nil)  // flush stdout so pipes see each line at once
                    printed += 1
                    if let count, printed >= count { break }
                }
                if let count, printed >= count { break }
            }
            subscriber.close()
            context.terminate()
        }
    }

    static let timeFormat: DateFormatter = {
        let f = DateFormatter()
        f.dateFormat = "HH:mm:ss.SSS"
        return f
    }()

    static func line(for message: BusMessage) -> String {
        let header = message.header
        let time = timeFormat.string(from: Date(timeIntervalSince1970: header.time))
        var body =
            FlatJSON.withMembers(message.envelope) { $0.value("body").map { String(decoding: $0.jsonBytes, as: UTF8.self) } }
            ?? String(decoding: message.envelope, as: UTF8.self)
        if body.count > 160 { body = String(body.prefix(157)) + "..." }
        var line = "\(time) \(message.topic) \(header.source)#\(header.seq) \(body)"
        if let payload = message.payload { line += " +\(payload.count) B" }
        return line
    }
}
