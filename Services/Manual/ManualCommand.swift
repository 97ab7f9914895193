import ArgumentParser
import SpasmConfig
import SpasmDiary
import SpasmRuntime

/// `spasmwatch-manual`: the spasm diary. Takes entries from the CLI (ZeroMQ REQ/REP on
/// `Endpoints.manualRequests`) and from the phone page and JSON API (HTTP), validates them,
/// writes each to the durable outbox before answering "saved", and publishes it on
/// `manual.entry` until storage's stored receipt names it.
@main
struct ManualCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spasmwatch-manual",
        abstract: "Manual ingestion: the spasm diary (CLI requests, the phone page, the JSON API).")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        try await ServiceEnvironment.main(service: ServiceName.manual, instance: DiaryOutbox.source, options: options) { environment in
            try await ManualService.build(environment: environment)
        }
    }
}
