import Foundation
import SpasmConfig
import SpasmErrors

/// One way of reaching a receiver. `send` makes a single attempt and throws when it did
/// not get through; retries and their back-off are the engine's (see `RetryPolicy`).
public protocol NotificationChannel: Sendable {
    /// "console", "file", "webhook", "command": the `delivery.<channel>` topic.
    var name: String { get }
    var retry: RetryPolicy { get }
    func send(_ notification: AlertNotification) async throws
}

/// How often and how patiently a channel is retried.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all (1 = no retry).
    public var maxAttempts: Int
    /// Wait before the second attempt; doubles for each further one (capped at 5 minutes).
    public var backoffSeconds: Double

    public init(maxAttempts: Int, backoffSeconds: Double) {
        self.maxAttempts = max(1, maxAttempts)
        self.backoffSeconds = max(0, backoffSeconds)
    }

    /// The wait after attempt `attempt` (1-based) failed.
    public func delay(after attempt: Int) -> Double {
        min(backoffSeconds * pow(2, Double(attempt - 1)), 300)
    }

    public static let once = RetryPolicy(maxAttempts: 1, backoffSeconds: 0)
}

extension SpasmError.Code {
    /// Why a channel attempt failed, in words.
    public static let channel = SpasmError.Code("notify.channel")
}

/// Builds channels from the rules file's specs.
public enum ChannelFactory {
    public static func make(_ spec: ChannelSpec, home: DataHome, settings: NotifySettings) -> any NotificationChannel {
        switch spec.type {
        case .console:
            return ConsoleChannel()
        case .file:
            let path = spec.path ?? "logs/notifications.jsonl"
            return FileChannel(url: URL(fileURLWithPath: path, relativeTo: home.root).standardizedFileURL)
        case .webhook:
            return WebhookChannel(
                url: URL(string: spec.url ?? "")!, format: spec.format ?? .json, headers: spec.headers ?? [:],
                timeoutSeconds: spec.timeoutSeconds ?? settings.webhookTimeoutSeconds,
                retry: RetryPolicy(
                    maxAttempts: spec.maxAttempts ?? settings.webhookMaxAttempts,
                    backoffSeconds: spec.backoffSeconds ?? settings.webhookBackoffSeconds))
        case .command:
            return CommandChannel(
                command: spec.command ?? [], workingDirectory: home.root,
                timeoutSeconds: spec.timeoutSeconds ?? settings.commandTimeoutSeconds,
                retry: RetryPolicy(maxAttempts: spec.maxAttempts ?? 2, backoffSeconds: spec.backoffSeconds ?? settings.webhookBackoffSeconds))
        }
    }

    /// Every receiver's channels.
    public static func make(_ rules: NotifyRules, home: DataHome, settings: NotifySettings) -> [String: [any NotificationChannel]] {
        var out: [String: [any NotificationChannel]] = [:]
        for receiver in rules.receivers {
            out[receiver.name] = receiver.channels.map { make($0, home: home, settings: settings) }
        }
        return out
    }
}
