import Foundation

/// Where every service and the CLI find each other, derived from the data home and the
/// configuration, so nobody needs flags.
public struct Endpoints: Sendable, Equatable {
    /// Publishers connect here (the broker's XSUB side).
    public var busPublish: String
    /// Subscribers connect here (the broker's XPUB side).
    public var busSubscribe: String
    /// The storage query endpoint (REQ/REP, JSON).
    public var storeQuery: String
    /// External sensor producers connect here (REQ/REP, a reply per frame).
    public var sensorProducers: String
    /// The manual service's local request endpoint (the CLI's diary entries).
    public var manualRequests: String
    /// Sensor ingestion's local request endpoint (`spasmwatch sensors`: list, forget).
    public var sensorRequests: String
    public var sensorHTTP: String
    public var manualHTTP: String
    /// True when endpoints are tcp and need CURVE.
    public var usesCurve: Bool

    public init(home: DataHome, configuration: Configuration) {
        let bus = configuration.bus
        let run = home.runDirectory(bus).path
        if bus.transport == .tcp {
            let host = bus.tcpHost
            busPublish = "tcp://\(host):\(bus.tcpPublishPort)"
            busSubscribe = "tcp://\(host):\(bus.tcpSubscribePort)"
            sensorProducers = "tcp://\(host):\(configuration.sensor.producerTcpPort)"
            usesCurve = true
        } else {
            busPublish = "ipc://\(run)/bus-in.sock"
            busSubscribe = "ipc://\(run)/bus-out.sock"
            sensorProducers = "ipc://\(run)/sensor-producers.sock"
            usesCurve = false
        }
        // Local-only services stay on ipc: they are never reached from another machine.
        storeQuery = "ipc://\(run)/store-query.sock"
        manualRequests = "ipc://\(run)/manual.sock"
        sensorRequests = "ipc://\(run)/sensor.sock"
        sensorHTTP = "\(Self.scheme(configuration.sensor.httpHost))://\(configuration.sensor.httpHost):\(configuration.sensor.httpPort)"
        manualHTTP = "\(Self.scheme(configuration.manual.httpHost))://\(configuration.manual.httpHost):\(configuration.manual.httpPort)"
    }

    /// True for addresses only this machine can reach: the HTTP servers speak plain HTTP
    /// there, and HTTPS anywhere else (docs/https.md).
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    static func scheme(_ host: String) -> String { isLoopback(host) ? "http" : "https" }

    /// A table for `spasmwatch status` and the docs.
    public var table: [(String, String)] {
        [
            ("bus publish (publishers connect)", busPublish), ("bus subscribe (subscribers connect)", busSubscribe),
            ("store queries", storeQuery), ("sensor producers", sensorProducers), ("manual requests", manualRequests),
            ("sensor requests", sensorRequests),
            ("sensor HTTP", sensorHTTP), ("diary phone page", manualHTTP),
        ]
    }
}
