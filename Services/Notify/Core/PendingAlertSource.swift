import Foundation
import SpasmBus
import SpasmErrors
import SpasmRuntime
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

/// Asks storage's query endpoint (`StoreRequest` `{"query":"alerts","undeliveredOnly":true,
/// "from":t}` → `StoreResponse` `{"ok":true,"alerts":[{"person","alert","acknowledgements",…}]}`,
/// docs/wire-format.md) through one `RequestClient`, whose socket thread owns the REQ socket.
public struct StoreQueryAlertSource: PendingAlertSource {
    let client: RequestClient<StoreRequest, StoreResponse>
    let timeoutSeconds: Double

    public init(context: ZMQContext, endpoint: String, timeoutSeconds: Double = 3) {
        client = RequestClient(context: context, endpoint: endpoint, name: "notify-storage")
        self.timeoutSeconds = timeoutSeconds
    }

    public func undeliveredAlerts(since: Double) async throws -> [PendingAlert] {
        try await ask(StoreRequest(query: .alerts, from: since, undeliveredOnly: true, limit: 1000))
    }

    public func acknowledgements(since: Double) async throws -> [Acknowledgement] {
        try await answer(StoreRequest(query: .alerts, from: since, limit: 1000)).flatMap(\.acknowledgements)
    }

    public func helpRequests(since: Double) async throws -> [HelpRequest] {
        try await answer(StoreRequest(query: .alerts, from: since, limit: 1000)).flatMap { $0.helpRequests ?? [] }
    }

    /// Alerts whose id starts with `prefix` (for `spasmwatch ack` when notify's journal
    /// does not know the alert).
    public func alerts(idPrefix prefix: String) async throws -> [PendingAlert] {
        try await ask(StoreRequest(query: .alerts, idPrefix: prefix, limit: 20))
    }

    func ask(_ query: StoreRequest) async throws -> [PendingAlert] {
        try await answer(query).map {
            PendingAlert(alert: $0.alert, person: $0.person, acknowledged: !$0.acknowledgements.isEmpty)
        }
    }

    func answer(_ query: StoreRequest) async throws -> [StoredAlert] {
        let response: StoreResponse
        do {
            response = try await client.ask(query, timeout: timeoutSeconds)
        } catch {
            throw SpasmError(.channel, "storage did not answer: \(error)")
        }
        guard response.ok else { throw SpasmError(.channel, "storage refused the query: \(response.error ?? "no reason given")") }
        return response.alerts ?? []
    }
}
