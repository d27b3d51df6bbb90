import Synchronization

/// Thread-safe map from Lua script source to the SHA1 digest the server returned for it from `SCRIPT LOAD`.
///
/// Used by ``RedisCommandExecutor/evalSHA(script:keys:args:)`` so that each script is loaded once per cache and
/// afterwards sent by digest only. The digest does not depend on the server, so one cache may be shared by
/// connections to different servers; a server that lost its script cache (restart, `SCRIPT FLUSH`) is handled by
/// the `EVAL` fallback.
public final class RedisScriptCache: Sendable {
    private let digests = Mutex<[String: String]>([:])

    public init() {}

    /// The cached 40-character hex SHA1 of `script`, if it was loaded through this cache.
    public func sha(for script: String) -> String? {
        digests.withLock { $0[script] }
    }

    /// Records `sha` as the digest of `script`.
    public func store(sha: String, for script: String) {
        digests.withLock { $0[script] = sha }
    }

    /// Forgets every digest.
    public func removeAll() {
        digests.withLock { $0.removeAll() }
    }
}
