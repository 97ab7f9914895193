import ArgumentParser

struct BenchBusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bus", abstract: "Bus throughput beside raw libzmq.")
    func run() async throws {}
}
