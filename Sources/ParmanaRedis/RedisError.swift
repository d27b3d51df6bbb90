/// Every failure the Redis client reports. All public `async` APIs of this module throw exactly this type
/// (`throws(RedisError)`), except URL parsing, which throws ``RedisURL/ParseError``.
///
/// Retry guidance:
/// - ``connectionRefused(_:)`` and ``connectFailed(_:)``: the command was never sent; retrying is safe.
/// - ``timeout`` and ``connectionClosed``: the command may or may not have been executed by the server.
/// - ``server(_:)``: the server executed (or rejected) the command and answered with an error reply.
/// - ``protocol(_:)``: the byte stream could not be understood; the connection has been closed.
public enum RedisError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Nothing listens at the address (TCP `ECONNREFUSED`). The payload is `"host:port"`.
    case connectionRefused(String)

    /// The connection could not be established for another reason: name resolution failed, the TCP connect
    /// did not finish within the connect timeout, or the AUTH/SELECT handshake did not complete.
    /// The payload is a human-readable explanation.
    case connectFailed(String)

    /// A command did not receive its reply within the per-command timeout. The connection it was sent on has been
    /// closed, and every other command pending on that connection failed with `.timeout` too, because replies
    /// are matched to commands in order and that order can no longer be trusted.
    case timeout

    /// The connection was closed (by the server, the network, or ``RedisConnection/close()`` /
    /// ``RedisClient/close()``) before the reply arrived. Partially received replies are discarded.
    case connectionClosed

    /// The server answered with an error reply. The payload is the error text without the leading `-`,
    /// e.g. `"NOSCRIPT No matching script. Please use EVAL."`. See ``serverErrorKind``.
    case server(String)

    /// The server sent bytes that are not valid RESP2 or that exceed the decoder's limits
    /// (see ``RESPDecoder/Limits``), or replied when no command was pending. The connection has been closed.
    case `protocol`(String)

    /// For ``server(_:)``: the first word of the error text, by Redis convention the error kind
    /// (`"ERR"`, `"WRONGTYPE"`, `"NOSCRIPT"`, `"NOAUTH"`, `"WRONGPASS"`, ...). `nil` for every other case.
    public var serverErrorKind: String? {
        guard case .server(let message) = self else { return nil }
        return message.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true).first.map(String.init)
    }

    public var description: String {
        switch self {
        case .connectionRefused(let address): "Redis connection refused by \(address)"
        case .connectFailed(let reason): "Redis connect failed: \(reason)"
        case .timeout: "Redis command timed out"
        case .connectionClosed: "Redis connection closed before the reply arrived"
        case .server(let message): "Redis server error: \(message)"
        case .protocol(let reason): "Redis protocol error: \(reason)"
        }
    }
}
