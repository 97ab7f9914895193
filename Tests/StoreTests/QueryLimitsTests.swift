import Foundation
import SpasmBus
import SpasmSchema
import SpasmStore
import Testing

/// Every query's work is bounded: ranges and row counts are capped with an error that says
/// what was asked and what is allowed, and an id prefix is matched literally.
@Suite("Store: bounded queries")
struct QueryLimitsTests {
    func engine(_ label: String, entries: [DiaryEntry] = []) throws -> (StoreQueryEngine, URL) {
        let (database, dir) = try StoreFixtures.database(label)
        try StoreIngestor(database: database).store(entries.map { try StoreFixtures.entry($0) })
        return (StoreQueryEngine(database: database, timeZone: TimeZone(identifier: "UTC")!, counters: CounterSet()), dir)
    }

    func answer(_ engine: StoreQueryEngine, _ json: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: engine.answer(json: Data(json.utf8))) as! [String: Any]
    }

    /// The query seen in the field: 10.4 s, a 111 MB reply, other queries blocked for 9 s.
    @Test func statisticsOverMillionsOfDaysAreRefusedWithTheRangeAllowed() throws {
        let (engine, dir) = try engine("limits-stats")
        defer { try? FileManager.default.removeItem(at: dir) }
        let reply = try answer(engine, #"{"query":"statistics","from":-92811893000,"to":1764072000}"#)
        #expect(reply["ok"] as? Bool == false)
        let error = reply["error"] as? String ?? ""
        #expect(error.contains("at most \(StoreQueryEngine.maxStatisticsDays) days"), "\(error)")
        #expect(error.contains("1094630 days"), "says what was asked: \(error)")
        #expect(engine.counters?["queries.refused"] == 1)
        // The longest range allowed is answered, one entry per day.
        let to = 1_764_072_000.0
        let ok = engine.answer(StoreRequest(query: .statistics, from: to - Double(StoreQueryEngine.maxStatisticsDays) * 86_400, to: to))
        #expect(ok.ok, "\(ok.error ?? "")")
        #expect((ok.statistics?.days.count ?? 0) >= StoreQueryEngine.maxStatisticsDays)
        // Unset `from` with a far `to` is bounded the same way (the default is 30 days back).
        #expect(engine.answer(StoreRequest(query: .statistics, to: to)).ok)
    }

    @Test func aLimitAboveTheCapIsRefusedNamingTheCap() throws {
        let (engine, dir) = try engine("limits-rows")
        defer { try? FileManager.default.removeItem(at: dir) }
        for query in [StoreRequest.Query.entries, .episodes, .alerts, .deliveries, .sensorSummaries] {
            let refused = engine.answer(StoreRequest(query: query, limit: StoreQueryEngine.maxLimit + 1))
            #expect(!refused.ok)
            #expect(
                refused.error == "'limit' is \(StoreQueryEngine.maxLimit + 1); at most \(StoreQueryEngine.maxLimit) rows per query "
                    + "(for more, ask again with 'to' set to the oldest time received)", "\(query)")
            #expect(engine.answer(StoreRequest(query: query, limit: StoreQueryEngine.maxLimit)).ok)
        }
        // Int.max used to overflow `limit + 1`.
        let huge = try answer(engine, #"{"query":"entries","limit":9223372036854775807}"#)
        #expect(huge["ok"] as? Bool == false)
        #expect((huge["error"] as? String)?.contains("at most \(StoreQueryEngine.maxLimit) rows") == true)
    }

    @Test func idPrefixMatchesPercentAndUnderscoreLiterally() throws {
        let entries = (0..<5).map { n in StoreFixtures.spasm("2026-11-2\(n)T10:00:00Z", .phasic, severity: 1) }
        let (engine, dir) = try engine("limits-prefix", entries: entries)
        defer { try? FileManager.default.removeItem(at: dir) }
        for prefix in ["%", "_", "____", "%%", "\\"] {
            let response = engine.answer(StoreRequest(query: .entries, idPrefix: prefix))
            #expect(response.ok)
            #expect(response.entries?.count == 0, "'\(prefix)' is no id's prefix")
        }
        let id = entries[2].entryId.uuidString.lowercased()
        #expect(
            engine.answer(StoreRequest(query: .entries, idPrefix: String(id.prefix(8)))).entries?.map(\.entry.entryId)
                == [entries[2].entryId])
        #expect(engine.answer(StoreRequest(query: .alerts, idPrefix: "%")).alerts?.count == 0)
    }

    @Test func nonFiniteNumbersInAQueryNameTheirField() throws {
        let (engine, dir) = try engine("limits-nan")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (json, field, text) in [
            (#"{"query":"entries","from":1e309}"#, "from", "1e309"),
            (#"{"query":"entries","to":-1e400}"#, "to", "-1e400"),
            (#"{"query":"entries","from":NaN}"#, "from", "NaN"),
            (#"{"query":"statistics","to":Infinity}"#, "to", "Infinity"),
            (#"{"query":"entries","limit":-Infinity}"#, "limit", "-Infinity"),
        ] {
            let reply = try answer(engine, json)
            #expect(reply["ok"] as? Bool == false)
            #expect(
                reply["error"] as? String == "bad request: field '\(field)' is \(text), not a finite number "
                    + "(JSON numbers must be finite: no NaN, Infinity or magnitudes beyond 1.8e308)", "\(json)")
        }
    }
}
