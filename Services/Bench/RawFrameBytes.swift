import Foundation
import SpasmStore

/// Bytes per stored sample in the store's raw-frame file, against the Float32 floor (4 B):
/// the file after a checkpoint minus an empty store's, divided by the samples stored (one
/// value per axis or channel), and where the bytes go, from SQLite's `dbstat` table.
struct RawFrameBytes {
    static let floor = 4.0
    static let goal = 4.4

    var samples: Int, frames: Int
    var fileBytes: Int64, emptyBytes: Int64
    /// Per b-tree (table or index): pages' bytes, cell payload bytes (record header + columns), unused bytes.
    var objects: [(name: String, pages: Int64, payload: Int64, unused: Int64)]

    /// `frames` and `samples` nil: counted in the file (a store that ran as a service).
    static func measure(raw: URL, emptyStore: URL, frames: Int? = nil, samples: Int? = nil) throws -> RawFrameBytes {
        func size(_ path: String) throws -> (Int64, RawSQLite) {
            let db = try RawSQLite(path: path)
            try db.exec("PRAGMA wal_checkpoint(TRUNCATE)")
            let pages = Int64(try db.rows("PRAGMA page_count").first?.first ?? "") ?? 0
            let pageSize = Int64(try db.rows("PRAGMA page_size").first?.first ?? "") ?? 0
            return (pages * pageSize, db)
        }
        let (fileBytes, db) = try size(raw.path)
        defer { db.close() }
        let counted = try db.rows("SELECT COUNT(*), COALESCE(SUM(sampleCount * channels), 0) FROM sensor_frame").first ?? []
        let frames = frames ?? Int(counted.first ?? "") ?? 0
        let samples = samples ?? Int(counted.last ?? "") ?? 0
        // dbstat is compiled into Debian's SQLite; without it the split is left out.
        let objects =
            (try? db.rows("SELECT name, SUM(pgsize), SUM(payload), SUM(unused) FROM dbstat GROUP BY name ORDER BY SUM(pgsize) DESC"))?
            .map { (name: $0[0], pages: Int64($0[1]) ?? 0, payload: Int64($0[2]) ?? 0, unused: Int64($0[3]) ?? 0) } ?? []
        try FileManager.default.createDirectory(at: emptyStore.deletingLastPathComponent(), withIntermediateDirectories: true)
        let empty = try AppDatabase.open(url: emptyStore)
        let (emptyBytes, emptyDB) = try size(empty.rawURL.path)
        emptyDB.close()
        return RawFrameBytes(samples: samples, frames: frames, fileBytes: fileBytes, emptyBytes: emptyBytes, objects: objects)
    }

    var perSample: Double { Double(fileBytes - emptyBytes) / Double(max(samples, 1)) }

    /// The suite's line: bytes per sample beside the Float32 floor, the goal ≤ 4.4 B/sample.
    func line(what: String) -> BenchLine {
        BenchLine(
            area: "Storage", what: what, figure: String(format: "%.2f B/sample (%d samples)", perSample, samples),
            reference: String(format: "Float32 floor %.1f B/sample", Self.floor), ratio: String(format: "%.2f×", perSample / Self.floor),
            goal: String(format: "≤ %.1f B/sample", Self.goal), met: perSample <= Self.goal)
    }

    func report() -> String {
        let ratio = perSample / Self.floor
        var text = String(
            format: "Raw frames on disk: %d frames, %d samples; raw file after checkpoint %lld B − empty store %lld B = %.2f B/sample,\n",
            frames, samples, fileBytes, emptyBytes, perSample)
        text += String(
            format: "Float32 floor %.1f B/sample, %.2f× the floor, goal ≤ %.1f B/sample: %@\n", Self.floor, ratio, Self.goal,
            perSample <= Self.goal ? "met" : "MISSED")
        guard !objects.isEmpty else { return text + "(this SQLite has no dbstat: where the bytes go is not measured)\n" }
        func per(_ bytes: Int64) -> String { String(format: "%.2f", Double(bytes) / Double(max(samples, 1))) }
        text += "Where the bytes go (dbstat, B/sample):"
        for object in objects where object.pages > 0 {
            if object.name == "sensor_frame" {
                let samplesBytes = Int64(samples) * 4
                text += " sensor_frame rows \(per(object.pages)) = samples \(per(samplesBytes))"
                text += " + other columns and record header \(per(object.payload - samplesBytes))"
                text += " + free space in pages \(per(object.unused)) + page and cell headers \(per(object.pages - object.payload - object.unused));"
            } else {
                text += " \(object.name) \(per(object.pages));"
            }
        }
        return text + "\n"
    }
}
