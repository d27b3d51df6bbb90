/// Where and how to connect: address, credentials, database and timeouts. Shared by ``RedisConnection`` and
/// ``RedisClient``.
public struct RedisConfiguration: Sendable, Hashable {
    /// Host name or IP address literal (IPv6 without brackets), e.g. `"127.0.0.1"`.
    public var host: String
    /// TCP port, 1...65535. Default 6379.
    public var port: Int
    /// ACL user name for `AUTH username password`. `nil` with a password sends the legacy `AUTH password`
    /// (the `default` user). Ignored without a password.
    public var username: String?
    /// Password for `AUTH`; `nil` sends no `AUTH`.
    public var password: String?
    /// Logical database chosen with `SELECT` right after connecting; `0` (the default) sends no `SELECT`.
    public var database: Int
    /// Longest wait for the TCP connection to be established. Default 5 s.
    /// The AUTH/SELECT handshake that follows is bounded by ``commandTimeout``.
    public var connectTimeout: Duration
    /// Longest wait for each command's reply, measured from the moment it is written. When it passes, the
    /// connection is closed and every command pending on it fails with ``RedisError/timeout``. Default 5 s.
    /// Blocking commands (`BLPOP`, `WAIT`, ...) need a timeout longer than their own.
    public var commandTimeout: Duration
    /// Limits applied when decoding replies.
    public var decoderLimits: RESPDecoder.Limits

    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        connectTimeout: Duration = .seconds(5),
        commandTimeout: Duration = .seconds(5),
        decoderLimits: RESPDecoder.Limits = .default
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.decoderLimits = decoderLimits
    }

    /// Address, credentials and database from `url`; timeouts and limits as given.
    public init(
        url: RedisURL,
        connectTimeout: Duration = .seconds(5),
        commandTimeout: Duration = .seconds(5),
        decoderLimits: RESPDecoder.Limits = .default
    ) {
        self.init(
            host: url.host, port: url.port, username: url.username, password: url.password,
            database: url.database, connectTimeout: connectTimeout, commandTimeout: commandTimeout,
            decoderLimits: decoderLimits
        )
    }

    /// `"host:port"`, with brackets around IPv6 literals.
    public var address: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
