import Foundation
import SpasmBus
import SpasmErrors
import SpasmRuntime
import SpasmSchema
import ZeroMQ

extension SpasmError.Code {
    /// No answer in time: the store is not running, or busy.
    public static let storeNoAnswer = SpasmError.Code("store.no-answer")
    /// The store refused the request; `detail` is its reason.
    public static let storeRefused = SpasmError.Code("store.refused")
    public static let storeMalformedReply = SpasmError.Code("store.malformed-reply")

    /// Every way a store query fails.
    public static let storeQueryFailures: Set<SpasmError.Code> = [.storeNoAnswer, .storeRefused, .storeMalformedReply]
}

/// Why a store query failed.
extension SpasmError {
    static func storeNoAnswer(endpoint: String, seconds: Double) -> SpasmError {
        SpasmError(
            .storeNoAnswer,
            "no answer from spasmwatch-store at \(endpoint) within \(seconds.formatted()) s — is it running? (`spasmwatch status`)")
    }
    static func storeRefused(_ why: String) -> SpasmError { SpasmError(.storeRefused, "the store refused the query: \(why)", detail: why) }
    static func storeMalformedReply(_ why: String) -> SpasmError {
        SpasmError(.storeMalformedReply, "unreadable reply from the store: \(why)", detail: why)
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
            if error.code == .requestBadReply { throw SpasmError.storeMalformedReply(error.detail ?? "") }
            throw SpasmError.storeNoAnswer(endpoint: endpoint, seconds: timeoutSeconds)
        }
        guard response.ok else { throw SpasmError.storeRefused(response.error ?? "no reason given") }
        return response
    }

    /// One request, on a client made for it (a long-lived caller keeps a `StoreClient`).
    public static func query(
        _ request: StoreRequest, context: ZMQContext, endpoint: String,
        timeoutSeconds: Double = 10
    ) async throws -> StoreResponse {
        try await StoreClient(context: context, endpoint: endpoint, timeoutSeconds: timeoutSeconds).send(request)
    }
}
