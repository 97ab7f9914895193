/// Per-sample ground truth recorded only when a test asks for it
/// (`SignalSimulator.enableTruthLog()`); never used by the generator itself.
struct TruthLog: Sendable {
    /// IMU: |dynamic acceleration| in g (gravity removed, noise excluded).
    /// EMG: activation RMS as a multiple of the quiet RMS (floor and hum).
    var dynamic: [Float] = []
    /// Activity / event code per sample (see `code(_:)`).
    var activity: [UInt8] = []
    /// IMU: angular rate of the limb in rad/s, drift excluded.
    var omega: [Float] = []

    static func code(_ a: IMUEngine.Activity) -> UInt8 {
        switch a {
        case .rest: 0
        case .walk: 1
        case .gesture: 2
        case .setDown: 3
        case .vibration: 4
        }
    }
    static func code(_ k: EpisodeKind) -> UInt8 {
        switch k {
        case .phasic: 10
        case .clonus: 11
        case .tonic: 12
        case .fall: 13
        }
    }
}
