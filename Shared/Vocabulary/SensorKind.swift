/// A wearable's signal type, shared by the wire (`kind` of a sensor frame), detection,
/// recordings and the simulator.
/// - `imu`: 3-axis accelerometer, samples interleaved `x, y, z` in g.
/// - `emg`: one surface-EMG channel in mV.
public enum SensorKind: String, Sendable, Codable, CaseIterable {
    case imu, emg

    /// Interleaved values per sample.
    public var channels: Int { self == .imu ? 3 : 1 }
}
