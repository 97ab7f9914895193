import ArgumentParser

/// Which sensors one detector instance takes: a stable hash of the sensor id, modulo the
/// number of instances (FNV-1a, so every instance and every restart agree).
struct SensorShard: Sendable, Equatable {
    var index = 0
    var count = 1

    init(index: Int = 0, count: Int = 1) {
        self.index = index
        self.count = count
    }

    init(parsing text: String?) throws {
        guard let text else { return }
        let parts = text.split(separator: "/").compactMap { Int($0) }
        guard parts.count == 2, parts[1] >= 1, (0..<parts[1]).contains(parts[0]) else {
            throw ValidationError("--shard must be INDEX/COUNT with 0 ≤ INDEX < COUNT, e.g. 0/2")
        }
        index = parts[0]
        count = parts[1]
    }

    func owns(_ sensorId: String) -> Bool {
        count == 1 || Int(Self.hash(sensorId) % UInt64(count)) == index
    }

    static func hash(_ text: String) -> UInt64 {
        var h: UInt64 = 14_695_981_039_346_656_037
        for byte in text.utf8 { h = (h ^ UInt64(byte)) &* 1_099_511_628_211 }
        return h
    }
}
