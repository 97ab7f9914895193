import ArgumentParser
import Foundation
import SpasmConfig
import SpasmErrors
import SpasmRuntime
import SpasmSchema

struct SensorsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the sensors seen (the default).")

    @OptionGroup var options: CommonOptions

    @Flag(help: "Print the list as JSON (SensorStatus objects, docs/wire-format.md).")
    var json = false

    func run() async throws {
        try await SpasmError.reportingSensors {
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
            let jumps =
                (s.clockJumps ?? 0) == 0
                ? "0"
                : "\(s.clockJumps ?? 0) (last \(String(format: "%+.1f", s.lastClockJumpSeconds ?? 0)) s)"
            let name = s.name.map { "\($0) (\(s.sensorId))" } ?? s.sensorId
            let kind = "\((s.device ?? .other).rawValue) (\(s.kind.rawValue))"
            let site = s.placement.rawValue + (s.sentPlacement.map { " (it sends \($0.rawValue))" } ?? "")
            let battery = s.battery.map { String(format: "%.0f%%", $0) } ?? "-"
            rows.append([
                name, s.person ?? "-", kind, site, battery, String(format: "%.0f Hz", s.sampleRate),
                state, String(format: "%.0fs ago", max(0, now - s.lastFrameTime)), "\(s.framesAccepted)",
                "\(s.framesRejected)", lossText, jumps,
            ])
        }
        return TextTable.render(rows)
    }
}
