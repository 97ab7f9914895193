import ZeroMQ

/// The CLI process's one ZeroMQ context for its requests (diary, sensors, store queries);
/// it lives as long as the process, whose end closes everything.
enum ProcessContext {
    static let shared = ZMQContext()
}
