/// Sizes for the sockets that answer requests (store queries, the diary's CLI requests,
/// producers). The code checks a request against its own limit and answers one that is too
/// large; libzmq's `ZMQ_MAXMSGSIZE`, set to `socketBytes`, is only a backstop. A message over
/// it never reaches the code: libzmq drops the peer's connection without a reply, and the
/// sender sees a timeout. So `socketBytes` is well above every checked limit.
public enum MessageLimits {
    /// `ZMQ_MAXMSGSIZE` of every request/reply socket: 8 MiB.
    public static let socketBytes = 8 << 20
    /// What one store query or diary request may be: 1 MiB.
    public static let requestBytes = 1 << 20

    /// "request is 2097152 bytes; at most 1048576 bytes are allowed".
    public static func tooLarge(_ what: String, bytes: Int, limit: Int) -> String {
        "\(what) is \(bytes) bytes; at most \(limit) bytes are allowed"
    }
}
