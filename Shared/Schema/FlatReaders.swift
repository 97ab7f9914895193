import Foundation

// Hand-written readers for the messages that come by the thousand per second. Each returns
// nil for anything unusual, and the caller falls back to JSONDecoder (same result, and
// JSONDecoder's error message when the message is wrong). Tests/SchemaTests compare both.

extension EnvelopeHeader {
    /// The header fields of an envelope's members (the body is not looked at).
    public init?(flat members: FlatJSON.Members) {
        var version: Int?
        var type: String?
        var id: UUID?
        var source: String?
        var epoch: UInt32?
        var seq: UInt64?
        var time: Double?
        var person: String?
        let ok = members.forEach { key, value in
            if key == "v" {
                version = value.int
                return version != nil
            }
            if key == "type" {
                type = value.string
                return type != nil
            }
            if key == "id" {
                id = value.uuid
                return id != nil
            }
            if key == "source" {
                source = value.string
                return source != nil
            }
            if key == "epoch" {
                epoch = value.uint32
                return epoch != nil
            }
            if key == "seq" {
                seq = value.uint64
                return seq != nil
            }
            if key == "time" {
                time = value.double
                return time != nil
            }
            if key == "person" {
                person = value.string
                return person != nil
            }
            return true
        }
        guard ok, let version, let type, let id, let source, let epoch, let seq, let time, let person else { return nil }
        self.init(version: version, type: type, id: id, source: source, epoch: epoch, seq: seq, time: time, person: person)
    }

    /// Reads the header of an envelope's JSON without JSONDecoder; nil → use JSONDecoder.
    public static func fastDecode(_ data: Data) -> EnvelopeHeader? {
        FlatJSON.withMembers(data) { EnvelopeHeader(flat: $0) }
    }
}

extension SensorFrame {
    public static var hasFlatReader: Bool { true }

    public init?(flat members: FlatJSON.Members) {
        var sensorId: String?
        var kind: SensorKind?
        var placement: BodySite?
        var unit: SampleUnit?
        var sampleRate: Double?
        var channels: Int?
        var firstSampleTime: Double?
        var sampleCount: Int?
        var producerSeq: UInt64?
        var test: Bool?
        let ok = members.forEach { key, value in
            if key == "sensorId" {
                sensorId = value.string
                return sensorId != nil
            }
            if key == "test" { return FlatJSON.optionalBool(value, &test) }
            if key == "kind" {
                kind = value.string.flatMap(SensorKind.init(rawValue:))
                return kind != nil
            }
            if key == "placement" {
                placement = value.string.flatMap(BodySite.init(rawValue:))
                return placement != nil
            }
            if key == "unit" {
                unit = value.string.flatMap(SampleUnit.init(rawValue:))
                return unit != nil
            }
            if key == "sampleRate" {
                sampleRate = value.double
                return sampleRate != nil
            }
            if key == "channels" {
                channels = value.int
                return channels != nil
            }
            if key == "firstSampleTime" {
                firstSampleTime = value.double
                return firstSampleTime != nil
            }
            if key == "sampleCount" {
                sampleCount = value.int
                return sampleCount != nil
            }
            if key == "producerSeq" {
                if value.isNull { return true }
                producerSeq = value.uint64
                return producerSeq != nil
            }
            return true
        }
        guard ok, let sensorId, let kind, let placement, let unit, let sampleRate, let channels, let firstSampleTime,
            let sampleCount
        else { return nil }
        self.init(
            sensorId: sensorId, kind: kind, placement: placement, sampleRate: sampleRate, channels: channels, unit: unit,
            firstSampleTime: firstSampleTime, sampleCount: sampleCount, producerSeq: producerSeq, test: test)
    }
}

extension FlatJSON {
    /// An optional Bool as JSONDecoder reads `Bool?`: null or absent is nil, true or false is
    /// itself, anything else is refused (false: the caller falls back to JSONDecoder).
    public static func optionalBool(_ value: FlatJSON.Value, _ into: inout Bool?) -> Bool {
        if value.isNull {
            into = nil
            return true
        }
        into = value.bool
        return into != nil
    }
}

extension EpisodeEvent {
    public static var hasFlatReader: Bool { true }

    public init?(flat members: FlatJSON.Members) {
        var episodeId: UUID?
        var phase: Phase?
        var kind: EpisodeKind?
        var sensorId: String?
        var site: BodySite?
        var start: Double?
        var end: Double?
        var detectedAt: Double?
        var confidence: Double?
        var peak: Double?
        var frequency: Double?
        var interrupted: Bool?
        var test: Bool?
        /// An optional number: null or absent is nil; anything else must be a number.
        func optional(_ value: FlatJSON.Value, _ into: inout Double?) -> Bool {
            if value.isNull {
                into = nil
                return true
            }
            into = value.double
            return into != nil
        }
        let ok = members.forEach { key, value in
            if key == "episodeId" {
                episodeId = value.uuid
                return episodeId != nil
            }
            if key == "phase" {
                phase = value.string.flatMap(Phase.init(rawValue:))
                return phase != nil
            }
            if key == "kind" {
                kind = value.string.flatMap(EpisodeKind.init(rawValue:))
                return kind != nil
            }
            if key == "sensorId" {
                sensorId = value.string
                return sensorId != nil
            }
            if key == "site" {
                if value.isNull {
                    site = nil
                    return true
                }
                site = value.string.flatMap(BodySite.init(rawValue:))
                return site != nil
            }
            if key == "start" {
                start = value.double
                return start != nil
            }
            if key == "end" { return optional(value, &end) }
            if key == "detectedAt" {
                detectedAt = value.double
                return detectedAt != nil
            }
            if key == "confidence" {
                confidence = value.double
                return confidence != nil
            }
            if key == "peak" { return optional(value, &peak) }
            if key == "dominantFrequencyHz" { return optional(value, &frequency) }
            if key == "interrupted" {
                if value.isNull {
                    interrupted = nil
                    return true
                }
                interrupted = value.bool
                return interrupted != nil
            }
            if key == "test" { return FlatJSON.optionalBool(value, &test) }
            return true
        }
        guard ok, let episodeId, let phase, let kind, let sensorId, let start, let detectedAt, let confidence else { return nil }
        self.init(
            episodeId: episodeId, phase: phase, kind: kind, sensorId: sensorId, site: site, start: start, end: end,
            detectedAt: detectedAt, confidence: confidence, peak: peak, dominantFrequencyHz: frequency,
            interrupted: interrupted, test: test)
    }
}

extension ProducerReply {
    public init?(flat members: FlatJSON.Members) {
        var ok: Bool?
        var error: String?
        var field: String?
        var reason: String?
        var sensorId: String?
        var accepted: Int?
        var seq: UInt64?
        func optionalString(_ value: FlatJSON.Value, _ into: inout String?) -> Bool {
            if value.isNull {
                into = nil
                return true
            }
            into = value.string
            return into != nil
        }
        let valid = members.forEach { key, value in
            if key == "ok" {
                ok = value.bool
                return ok != nil
            }
            if key == "error" { return optionalString(value, &error) }
            if key == "field" { return optionalString(value, &field) }
            if key == "reason" { return optionalString(value, &reason) }
            if key == "sensorId" { return optionalString(value, &sensorId) }
            if key == "accepted" {
                if value.isNull { return true }
                accepted = value.int
                return accepted != nil
            }
            if key == "seq" {
                if value.isNull { return true }
                seq = value.uint64
                return seq != nil
            }
            return true
        }
        guard valid, let ok else { return nil }
        self.init(ok: ok, error: error, field: field, reason: reason, sensorId: sensorId, accepted: accepted, seq: seq)
    }

    /// Reads a reply: the hand-written reader, else JSONDecoder.
    public static func decode(_ data: Data) throws -> ProducerReply {
        if let reply = FlatJSON.withMembers(data, { ProducerReply(flat: $0) }) { return reply }
        return try JSONDecoder().decode(ProducerReply.self, from: data)
    }
}
