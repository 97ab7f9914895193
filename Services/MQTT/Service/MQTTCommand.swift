import ArgumentParser
import SpasmConfig
import SpasmRuntime

/// `spasmwatch-mqtt`: SpasmWatch in Home Assistant over MQTT (discovery, events, states),
/// off unless `mqtt.url` is set.
@main
struct MQTTCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasmwatch-mqtt",
        abstract: "Publish SpasmWatch to Home Assistant over MQTT: discovery configs, spasm and fall events, states (needs mqtt.url).")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        try await ServiceEnvironment.main(service: ServiceName.mqtt, instance: "mqtt", options: options) { environment in
            try await MQTTService.build(environment: environment)
        }
    }
}
