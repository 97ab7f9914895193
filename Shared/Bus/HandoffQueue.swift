import Foundation

/// A bounded queue that hands elements between a dedicated socket thread and async code
/// without blocking Swift's cooperative pool: threads may block (`put`, `takeBatch`),
/// async code awaits (`nextBatch`). Elements move in batches to keep hand-offs cheap.
public final class HandoffQueue<Element: Sendable>: @unchecked Sendable {
    // Safe: every stored property below is read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var buffer: [Element] = []
    private var waiter: CheckedContinuation<[Element]?, Never>?
    private var closed = false
    /// Threads blocked in `takeBatch` on an empty queue, and in `put` on a full one: a hand-off
    /// wakes (a futex call) only when someone waits, not on every element.
    private var takersWaiting = 0
    private var puttersWaiting = 0
    public let capacity: Int

    public init(capacity: Int) {
        self.capacity = capacity
        buffer.reserveCapacity(min(capacity, 4096))
    }

    /// Adds an element, blocking the calling thread while the queue is full. Call only from
    /// a dedicated thread. Returns false once the queue is closed.
    @discardableResult
    public func put(_ element: Element) -> Bool {
        put(contentsOf: [element])
    }

    /// Adds elements in order, blocking the calling thread while the queue is full. Call only
    /// from a dedicated thread. Returns false once the queue is closed.
    @discardableResult
    public func put(contentsOf elements: [Element]) -> Bool {
        var next = 0
        condition.lock()
        if let w = waiter, !elements.isEmpty {
            waiter = nil
            condition.unlock()
            w.resume(returning: elements)
            return true
        }
        while next < elements.count {
            while buffer.count >= capacity && !closed {
                puttersWaiting += 1
                condition.wait()
                puttersWaiting -= 1
            }
            if closed {
                condition.unlock()
                return false
            }
            let taken = min(capacity - buffer.count, elements.count - next)
            buffer.append(contentsOf: elements[next..<(next + taken)])
            next += taken
            if takersWaiting > 0 { condition.broadcast() }
            if let w = waiter {
                // An async consumer is waiting (only when the buffer was empty): hand it all.
                waiter = nil
                let batch = buffer
                buffer.removeAll(keepingCapacity: true)
                condition.unlock()
                w.resume(returning: batch)
                condition.lock()
            }
        }
        condition.unlock()
        return true
    }

    /// Adds an element without blocking; returns false when full or closed.
    public func offer(_ element: Element) -> Bool {
        offer(contentsOf: [element]) == 1
    }

    /// Adds elements without blocking, as many as fit; returns how many were added.
    public func offer(contentsOf elements: [Element]) -> Int {
        guard !elements.isEmpty else { return 0 }
        condition.lock()
        if let w = waiter {
            waiter = nil
            condition.unlock()
            w.resume(returning: elements)
            return elements.count
        }
        guard !closed else {
            condition.unlock()
            return 0
        }
        let room = max(0, capacity - buffer.count)
        let taken = min(room, elements.count)
        buffer.append(contentsOf: elements.prefix(taken))
        if taken > 0 && takersWaiting > 0 { condition.broadcast() }
        condition.unlock()
        return taken
    }

    /// Async consumers: everything queued, waiting (without blocking a thread) when empty.
    /// Returns nil once closed and drained.
    public func nextBatch() async -> [Element]? {
        await withCheckedContinuation { (continuation: CheckedContinuation<[Element]?, Never>) in
            condition.lock()
            if !buffer.isEmpty {
                let batch = buffer
                buffer.removeAll(keepingCapacity: true)
                if puttersWaiting > 0 { condition.broadcast() }
                condition.unlock()
                continuation.resume(returning: batch)
            } else if closed {
                condition.unlock()
                continuation.resume(returning: nil)
            } else {
                precondition(waiter == nil, "HandoffQueue has one async consumer")
                waiter = continuation
                condition.unlock()
            }
        }
    }

    /// Thread consumers: everything queued, blocking up to `timeout` seconds when empty.
    /// Returns [] on timeout, nil once closed and drained.
    public func takeBatch(timeout: TimeInterval) -> [Element]? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while buffer.isEmpty && !closed {
            takersWaiting += 1
            let signalled = condition.wait(until: deadline)
            takersWaiting -= 1
            if !signalled { return [] }
        }
        if buffer.isEmpty { return nil }
        let batch = buffer
        buffer.removeAll(keepingCapacity: true)
        if puttersWaiting > 0 { condition.broadcast() }
        return batch
    }

    /// Whether a thread is blocked in `takeBatch` / in `put` (for tests of the wake-ups).
    var hasTakerWaiting: Bool {
        condition.lock()
        defer { condition.unlock() }
        return takersWaiting > 0
    }
    var hasPutterWaiting: Bool {
        condition.lock()
        defer { condition.unlock() }
        return puttersWaiting > 0
    }

    public var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return buffer.count
    }

    /// Wakes every waiter; later puts fail, takes drain what is left and then return nil.
    public func close() {
        condition.lock()
        closed = true
        let w = waiter
        waiter = nil
        condition.broadcast()
        condition.unlock()
        w?.resume(returning: nil)
    }
}
