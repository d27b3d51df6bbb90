/// Anything that can run Redis commands: a single ``RedisConnection`` or a pooled ``RedisClient``.
/// The typed helpers (``ping(_:)``, ``configGet(_:)``, ``wait(replicas:timeoutMilliseconds:)``,
/// ``scriptLoad(_:)``, ``evalSHA(script:keys:args:)``) are built on ``send(_:)``.
public protocol RedisCommandExecutor: Sendable {
    /// Sends one command (name first, e.g. `["GET", "k"]`) and returns its reply.
    /// An error reply is thrown as ``RedisError/server(_:)``.
    func send(_ command: [RedisArgument]) async throws(RedisError) -> RESPValue

    /// Sends several commands with one flush and returns their replies in order; error replies stay in the
    /// result as ``RESPValue/error(_:)``. Throws only connection-level failures.
    func pipeline(_ commands: [[RedisArgument]]) async throws(RedisError) -> [RESPValue]

    /// Digests of scripts loaded by ``evalSHA(script:keys:args:)`` and ``scriptLoad(_:)``.
    var scriptCache: RedisScriptCache { get }
}

extension RedisCommandExecutor {
    /// ``send(_:)`` for all-text commands: `send(["SET", key, value])` with `String` variables.
    public func send(_ command: [String]) async throws(RedisError) -> RESPValue {
        try await send(command.map(RedisArgument.init(_:)))
    }

    /// ``pipeline(_:)`` for all-text commands.
    public func pipeline(_ commands: [[String]]) async throws(RedisError) -> [RESPValue] {
        try await pipeline(commands.map { $0.map(RedisArgument.init(_:)) })
    }

    /// `PING` (returns `"PONG"`) or `PING message` (returns `message`).
    public func ping(_ message: String? = nil) async throws(RedisError) -> String {
        let command: [RedisArgument] = message.map { ["PING", .string($0)] } ?? ["PING"]
        let reply = try await send(command)
        guard let text = reply.string else { throw .protocol("unexpected PING reply \(reply)") }
        return text
    }

    /// `CONFIG GET pattern`: every matching parameter and its value, e.g.
    /// `configGet("appendfsync") == ["appendfsync": "everysec"]`. Glob patterns (`"maxmemory*"`) may match several;
    /// an unknown name yields an empty dictionary.
    public func configGet(_ pattern: String) async throws(RedisError) -> [String: String] {
        let reply = try await send(["CONFIG", "GET", .string(pattern)])
        guard let items = reply.array, items.count % 2 == 0 else {
            throw .protocol("unexpected CONFIG GET reply \(reply)")
        }
        var result: [String: String] = [:]
        for index in stride(from: 0, to: items.count, by: 2) {
            guard let name = items[index].string, let value = items[index + 1].string else {
                throw .protocol("unexpected CONFIG GET entry \(items[index]) \(items[index + 1])")
            }
            result[name] = value
        }
        return result
    }

    /// `WAIT numreplicas timeout`: blocks until the writes of this connection reached `replicas` replicas or
    /// `timeoutMilliseconds` passed (`0` = wait forever), and returns how many replicas acknowledged.
    /// The command timeout of the connection must exceed `timeoutMilliseconds`, or the call fails with
    /// ``RedisError/timeout``. Through a ``RedisClient``, it covers the writes sent on the same pooled connection
    /// only.
    public func wait(replicas: Int, timeoutMilliseconds: Int) async throws(RedisError) -> Int {
        let reply = try await send(["WAIT", .int(replicas), .int(timeoutMilliseconds)])
        guard case .integer(let count) = reply else { throw .protocol("unexpected WAIT reply \(reply)") }
        return count
    }

    /// `SCRIPT LOAD script`: stores the Lua script on the server and returns its 40-character hex SHA1, which
    /// is also recorded in ``scriptCache``.
    @discardableResult
    public func scriptLoad(_ script: String) async throws(RedisError) -> String {
        let reply = try await send(["SCRIPT", "LOAD", .string(script)])
        guard let sha = reply.string, sha.utf8.count == 40 else {
            throw .protocol("unexpected SCRIPT LOAD reply \(reply)")
        }
        scriptCache.store(sha: sha, for: script)
        return sha
    }

    /// Runs a Lua script by digest: `EVALSHA sha numkeys keys... args...`.
    ///
    /// The digest comes from ``scriptCache``; the first use of a script loads it with `SCRIPT LOAD` (one extra
    /// round trip). If the server answers `NOSCRIPT` (it restarted or ran `SCRIPT FLUSH`), the call falls back to
    /// `EVAL` with the full source once, which also puts the script back into the server's cache.
    ///
    /// - Returns: the script's reply.
    /// - Throws: ``RedisError/server(_:)`` for script errors (kind `ERR`), and the usual connection errors.
    public func evalSHA(
        script: String,
        keys: [RedisArgument] = [],
        args: [RedisArgument] = []
    ) async throws(RedisError) -> RESPValue {
        let sha: String
        if let cached = scriptCache.sha(for: script) {
            sha = cached
        } else {
            sha = try await scriptLoad(script)
        }
        let tail: [RedisArgument] = [.int(keys.count)] + keys + args
        do {
            return try await send(["EVALSHA", .string(sha)] + tail)
        } catch .server(let message) where RedisError.server(message).serverErrorKind == "NOSCRIPT" {
            return try await send(["EVAL", .string(script)] + tail)
        }
    }
}
