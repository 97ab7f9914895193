import Foundation
import SpasmReliability
import SpasmSchema

/// Diary entries in the manual service's durable outbox (`DataHome.outbox(for: "manual")`).
/// The message id of an entry is its `entryId`, so the same entry written twice — by the
/// service and by the CLI, or re-sent by the phone — is one message and one stored row.
public enum DiaryOutbox {
    /// The outbox's sender name: the manual service's instance.
    public static let source = "manual"

    /// Writes an entry durably (used by the CLI when the manual service is down).
    public static func enqueue(_ entry: DiaryEntry, in outbox: Outbox, person: String) async throws {
        try await outbox.add(entry, topic: Topic.manualEntry, id: entry.entryId, person: person)
    }

    /// The diary entries still waiting for storage's stored receipt.
    public static func pendingEntries(in outbox: Outbox) async throws -> [DiaryEntry] {
        try await outbox.all().filter { $0.type == DiaryEntry.messageType }
            .compactMap { try? JSONDecoder().decode(DiaryEntry.self, from: $0.body) }
    }

    /// Ids of every message still waiting (entries and acknowledgements).
    public static func pendingIds(in outbox: Outbox) async throws -> Set<UUID> {
        Set(try await outbox.all().map(\.id))
    }
}
