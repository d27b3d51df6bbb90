import Foundation
import ParmanaCore

/// Where and how ``PostgresEvidenceStore`` connects (SPEC §17: `store` /
/// `PARMANA_STORE` = `postgres://USER[:PASSWORD]@HOST:PORT/DB`, and `store_timeout_ms`).
///
/// The URL takes one optional query parameter, `sslmode` = `disable`, `prefer` (the
/// default: TLS with full certificate verification when the server offers it) or
/// `require`. User and password may be percent-encoded. Anything else in the URL is
/// refused (`invalid_config`), so a typo never falls back silently.
public struct PostgresStoreConfiguration: Sendable, Equatable {
    public enum TLSMode: String, Sendable, Equatable {
        case disable, prefer, require
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// Bound on every store operation (SPEC §17.4, `store_timeout_ms`, default 2000).
    /// Also the session's `statement_timeout` and `lock_timeout`, so that the server
    /// gives up on what the client has given up on.
    public var timeoutMilliseconds: Int
    /// Connections of this node's pool (one writer at a time, the rest for reads).
    public var maximumConnections: Int

    public init(host: String, port: Int = 5432, username: String, password: String? = nil, database: String,
                tls: TLSMode = .prefer, timeoutMilliseconds: Int = 2000, maximumConnections: Int = 4) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
        self.timeoutMilliseconds = timeoutMilliseconds
        self.maximumConnections = maximumConnections
    }

    /// Whether a store URL names PostgreSQL (`postgres://` or `postgresql://`).
    public static func isPostgresURL(_ url: String) -> Bool {
        url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")
    }

    /// Parses `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=…]`.
    /// - Throws: `invalid_config` naming what is wrong (never echoing the password).
    public init(url: String, timeoutMilliseconds: Int = 2000) throws(ParmanaError) {
        func bad(_ why: String) -> ParmanaError {
            ParmanaError(.invalidConfig, "store: \(why); expected postgres://USER[:PASSWORD]@HOST:PORT/DB")
        }
        guard Self.isPostgresURL(url), let parts = URLComponents(string: url) else { throw bad("not a PostgreSQL URL") }
        guard let user = parts.user, !user.isEmpty else { throw bad("no user") }
        guard let host = parts.host, !host.isEmpty else { throw bad("no host") }
        var path = parts.path
        if path.hasPrefix("/") { path.removeFirst() }
        guard !path.isEmpty, !path.contains("/") else { throw bad("no database name") }
        guard parts.fragment == nil else { throw bad("a fragment is not allowed") }
        if let port = parts.port, !(1...65535).contains(port) { throw bad("port out of range") }
        guard timeoutMilliseconds >= 1 else { throw bad("store_timeout_ms must be at least 1") }
        var tls = TLSMode.prefer
        for item in parts.queryItems ?? [] {
            guard item.name == "sslmode", let v = item.value, let mode = TLSMode(rawValue: v) else {
                throw bad("unsupported parameter '\(item.name)' (only sslmode=disable|prefer|require)")
            }
            tls = mode
        }
        self.init(host: host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host, port: parts.port ?? 5432,
                  username: parts.percentEncodedUser.flatMap { $0.removingPercentEncoding } ?? user,
                  password: parts.percentEncodedPassword.flatMap { $0.removingPercentEncoding },
                  database: path.removingPercentEncoding ?? path, tls: tls, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// The URL without its password, for messages and logs.
    public var redactedURL: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)"
    }

    var timeout: Duration { .milliseconds(timeoutMilliseconds) }

    /// Session settings sent in the startup packet of every connection: durability
    /// (`synchronous_commit = on`), server-side bounds matching `store_timeout_ms`, and
    /// custom plans for prepared statements.
    var startupParameters: [(String, String)] {
        [
            ("application_name", "parmana"),
            ("synchronous_commit", "on"),
            ("statement_timeout", "\(timeoutMilliseconds)"),
            ("lock_timeout", "\(timeoutMilliseconds)"),
            // A node that stops talking mid-transaction must not hold the log lock for long.
            ("idle_in_transaction_session_timeout", "\(max(10_000, 5 * timeoutMilliseconds))"),
            // Prepared statements (the batch append) are planned for their parameters and the
            // tables' current size at every execution: a generic plan made while `replay` was
            // small scans it whole for every batch once it is large (measured: 1,564 batches
            // read 4.9 million rows; docs/performance.md).
            ("plan_cache_mode", "force_custom_plan"),
        ]
    }
}
