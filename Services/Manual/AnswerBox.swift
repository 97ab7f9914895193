import Foundation

/// One answer passed from an async task to a waiting socket thread (never a thread of the
/// cooperative pool): the diary desk is an actor, the request socket's thread is not.
final class AnswerBox: @unchecked Sendable {
    // Safe: `value` is only touched while `condition` is locked.
    private let condition = NSCondition()
    private var value: Data?

    /// Runs `work` as a task and blocks the calling (socket) thread until it has answered.
    static func wait(_ work: @escaping @Sendable () async -> Data) -> Data {
        let box = AnswerBox()
        Task { box.set(await work()) }
        return box.wait()
    }

    func set(_ data: Data) {
        condition.lock()
        value = data
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks the calling (socket) thread until the answer is set.
    func wait() -> Data {
        condition.lock()
        defer { condition.unlock() }
        while value == nil { condition.wait() }
        return value!
    }
}
