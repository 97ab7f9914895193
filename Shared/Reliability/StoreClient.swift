import Foundation
import SpasmBus
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

/// A synchronous client of storage's query endpoint (`Endpoints.storeQuery`): one REQ
/// socket, used only by the thread that created the client (libzmq sockets are not
/// thread-safe). After a timeout the socket is replaced, so the next request starts clean.
/// From async code use `StoreClient.query(_:context:endpoint:)`, which runs off the pool.
public final class StoreClient {
    public let endpoint: String
    public let timeoutSeconds: Double
    private let context: ZMQContext
    private var socket: ZMQSocket?

    public init(context: ZMQContext, endpoint: String, timeoutSeconds: Double = 10) {
        self.context = context
        self.endpoint = endpoint
        self.timeoutSeconds = timeoutSeconds
    }

    deinit { socket?.close() }

    private func connectedSocket() throws -> ZMQSocket {
        if let socket { return socket }
        let s = try ZMQSocket(context: context, type: .req)
        try s.setReceiveTimeout(milliseconds: Int32(timeoutSeconds * 1000))
        try s.setSendTimeout(milliseconds: Int32(timeoutSeconds * 1000))
        try s.setMaxMessageSize(-1)
        try s.connect(endpoint)
        socket = s
        return s
    }

    /// Sends a request and waits for the answer; throws when it is refused or does not come.
    public func send(_ request: StoreRequest) throws -> StoreResponse {
        let s = try connectedSocket()
        let body: Data
        do {
            try s.send(WireCodec.encode(request))
            guard let frames = try s.receiveMultipart(), let last = frames.last else {
                throw StoreClientError.noAnswer(endpoint: endpoint, seconds: timeoutSeconds)
            }
            body = last
        } catch {
            // A REQ socket that missed its reply is stuck: start over with a new one.
            s.close()
            socket = nil
            if let zmq = error as? ZMQError, zmq.isAgain {
                throw StoreClientError.noAnswer(endpoint: endpoint, seconds: timeoutSeconds)
            }
            throw error
        }
        let response: StoreResponse
        do {
            response = try JSONDecoder().decode(StoreResponse.self, from: body)
        } catch {
            throw StoreClientError.malformedReply(WireCodec.describe(error))
        }
        guard response.ok else { throw StoreClientError.refused(response.error ?? "no reason given") }
        return response
    }

    // MARK: Conveniences

    /// Alerts that no delivery has reached anyone with (`sent`) — what notification
    /// re-sends after a restart.
    public func undeliveredAlerts(since: Double? = nil, person: String? = nil) throws -> [StoredAlert] {
        try send(StoreRequest(query: .alerts, from: since, person: person, undeliveredOnly: true)).alerts ?? []
    }

    /// Daily statistics (local days in the store's time zone unless one is given).
    public func statistics(from: Double, to: Double, person: String? = nil, timeZone: String? = nil) throws -> StoreStatistics {
        guard let statistics = try send(StoreRequest(query: .statistics, from: from, to: to, person: person,
                                                     timeZone: timeZone)).statistics else {
            throw StoreClientError.malformedReply("no statistics in the answer")
        }
        return statistics
    }

    /// One request from async code, on a fresh socket on its own thread.
    public static func query(_ request: StoreRequest, context: ZMQContext, endpoint: String,
                             timeoutSeconds: Double = 10) async throws -> StoreResponse {
        let result: Result<StoreResponse, Error> = await offPool {
            let client = StoreClient(context: context, endpoint: endpoint, timeoutSeconds: timeoutSeconds)
            return Result { try client.send(request) }
        }
        return try result.get()
    }
}
