import ParmanaCore

/// Limits and identities of the governance API, passed in as a value.
public struct APISettings: Sendable {
    /// Bearer tokens (by SHA-256) and their roles.
    public var tokens: [APIToken]
    /// Largest accepted request body; larger is `too_large` (413).
    public var maxBodyBytes: Int
    /// How long a client may take to send its request (body included); slower is
    /// `request_timeout` (408). Idle keep-alive connections close after twice this (at least 60 s).
    /// A decision that has started committing always completes: a timeout never turns a
    /// durable decision into an error.
    public var requestTimeout: Duration
    /// A directory holding the RFC 8785 vector files the console's self-test page runs
    /// (served at `/console/vectors/jcs/NAME`); nil serves none. For tests.
    public var consoleVectorsDirectory: String?
    /// Decisions in flight at once; past it, `503 overloaded` with `Retry-After`, at once.
    public var maxInflight: Int

    public init(tokens: [APIToken], maxBodyBytes: Int = JSONParser.defaultMaxBytes, requestTimeout: Duration = .seconds(30),
                consoleVectorsDirectory: String? = nil, maxInflight: Int = 512) {
        self.tokens = tokens
        self.maxBodyBytes = maxBodyBytes
        self.requestTimeout = requestTimeout
        self.consoleVectorsDirectory = consoleVectorsDirectory
        self.maxInflight = maxInflight
    }
}
