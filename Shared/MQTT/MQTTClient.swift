import CMosquitto
import Foundation
import SpasmBus
import SpasmErrors
import SpasmSync
import Synchronization

/// One libmosquitto client on its own thread (libmosquitto handles, like ZeroMQ sockets, are
/// used from one thread only here, and its network loop blocks): the thread connects,
/// reconnects with backoff, runs `mosquitto_loop`, and hands what arrives to async code
/// through `events`. Async code publishes and subscribes through a command queue the thread
/// drains; both await the broker's acknowledgement without blocking the cooperative pool.
public final class MQTTClient: Sendable {
    public let settings: MQTTClientSettings
    private let shared: Shared
    private let thread: SocketThread

    /// State the client thread and async callers share.
    fileprivate final class Shared: Sendable {
        let events: HandoffQueue<MQTTEvent>
        let commands = Locked<[Command]>([])
        let stopped = Atomic<Bool>(false)
        let connected = Atomic<Bool>(false)
        init(capacity: Int) { events = HandoffQueue(capacity: capacity) }
    }

    fileprivate enum Command: Sendable {
        case publish(MQTTMessage, SocketThread.Handshake)
        case subscribe(String, Int32, SocketThread.Handshake)
    }

    /// Starts the client thread, which keeps connecting until `stop()`; a broker that is down
    /// is retried with backoff, never an error here. Throws only on settings libmosquitto
    /// rejects (a CA file it cannot use, a bad client id).
    public init(settings: MQTTClientSettings, eventCapacity: Int = 10_000) async throws {
        MQTTLibrary.initialize()
        self.settings = settings
        let shared = Shared(capacity: eventCapacity)
        self.shared = shared
        let ready = SocketThread.Handshake()
        thread = SocketThread(name: "mqtt-\(settings.clientId)") {
            MQTTLoop.run(settings: settings, shared: shared, ready: ready)
        }
        do {
            try await ready.value()
        } catch {
            await thread.joinAsync()
            throw error
        }
    }

    /// Connection changes and messages, in order; nil once stopped and drained.
    public func nextEvents() async -> [MQTTEvent]? { await shared.events.nextBatch() }

    public var isConnected: Bool { shared.connected.load(ordering: .acquiring) }

    /// Publishes and waits until the broker has it (PUBACK for QoS 1, PUBCOMP for 2; written
    /// to the socket for 0). While disconnected the message waits for the connection. Throws
    /// when the connection drops before the acknowledgement (the caller re-sends: at least once)
    /// or the client stops.
    public func publish(_ message: MQTTMessage) async throws {
        guard (0...2).contains(message.qos) else {
            throw SpasmError(.mqtt, "MQTT QoS \(message.qos) is not allowed: use 0, 1 or 2.", detail: "qos")
        }
        let done = SocketThread.Handshake()
        try enqueue(.publish(message, done))
        try await done.value()
    }

    /// Subscribes (now and after every reconnect) and waits for the broker's SUBACK.
    public func subscribe(_ filter: String, qos: Int32 = 1) async throws {
        let done = SocketThread.Handshake()
        try enqueue(.subscribe(filter, qos, done))
        try await done.value()
    }

    private func enqueue(_ command: Command) throws {
        guard !shared.stopped.load(ordering: .acquiring) else { throw MQTTLoop.stoppedError }
        shared.commands.withLock { $0.append(command) }
    }

    /// Disconnects cleanly (the broker does not fire the last will: publish the offline state
    /// first), stops the thread and ends `nextEvents`.
    public func stop() async {
        shared.stopped.store(true, ordering: .releasing)
        await thread.joinAsync()
    }
}

/// MOSQ_ERR_SUCCESS as the Int32 every libmosquitto call returns.
let mosquittoSuccess = Int32(MOSQ_ERR_SUCCESS.rawValue)

/// `mosquitto_lib_init` once per process.
enum MQTTLibrary {
    private static let initialized: Bool = {
        mosquitto_lib_init()
        return true
    }()
    static func initialize() { _ = initialized }
}

/// Everything the client thread owns; only that thread touches it (libmosquitto calls the
/// callbacks from inside `mosquitto_loop`, on the same thread), so it needs no lock.
private final class MQTTLoop {
    let settings: MQTTClientSettings
    let shared: MQTTClient.Shared
    var handle: OpaquePointer?
    /// Acknowledgements awaited, by message id.
    var awaiting: [Int32: SocketThread.Handshake] = [:]
    /// Filters to subscribe again after every reconnect (clean sessions forget them).
    var subscriptions: [String: Int32] = [:]
    var isConnected = false
    var lastDisconnect: String?
    var lastReported: String?

    static let stoppedError = SpasmError(.mqtt, "The MQTT client was stopped before the broker acknowledged.", detail: "stopped")

    init(settings: MQTTClientSettings, shared: MQTTClient.Shared) {
        self.settings = settings
        self.shared = shared
    }

    static func run(settings: MQTTClientSettings, shared: MQTTClient.Shared, ready: SocketThread.Handshake) {
        let loop = MQTTLoop(settings: settings, shared: shared)
        defer {
            loop.close()
            shared.events.close()
        }
        do {
            try loop.open()
        } catch {
            ready.fail(error)
            return
        }
        ready.succeed()
        loop.runUntilStopped()
    }

    func open() throws(SpasmError) {
        let pointer = Unmanaged.passUnretained(self).toOpaque()
        guard let h = mosquitto_new(settings.clientId, true, pointer) else {
            throw .mqttSetting("libmosquitto could not make a client with id \"\(settings.clientId)\" (errno \(errno)).", detail: "client_id")
        }
        handle = h
        if let user = settings.username {
            try check(mosquitto_username_pw_set(h, user, settings.password), "setting the MQTT user name and password")
        }
        if settings.tls {
            if let caFile = settings.caFile {
                let rc = mosquitto_tls_set(h, caFile, nil, nil, nil, nil)
                if rc != mosquittoSuccess {
                    throw .mqttSetting(
                        "libmosquitto cannot use \(caFile) as the MQTT CA file (\(String(cString: mosquitto_strerror(rc)))): give a readable PEM file.",
                        detail: "mqtt.ca_file")
                }
            } else {
                try check(mosquitto_int_option(h, MOSQ_OPT_TLS_USE_OS_CERTS, 1), "using the system's CA certificates for MQTT TLS")
            }
        }
        if let will = settings.will {
            let rc = will.payload.withUnsafeBytes { bytes in
                mosquitto_will_set(h, will.topic, Int32(bytes.count), bytes.baseAddress, will.qos, will.retain)
            }
            try check(rc, "setting the MQTT last will on \(will.topic)")
        }
        mosquitto_connect_callback_set(h) { _, object, rc in MQTTLoop.from(object).connected(rc) }
        mosquitto_disconnect_callback_set(h) { _, object, rc in MQTTLoop.from(object).disconnected(rc) }
        mosquitto_publish_callback_set(h) { _, object, mid in MQTTLoop.from(object).acknowledged(mid) }
        mosquitto_subscribe_callback_set(h) { _, object, mid, _, _ in MQTTLoop.from(object).acknowledged(mid) }
        mosquitto_message_callback_set(h) { _, object, message in
            guard let message else { return }
            MQTTLoop.from(object).received(message.pointee)
        }
    }

    static func from(_ object: UnsafeMutableRawPointer?) -> MQTTLoop {
        Unmanaged<MQTTLoop>.fromOpaque(object!).takeUnretainedValue()
    }

    private func check(_ rc: Int32, _ operation: String) throws(SpasmError) {
        if rc != mosquittoSuccess { throw .mosquitto(rc, operation) }
    }

    func runUntilStopped() {
        guard let h = handle else { return }
        var backoff = settings.reconnectMin
        var everConnected = false
        while !shared.stopped.load(ordering: .acquiring) {
            if !isConnected {
                lastDisconnect = nil
                let rc = everConnected ? mosquitto_reconnect(h) : mosquitto_connect(h, settings.host, Int32(settings.port), Int32(settings.keepAlive))
                if rc == mosquittoSuccess {
                    everConnected = true
                    // CONNACK arrives through the loop; give it up to the backoff to come.
                    let deadline = Date().addingTimeInterval(max(backoff, 2))
                    while !isConnected && lastDisconnect == nil && Date() < deadline && !shared.stopped.load(ordering: .acquiring) {
                        let rc = pump(h)
                        if rc != mosquittoSuccess {
                            if lastDisconnect == nil {
                                noteDisconnect(SpasmError.mosquitto(rc, "waiting for the MQTT broker \(settings.display) to answer").message)
                            }
                            break
                        }
                    }
                } else {
                    noteDisconnect(SpasmError.mosquitto(rc, "connecting to the MQTT broker \(settings.display)").message)
                }
                if !isConnected {
                    sleep(seconds: backoff)
                    backoff = min(backoff * 2, settings.reconnectMax)
                    lastDisconnect = nil
                    continue
                }
                backoff = settings.reconnectMin
            }
            drainCommands(h)
            let rc = pump(h)
            if rc != mosquittoSuccess && isConnected {
                isConnected = false
                shared.connected.store(false, ordering: .releasing)
                noteDisconnect(SpasmError.mosquitto(rc, "the connection to the MQTT broker \(settings.display)").message)
            }
        }
        if isConnected {
            mosquitto_disconnect(h)
            // Let the DISCONNECT leave.
            _ = pump(h)
        }
        failAwaiting(Self.stoppedError)
        for command in shared.commands.withLock({ q -> [MQTTClient.Command] in
            defer { q = [] }
            return q
        }) {
            switch command {
            case .publish(_, let done), .subscribe(_, _, let done): done.fail(Self.stoppedError)
            }
        }
    }

    /// One turn of libmosquitto's network loop, waiting up to 50 ms with poll(2). Not
    /// `mosquitto_loop`: it waits with select(2), which cannot take a descriptor numbered
    /// FD_SETSIZE (1,024) or above, and then fails on every call with "invalid arguments", so
    /// a process with many open files would never see the broker's CONNACK. Reading and
    /// writing errors close the connection and call the disconnect callback, as there.
    private func pump(_ h: OpaquePointer) -> Int32 {
        let socket = mosquitto_socket(h)
        guard socket >= 0 else { return Int32(MOSQ_ERR_NO_CONN.rawValue) }
        var wanted = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        if mosquitto_want_write(h) { wanted.events |= Int16(POLLOUT) }
        let ready = poll(&wanted, 1, 50)
        if ready < 0 && errno != EINTR { return Int32(MOSQ_ERR_ERRNO.rawValue) }
        if ready > 0 {
            if wanted.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                let rc = mosquitto_loop_read(h, 1)
                if rc != mosquittoSuccess { return rc }
            }
            if wanted.revents & Int16(POLLOUT) != 0 {
                let rc = mosquitto_loop_write(h, 1)
                if rc != mosquittoSuccess { return rc }
            }
        }
        return mosquitto_loop_misc(h)
    }

    private func sleep(seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline && !shared.stopped.load(ordering: .acquiring) { usleep(50_000) }
    }

    private func drainCommands(_ h: OpaquePointer) {
        let commands = shared.commands.withLock { q -> [MQTTClient.Command] in
            defer { q = [] }
            return q
        }
        for command in commands {
            var mid: Int32 = 0
            switch command {
            case .publish(let message, let done):
                let rc = message.payload.withUnsafeBytes { bytes in
                    mosquitto_publish(h, &mid, message.topic, Int32(bytes.count), bytes.baseAddress, message.qos, message.retain)
                }
                if rc != mosquittoSuccess {
                    done.fail(SpasmError.mosquitto(rc, "publishing to \(message.topic)"))
                } else if message.qos == 0 {
                    done.succeed()
                } else {
                    awaiting[mid] = done
                }
            case .subscribe(let filter, let qos, let done):
                subscriptions[filter] = qos
                let rc = mosquitto_subscribe(h, &mid, filter, qos)
                if rc != mosquittoSuccess {
                    done.fail(SpasmError.mosquitto(rc, "subscribing to \(filter)"))
                } else {
                    awaiting[mid] = done
                }
            }
        }
    }

    // MARK: libmosquitto callbacks (inside mosquitto_loop, on this thread)

    func connected(_ rc: Int32) {
        guard rc == 0 else {
            noteDisconnect(SpasmError.mqttRefused(rc, broker: settings.display).message)
            return
        }
        isConnected = true
        lastReported = nil
        shared.connected.store(true, ordering: .releasing)
        if let h = handle {
            for (filter, qos) in subscriptions { mosquitto_subscribe(h, nil, filter, qos) }
        }
        shared.events.put(.connected)
    }

    func disconnected(_ rc: Int32) {
        let wasConnected = isConnected
        isConnected = false
        shared.connected.store(false, ordering: .releasing)
        if wasConnected && !shared.stopped.load(ordering: .acquiring) {
            var why = String(cString: mosquitto_strerror(rc))
            while why.hasSuffix(".") { why.removeLast() }
            noteDisconnect("The connection to the MQTT broker \(settings.display) was lost (\(why)).")
        }
    }

    private func noteDisconnect(_ reason: String) {
        lastDisconnect = reason
        // What was sent but not acknowledged may be lost: the senders re-send.
        failAwaiting(SpasmError(.mqtt, reason + " The message was not acknowledged; it will be sent again.", detail: "disconnected"))
        // A broker that stays down is reported once, not on every retry.
        if reason != lastReported { shared.events.put(.disconnected(reason: reason)) }
        lastReported = reason
    }

    private func failAwaiting(_ error: SpasmError) {
        let waiting = awaiting
        awaiting = [:]
        for done in waiting.values { done.fail(error) }
    }

    func acknowledged(_ mid: Int32) {
        awaiting.removeValue(forKey: mid)?.succeed()
    }

    func received(_ message: mosquitto_message) {
        let topic = message.topic.map { String(cString: $0) } ?? ""
        let payload = message.payload.map { Data(bytes: $0, count: Int(message.payloadlen)) } ?? Data()
        shared.events.put(.message(MQTTMessage(topic: topic, payload: payload, qos: message.qos, retain: message.retain)))
    }

    func close() {
        if let h = handle { mosquitto_destroy(h) }
        handle = nil
    }
}
