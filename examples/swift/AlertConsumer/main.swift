// A custom alert consumer in Swift: subscribes to raw `alert.` messages on the SpasmWatch
// bus and prints one line per alert (or the whole envelope with --json).
// See docs/custom-alert-consumer.md.
//
//   swift run alert-consumer-example [--json] [--count N] [--home DIR]
import Foundation
import SpasmBus
import SpasmConfig
import SpasmSchema
import ZeroMQ

/// Command-line options, read by hand to keep the example short.
struct Options {
    var json = false
    var count: Int?
    var home: String?

    init(_ arguments: [String]) {
        var rest = arguments[...]
        while let arg = rest.popFirst() {
            switch arg {
            case "--json": json = true
            case "--count": count = rest.popFirst().flatMap { Int($0) }
            case "--home": home = rest.popFirst()
            default:
                FileHandle.standardError.write(Data("usage: alert-consumer-example [--json] [--count N] [--home DIR]\n".utf8))
                exit(2)
            }
        }
    }
}

/// Connects, subscribes to `alert.`, prints alerts. Runs on the main thread, which owns
/// the subscriber; the socket itself lives on the subscriber's own thread.
enum AlertConsumer {
    static func main() throws {
        let options = Options(Array(CommandLine.arguments.dropFirst()))
        // The same home and configuration every SpasmWatch program uses.
        let home = options.home.map { DataHome(root: URL(fileURLWithPath: $0)) } ?? DataHome.resolve()
        let configuration = try ConfigurationLoader.load(home: home)
        let address = try BusAddress.resolve(home: home, configuration: configuration)
        let context = ZMQContext()
        let subscriber = try BusSubscriber(context: context, address: address, prefixes: [Topic.alertPrefix])
        FileHandle.standardError.write(Data("listening for alerts on \(address.subscribe)\n".utf8))

        // Reliable senders re-send an alert (same id) until storage confirms it: show each once.
        var seen = Set<UUID>()
        var printed = 0
        while options.count.map({ printed < $0 }) ?? true {
            for message in subscriber.next(timeout: 0.5) ?? [] {
                guard let envelope = try? message.decode(Alert.self) else { continue }
                let alert = envelope.body
                guard seen.insert(alert.alertId).inserted else { continue }
                if options.json {
                    print(String(decoding: message.envelope, as: UTF8.self))
                } else {
                    let time = Date(timeIntervalSince1970: alert.at).formatted(date: .omitted, time: .standard)
                    print(
                        "\(message.topic) \(time) person=\(envelope.header.person) kind=\(alert.kind) "
                            + "site=\(alert.site?.rawValue ?? "-") id=\(alert.alertId): \(alert.title) — \(alert.message)")
                }
                fflush(nil)  // flush stdout so a pipe sees each line at once
                printed += 1
                if let count = options.count, printed >= count { break }
            }
        }
        subscriber.close()
        context.terminate()
    }
}

do {
    try AlertConsumer.main()
} catch {
    FileHandle.standardError.write(Data("alert-consumer-example: \(error)\n".utf8))
    exit(1)
}
