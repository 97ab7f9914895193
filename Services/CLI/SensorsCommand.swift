import ArgumentParser
import Foundation
import SpasmConfig
import SpasmRuntime
import SpasmSchema

/// `spasmwatch sensors`: every sensor sensor ingestion knows, whether it is worn (watched
/// when silent) or a test sensor, and its health; `spasmwatch sensors forget ID` removes one.
/// Both ask the running spasmwatch-sensor on its local endpoint (`Endpoints.sensorRequests`).
struct SensorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensors",
        abstract: "List the devices seen (kind, where worn, battery, rate, last seen, loss); rename, move or forget one.",
        discussion: """
            A sensor is worn once it has sent for sensor.wornAfterSeconds (default 300) or is named \
            in sensor.worn; only worn sensors that are not test sensors raise "Sensor X is silent". \
            Test sensors are replays, simulations and the examples (their frames say "test": true). \
            Sensors unseen for a day are forgotten by themselves. `rename ID NAME` gives a device a \
            name of your own; `move ID SITE` says where it is worn now (its frames are then \
            published at that site, whatever the device itself sends).
            """,
        subcommands: [SensorsListCommand.self, SensorsRenameCommand.self, SensorsMoveCommand.self, SensorsForgetCommand.self],
        defaultSubcommand: SensorsListCommand.self)
}

/// The request, and the sentence when sensor ingestion is not there to answer.
enum SensorsConnection {
    static func send(_ request: SensorRequest, options: CommonOptions) async throws -> SensorReply {
        let (home, configuration) = try options.load()
        let endpoint = Endpoints(home: home, configuration: configuration).sensorRequests
        let reply: SensorReply
        do {
            reply = try await RequestClient<SensorRequest, SensorReply>(context: ProcessContext.shared, endpoint: endpoint).ask(request)
        } catch {
            if case .badReply(_, let why) = error { throw SensorsFailure("unreadable reply from spasmwatch-sensor: \(why)") }
            throw SensorsFailure("spasmwatch-sensor is not answering at \(endpoint) (home \(home.root.path)): is it running? Start it with deploy/stack up")
        }
        guard reply.ok else { throw SensorsFailure(reply.error ?? "spasmwatch-sensor refused the request") }
        return reply
    }
}

struct SensorsFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }

    /// Prints the failure as one line on stderr, exit 1.
    static func reporting(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as SensorsFailure {
            FileHandle.standardError.write(Data("spasmwatch: \(failure.description)\n".utf8))
            throw ExitCode(1)
        }
    }
}

struct SensorsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the sensors seen (the default).")

    @OptionGroup var options: CommonOptions

    @Flag(help: "Print the list as JSON (SensorStatus objects, docs/wire-format.md).")
    var json = false

    func run() async throws {
        try await SensorsFailure.reporting {
            let reply = try await SensorsConnection.send(SensorRequest(op: .list), options: options)
            let sensors = reply.sensors ?? []
            let (home, configuration) = try options.load()
            let loss = await FrameLoss.fetch(accepted: reply.acceptedFrames ?? [:], home: home, configuration: configuration)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
                print(String(decoding: try encoder.encode(sensors), as: UTF8.self))
                return
            }
            if sensors.isEmpty {
                print("No sensors: none has sent a frame in the last day.")
                return
            }
            print(Self.table(sensors, now: Date().timeIntervalSince1970, loss: loss))
            let watched = sensors.filter(\.watched).count
            print("")
            print("\(sensors.count) sensor(s), \(watched) worn: only worn sensors that are not test sensors raise \"sensor is silent\".")
            print("Remove one no longer used: spasmwatch sensors forget ID")
            if loss.stored == nil {
                print("Frames lost on the way to storage: unknown (spasmwatch-store is not answering).")
            }
            let known = Set(sensors.map(\.sensorId))
            for line in loss.losses where !known.contains(line.sensorId) {
                print("LOSS: \(line.sensorId) (forgotten since): \(line.lost) of \(line.accepted) frames accepted were never stored")
            }
        }
    }

    static func table(_ sensors: [SensorStatus], now: Double, loss: FrameLoss? = nil) -> String {
        var rows = [["DEVICE", "PERSON", "KIND", "WORN AT", "BATTERY", "RATE", "STATE", "LAST SEEN", "ACCEPTED", "REJECTED", "LOSS", "CLOCK JUMPS"]]
        for s in sensors {
            let state: String
            if s.test == true {
                state = "test"
            } else if s.worn == true {
                state = "worn"
            } else {
                let sent = max(0, s.lastFrameTime - (s.sendingSince ?? s.lastFrameTime))
                state = "not yet worn (\(Int(sent)) s sent)"
            }
            var lossParts: [String] = []
            if let lost = loss?.lost(s.sensorId), lost > 0 { lossParts.append("\(lost) frames not stored") }
            if s.samplesLost > 0 { lossParts.append("\(s.samplesLost) samples in gaps") }
            let lossText = lossParts.isEmpty ? "0" : lossParts.joined(separator: "; ")
            let jumps = (s.clockJumps ?? 0) == 0 ? "0"
                : "\(s.clockJumps ?? 0) (last \(String(format: "%+.1f", s.lastClockJumpSeconds ?? 0)) s)"
            let name = s.name.map { "\($0) (\(s.sensorId))" } ?? s.sensorId
            let kind = "\((s.device ?? .other).rawValue) (\(s.kind.rawValue))"
            let site = s.placement.rawValue + (s.sentPlacement.map { " (it sends \($0.rawValue))" } ?? "")
            let battery = s.battery.map { String(format: "%.0f%%", $0) } ?? "-"
            rows.append([name, s.person ?? "-", kind, site, battery, String(format: "%.0f Hz", s.sampleRate),
                         state, String(format: "%.0fs ago", max(0, now - s.lastFrameTime)), "\(s.framesAccepted)",
                         "\(s.framesRejected)", lossText, jumps])
        }
        return TextTable.render(rows)
    }
}

struct SensorsForgetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Forget a sensor: it no longer appears or raises an alert (if it sends again, it is new).")

    @Argument(help: "The sensor's id, as `spasmwatch sensors` shows it.")
    var sensorId: String

    @OptionGroup var options: CommonOptions

    func run() async throws {
        try await SensorsFailure.reporting {
            let reply = try await SensorsConnection.send(SensorRequest(op: .forget, sensorId: sensorId), options: options)
            let what = reply.sensors?.first.map { " (\($0.kind.rawValue) at \($0.placement.rawValue), \($0.framesAccepted) frames)" } ?? ""
            print("forgot sensor \(sensorId)\(what)")
        }
    }
}

struct SensorsRenameCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rename",
        abstract: "Give a device a name of your own (an empty name clears it).")

    @Argument(help: "The device's id, as `spasmwatch sensors` shows it.")
    var sensorId: String

    @Argument(help: "The name, at most 40 characters, e.g. \"My phone\".")
    var name: String

    @OptionGroup var options: CommonOptions

    func run() async throws {
        try await SensorsFailure.reporting {
            let reply = try await SensorsConnection.send(SensorRequest(op: .rename, sensorId: sensorId, name: name), options: options)
            let given = reply.sensors?.first?.name
            print(given.map { "renamed \(sensorId) to \"\($0)\"" } ?? "cleared the name of \(sensorId)")
        }
    }
}

struct SensorsMoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "move",
        abstract: "Say where a device is worn now: its frames are published at that body site from now on.")

    @Argument(help: "The device's id, as `spasmwatch sensors` shows it.")
    var sensorId: String

    @Argument(help: "The body site, e.g. left-forearm, right-thigh (\(BodySite.allowedList)).")
    var site: String

    @OptionGroup var options: CommonOptions

    func run() async throws {
        try await SensorsFailure.reporting {
            let reply = try await SensorsConnection.send(SensorRequest(op: .move, sensorId: sensorId, placement: site), options: options)
            print("moved \(sensorId) to \(reply.sensors?.first?.placement.rawValue ?? site)")
        }
    }
}
