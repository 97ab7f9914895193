import ArgumentParser
import Foundation
import SpasmBus
import SpasmConfig
import SpasmRuntime
import SpasmSchema
import SpasmSimulation

/// `spasmwatch-sensor simulate`: realistic simulated wearables sent to a running
/// `spasmwatch-sensor`, printing each injected spasm, clonus, tonic spasm and fall.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Send simulated IMU/EMG sensors (walking, gestures, quiet, injected events) to spasmwatch-sensor.")

    @OptionGroup var options: CommonOptions

    @Option(help: "imu, emg or mixed.")
    var kind: String = "mixed"

    @Option(help: "How many sensors.")
    var sensors: Int = 2

    @Option(help: "Sample rate in Hz (default: 100 for imu, 1000 for emg).")
    var rate: Double?

    @Option(help: "Seconds of signal to send (default: until stopped).")
    var duration: Double?

    @Option(help: "1 = real time, 10 = ten times faster, max = as fast as ingestion takes.")
    var speed: String = "1"

    @Option(help: "Scenario: demo (events every ~20–60 s), confounders (no events), quiet.")
    var scenario: String = "demo"

    @Option(help: "Random seed (the same seed gives the same signal and events).")
    var seed: UInt64 = 1

    @Option(help: "Sensor id prefix.")
    var prefix: String = "sim"

    func run() async throws {
        let (home, configuration) = try options.load()
        let endpoints = Endpoints(home: home, configuration: configuration)
        let security = endpoints.usesCurve ? try BusSecurity.load(home: home, key: ServiceName.keyName(ServiceName.sensor)) : nil
        let speedValue: Double?
        if speed == "max" {
            speedValue = nil
        } else {
            guard let s = Double(speed), s > 0 else { throw ValidationError("--speed must be a positive number or 'max'") }
            speedValue = s
        }
        if duration == nil, speedValue.map({ $0 > 1 }) ?? true {
            throw ValidationError(
                "--speed \(speed) needs --duration: a signal sent faster than real time is dated in the past so that it ends now (ingestion refuses samples dated more than 10 minutes ahead)"
            )
        }
        guard ["imu", "emg", "mixed"].contains(kind) else { throw ValidationError("--kind must be imu, emg or mixed") }
        let imuSites: [(BodySite, SimulatedPlacement, String)] = [
            (.rightAnkle, .ankle, "right"), (.leftWrist, .wrist, "left"),
            (.leftAnkle, .ankle, "left"), (.rightWrist, .wrist, "right"),
        ]
        let emgSites: [(BodySite, SimulatedPlacement, String)] = [
            (.leftCalf, .calf, "left"), (.rightCalf, .calf, "right"),
            (.leftQuadriceps, .quadriceps, "left"),
        ]
        var list: [SimulatedSensor] = []
        for i in 0..<max(1, sensors) {
            let isIMU = kind == "imu" || (kind == "mixed" && i % 2 == 0)
            let simKind: SensorKind = isIMU ? .imu : .emg
            var s: SimulationScenario
            switch scenario {
            case "confounders": s = .confounders(kind: simKind, seed: seed &+ UInt64(i))
            case "quiet": s = SimulationScenario(kind: simKind, seed: seed &+ UInt64(i), eventsPerHour: .none, confounders: .quiet)
            case "demo": s = .demo(kind: simKind, seed: seed &+ UInt64(i))
            default: throw ValidationError("--scenario must be demo, confounders or quiet")
            }
            let rateValue = rate ?? (isIMU ? 100 : 1000)
            guard simKind.supportedRates.contains(rateValue) else {
                throw ValidationError(
                    "--rate \(rateValue) is outside \(Int(simKind.supportedRates.lowerBound))–\(Int(simKind.supportedRates.upperBound)) Hz for \(simKind.rawValue)"
                )
            }
            s.sampleRate = rateValue
            s.durationSeconds = duration
            let site = isIMU ? imuSites[(i / 2) % imuSites.count] : emgSites[(i / 2) % emgSites.count]
            s.placement = site.1
            s.side = site.2
            list.append(
                SimulatedSensor(
                    sensorId: "\(prefix)-\(i)-\(site.0.rawValue)", placement: site.0, scenario: s,
                    frameSamples: max(1, Int(rateValue / (isIMU ? 4 : 10)))))
        }
        for s in list {
            print("sensor \(s.sensorId): \(s.scenario.kind.rawValue) at \(s.placement.rawValue), \(Int(s.scenario.sampleRate)) Hz")
        }
        let stop = StopFlag()
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT)
        source.setEventHandler { stop.set() }
        source.resume()
        let sent = await SimulationRunner.run(
            sensors: list, endpoint: endpoints.sensorProducers, security: security,
            speed: speedValue, stop: stop
        ) { line in
            print(line)
            fflush(nil)
        }
        print("sent " + sent.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value) frames" }.joined(separator: ", "))
    }
}
