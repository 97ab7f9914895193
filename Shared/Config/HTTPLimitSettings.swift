import SpasmErrors

/// The HTTP servers' connection limits (`manual.*`, `sensor.*`: `httpMaxConnections`,
/// `httpRequestSeconds`, `httpIdleSeconds`), checked when the configuration loads so that a
/// wrong value stops the service with a sentence instead of a server with no deadline.
enum HTTPLimitSettings {
    static let secondsRange = 1.0...3600.0
    static let connectionsRange = 1...100_000

    static func check(_ configuration: Configuration) throws(SpasmError) {
        let values: [(String, Int, Double, Double)] = [
            ("manual", configuration.manual.httpMaxConnections, configuration.manual.httpRequestSeconds, configuration.manual.httpIdleSeconds),
            ("sensor", configuration.sensor.httpMaxConnections, configuration.sensor.httpRequestSeconds, configuration.sensor.httpIdleSeconds),
        ]
        for (section, connections, request, idle) in values {
            guard connectionsRange.contains(connections) else {
                throw SpasmError(
                    .configuration,
                    "\(section).httpMaxConnections is \(connections); allowed are \(connectionsRange.lowerBound)–\(connectionsRange.upperBound) connections"
                )
            }
            for (name, value) in [("httpRequestSeconds", request), ("httpIdleSeconds", idle)] where !secondsRange.contains(value) {
                throw SpasmError(.configuration, "\(section).\(name) is \(value); allowed are 1–3600 seconds")
            }
        }
    }
}
