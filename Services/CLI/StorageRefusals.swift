import Foundation
import SpasmConfig
import SpasmReliability

/// Messages storage refused, per sender on this home: each sender's outbox
/// (`data/outbox-<source>.sqlite`) keeps them, with storage's reason, in its `refused`
/// table instead of re-sending them. `spasmwatch status` lists them among its warnings.
enum StorageRefusals {
    /// One line per outbox that holds refused messages; empty when none.
    static func statusLines(home: DataHome) async -> [String] {
        let folder = home.dataDirectory
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasPrefix("outbox-") && $0.hasSuffix(".sqlite") }.sorted()
        var lines: [String] = []
        for name in names {
            guard let outbox = try? Outbox.open(url: folder.appendingPathComponent(name)),
                let summary = try? await outbox.refusedSummary(), summary.count > 0, let latest = summary.latest
            else { continue }
            let count = summary.count
            let source = name.dropFirst("outbox-".count).dropLast(".sqlite".count)
            let what = count == 1 ? "1 message" : "\(count) messages"
            lines.append(
                "\(what) refused by storage, from \(source) (kept in data/\(name), not re-sent); "
                    + "latest: \(latest.type) \(latest.id.uuidString.lowercased().prefix(8)): \(latest.reason)")
        }
        return lines
    }
}
