import Foundation
import SpasmBus
import SpasmSchema
import ZeroMQ

/// An alert some earlier run may not have delivered, with whose it is.
public struct PendingAlert: Sendable, Equatable {
    public var alert: Alert
    public var person: String
    public var acknowledged: Bool

    public init(alert: Alert, person: String, acknowledged: Bool = false) {
        self.alert = alert
        self.person = person
        self.acknowledged = acknowledged
    }
}

/// Where notify asks, on start, for alerts that have no successful delivery (storage).
public protocol PendingAlertSource: Sendable {
    func undeliveredAlerts(since: Double) async throws -> [PendingAlert]
    /// Acknowledgements of alerts since `since` (some may have come while notify was down).
    func acknowledgements(since: Double) async throws -> [Acknowledgement]
    /// "I need help" presses since `since` (some may have come while notify was down).
    func helpRequests(since: Double) async throws -> [HelpRequest]
}

extension PendingAlertSource {
    public func acknowledgements(since: Double) async throws -> [Acknowledgement] { [] }
    public func helpRequests(since: Double) async throws -> [HelpRequest] { [] }
}

/// Asks storage's query endpoint (ZeroMQ REQ/REP, JSON): `{"query":"alerts",
/// "undeliveredOnly":true,"from":t}` → `{"ok":true,"alerts":[{"person","alert",
/// "acknowledgements",…}]}` (storage's `StoreRequest`/`StoreResponse`, docs/wire-format.md).
/// The request is sent from a fresh thread that owns the REQ socket for its whole life.
public struct StoreQueryAlertSource: PendingAlertSource {
    let context: ZMQContext
    let endpoint: String
    let timeoutSeconds: Double

    public init(context: ZMQContext, endpoint: String, timeoutSeconds: Double = 3) {
        self.context = context
        self.endpoint = endpoint
        self.timeoutSeconds = timeoutSeconds
    }

    /// The request, wire-compatible with storage's `StoreRequest`.
    struct Request: Codable {
        var query = "alerts"
        var undeliveredOnly: Bool?
        var from: Double?
        var idPrefix: String?
        var limit = 1000
    }

    /// The part of storage's `StoreResponse` notify reads.
    struct Response: Codable {
        struct StoredAlert: Codable {
            var person: String
            var alert: Alert
            var acknowledgements: [Acknowledgement]?
            var helpRequests: [HelpRequest]?
        }
        var ok: Bool
        var error: String?
        var alerts: [StoredAlert]?
    }

    public func undeliveredAlerts(since: Double) async throws -> [PendingAlert] {
        try await ask(Request(undeliveredOnly: true, from: since))
    }

    public func acknowledgements(since: Double) async throws -> [Acknowledgement] {
        try await answer(Request(from: since)).flatMap { $0.acknowledgements ?? [] }
    }

    public func helpRequests(since: Double) async throws -> [HelpRequest] {
        try await answer(Request(from: since)).flatMap { $0.helpRequests ?? [] }
    }

    /// Alerts whose id starts with `prefix` (for `spasmwatch ack` when notify's journal
    /// does not know the alert).
    public func alerts(idPrefix prefix: String) async throws -> [PendingAlert] {
        try await ask(Request(idPrefix: prefix, limit: 20))
    }

    func ask(_ query: Request) async throws -> [PendingAlert] {
        try await answer(query).map {
            PendingAlert(alert: $0.alert, person: $0.person, acknowledged: !($0.acknowledgements ?? []).isEmpty)
        }
    }

    func answer(_ query: Request) async throws -> [Response.StoredAlert] {
        let request = try JSONEncoder().encode(query)
        let (context, endpoint, timeout) = (self.context, self.endpoint, Int32(timeoutSeconds * 1000))
        let reply: Result<Data, Error> = await offPool {
            do {
                let socket = try ZMQSocket(context: context, type: .req)
                defer { socket.close() }
                try socket.setLinger(milliseconds: 0)
                try socket.setReceiveTimeout(milliseconds: timeout)
                try socket.setSendTimeout(milliseconds: timeout)
                try socket.connect(endpoint)
                _ = try socket.send([request])
                guard let frames = try socket.receiveMultipart(), let data = frames.first else {
                    return .failure(ChannelError("storage did not answer at \(endpoint) within \(timeout) ms"))
                }
                return .success(data)
            } catch {
                return .failure(error)
            }
        }
        let response = try JSONDecoder().decode(Response.self, from: try reply.get())
        guard response.ok else { throw ChannelError("storage refused the query: \(response.error ?? "no reason given")") }
        return response.alerts ?? []
    }
}
