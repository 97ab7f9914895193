import Foundation

/// Prints one line per notification on standard output (deploy/stack keeps it in the
/// service's log).
public struct ConsoleChannel: NotificationChannel {
    public let name = "console"
    public let retry = RetryPolicy.once

    public init() {}

    public func send(_ notification: AlertNotification) async throws {
        var line = "NOTIFY \(notification.receiver): \(notification.line)"
        if let action = notification.actions.first { line += " [\(action.label): \(action.command)]" }
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
