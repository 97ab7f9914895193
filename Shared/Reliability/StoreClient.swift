import Foundation
import SpasmBus
import SpasmRuntime
import SpasmSchema
import ZeroMQ

/// Why a store query failed.
public enum StoreClientError: Error, CustomStringConvertible, Sendable {
    /// No answer in time: the store is not running, or busy.
    case noAnswer(endpoint: String, seconds: Double)
    /// The store refused the request; its reason.
    case refused(String)
    case malformedReply(String)

    public var description: String {
        switch self {
        case .noAnswer(let endpoint, let seconds):
            "no answer from spasmwatch-store at \(endpoint) within \(seconds.formatted()) s — is it running? (`spasmwatch status`)"
        case .refused(let why): "the store refused the query: \(why)"
        case .malformedReply(let why): "unreadable reply from the store: \(why)"
        }
    }
}

/// A client of storage's query endpoint (`Endpoints.storeQuery`): a `RequestClient` (one
/// REQ socket on its own thread, made anew after a timeout) with the store's errors.
public final class StoreClient: Sendable {
    public let endpoint: String
    public let timeoutSeconds: Double
    private let client: RequestClient<StoreRequest, StoreResponse>

    public init(context: ZMQContext, endpoint: String, timeoutSeconds: Double = 10) {
        self.endpoint = endpoint
        self.timeoutSeconds = timeoutSeconds
        client = RequestClient(context: context, endpoint: endpoint, name: "store-client")
    }

    /// Sends a request and waits for the answer; throws when it is refused or does not come.
    public func send(_ request: StoreRequest) async throws -> StoreResponse {
        let response: StoreResponse
        do {
            response = try await client.ask(request, timeout: timeoutSeconds)
        } catch {
            if case .badReply(_, let why) = error { throw StoreClientError.malformedReply(why) }
            throw StoreClientError.noAnswer(endpoint: endpoint, seconds: timeoutSeconds)
        }
        guard response.ok else { throw StoreClientError.refused(response.error ?? "no reason given") }
        return response
    }

    /// One request, on a client made for it (a long-lived caller keeps a `StoreClient`).
    public static func query(_ request: StoreRequest, context: ZMQContext, endpoint: String,
                             timeoutSeconds: Double = 10) async throws -> StoreResponse {
        try await StoreClient(context: context, endpoint: endpoint, timeoutSeconds: timeoutSeconds).send(request)
    }
}
