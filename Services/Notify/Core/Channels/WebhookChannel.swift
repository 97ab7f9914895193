import Foundation
import SpasmErrors
import SpasmSchema

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// POSTs notifications to a URL: our JSON (`json`), ntfy (text body with Title, Priority,
/// Tags and the "I'm OK" / "I need help" links as ntfy actions in headers) or a Home Assistant webhook payload. Anything
/// but a 2xx answer, or no answer within the timeout, is a failed attempt.
public struct WebhookChannel: NotificationChannel {
    public let name = "webhook"
    public let url: URL
    public let format: ChannelSpec.WebhookFormat
    public let headers: [String: String]
    public let timeoutSeconds: Double
    public let retry: RetryPolicy

    public init(
        url: URL, format: ChannelSpec.WebhookFormat, headers: [String: String] = [:], timeoutSeconds: Double,
        retry: RetryPolicy
    ) {
        self.url = url
        self.format = format
        self.headers = headers
        self.timeoutSeconds = timeoutSeconds
        self.retry = retry
    }

    /// The HTTP request for a notification in this channel's format.
    public func request(for notification: AlertNotification) throws -> URLRequest {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeoutSeconds)
        request.httpMethod = "POST"
        switch format {
        case .json:
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try WireCodec.encode(notification)
        case .ntfy:
            request.setValue("text/plain; charset=utf-8", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(notification.text.utf8)
            request.setValue(Self.headerSafe(notification.title), forHTTPHeaderField: "Title")
            request.setValue(Self.ntfyPriority(notification), forHTTPHeaderField: "Priority")
            request.setValue(Self.ntfyTags(notification), forHTTPHeaderField: "Tags")
            // ntfy's "http" action POSTs to the link in the background: the capability acts
            // on POST only. No link (no manual.publicURL): no Actions header, not a dead button.
            let linked = notification.actions.compactMap { action in
                action.url.map { "http, \(Self.headerSafe(action.label)), \($0), method=POST, clear=true" }
            }
            if !linked.isEmpty { request.setValue(linked.joined(separator: "; "), forHTTPHeaderField: "Actions") }
        case .homeassistant:
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try WireCodec.encode(HomeAssistantPayload(notification))
        }
        for (key, value) in headers { request.setValue(value, forHTTPHeaderField: key) }
        return request
    }

    public func send(_ notification: AlertNotification) async throws {
        let request = try request(for: notification)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeoutSeconds
        configuration.timeoutIntervalForResource = timeoutSeconds
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let (status, body): (Int, Data) = try await withCheckedThrowingContinuation { continuation in
            let task = session.dataTask(with: request) { data, response, error in
                if let error {
                    continuation.resume(throwing: SpasmError(.channel, "\(url.absoluteString): \(error.localizedDescription)"))
                } else {
                    continuation.resume(returning: ((response as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data()))
                }
            }
            task.resume()
        }
        guard (200..<300).contains(status) else {
            let detail = String(decoding: body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw SpasmError(.channel, "\(url.absoluteString) answered HTTP \(status)\(detail.isEmpty ? "" : ": \(detail)")")
        }
    }

    /// ntfy priorities: 5 urgent (critical), 4 high (warning), 3 default.
    static func ntfyPriority(_ notification: AlertNotification) -> String {
        switch notification.purpose {
        case .acknowledged, .falseAlarm, .test: return "3"
        default: break
        }
        switch notification.severity {
        case .critical: return "5"
        case .warning: return "4"
        case .info: return "3"
        }
    }

    /// ntfy tags: an emoji short code for the severity, then kind and purpose.
    static func ntfyTags(_ notification: AlertNotification) -> String {
        let icon: String
        switch (notification.purpose, notification.severity) {
        case (.acknowledged, _), (.falseAlarm, _): icon = "white_check_mark"
        case (.test, _): icon = "test_tube"
        case (_, .critical): icon = "rotating_light"
        case (_, .warning): icon = "warning"
        case (_, .info): icon = "information_source"
        }
        return [icon, notification.kind, notification.purpose.rawValue].joined(separator: ",")
    }

    /// HTTP header values stay ASCII: other characters become close ASCII or are dropped.
    static func headerSafe(_ text: String) -> String {
        let replaced = text.replacingOccurrences(of: "—", with: "-").replacingOccurrences(of: "–", with: "-")
            .replacingOccurrences(of: "’", with: "'")
        return String(String.UnicodeScalarView(replaced.unicodeScalars.filter { $0.isASCII && $0.value >= 32 }))
    }
}

/// The body a Home Assistant webhook trigger (`/api/webhook/<id>`) receives; automations
/// read `trigger.json.title`, `.message`, `.severity`, and may offer `actions`.
public struct HomeAssistantPayload: Codable, Sendable, Equatable {
    public struct Action: Codable, Sendable, Equatable {
        public var action: String
        public var title: String
        public var uri: String?
    }
    public var title: String
    public var message: String
    public var severity: String
    public var kind: String
    public var purpose: String
    public var person: String
    public var receiver: String
    public var count: Int
    public var alert_ids: [String]
    public var actions: [Action]

    public init(_ n: AlertNotification) {
        title = n.title
        message = n.text
        severity = n.severity.rawValue
        kind = n.kind
        purpose = n.purpose.rawValue
        person = n.person
        receiver = n.receiver
        count = n.count
        alert_ids = n.alertIds.map(\.uuidString)
        let short = n.alertIds.first.map { String($0.uuidString.lowercased().prefix(8)) } ?? ""
        actions = n.actions.map {
            Action(action: "SPASMWATCH_\($0.kind == "help" ? "HELP" : "ACK")_\(short)", title: $0.label, uri: $0.url)
        }
    }
}
