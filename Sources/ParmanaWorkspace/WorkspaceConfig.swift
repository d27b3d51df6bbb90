import ParmanaCore
import ParmanaRuntime

/// `DIR/config.json` (`parmana.config/v1`), documented in docs/configuration.md.
public struct WorkspaceConfig: Sendable {
    public struct Token: Sendable {
        public var name: String
        public var sha256: String
        public var roles: [String]
        /// When `parmana token add` made it (nil for tokens written by hand).
        public var createdAt: Timestamp?

        public init(name: String, sha256: String, roles: [String], createdAt: Timestamp? = nil) {
            self.name = name
            self.sha256 = sha256
            self.roles = roles
            self.createdAt = createdAt
        }
    }

    public var listen: String
    /// Back end by URL: `sqlite:RELATIVE_OR_ABSOLUTE_PATH` or `memory:`.
    public var store: String
    public var requireSignedPolicies: Bool
    public var logID: String
    /// Private key files, relative to the workspace.
    public var attestationKey: String
    public var checkpointKey: String
    public var tokens: [Token]
    public var maxBodyBytes: Int
    public var requestTimeoutSeconds: Int
    /// This node's name (SPEC §17): `[a-z0-9][a-z0-9._-]{0,63}`; default derived from `log_id`.
    public var nodeID: String
    /// Which signals are kept for approvers (SPEC §19.4); default `pending`.
    public var retainSignals: RetainSignals
    /// Longest time between the log growing and a checkpoint covering it (SPEC §16.2).
    public var checkpointIntervalSeconds: Int
    /// How long a store may take before a decision fails closed (SPEC §17.4).
    public var storeTimeoutMilliseconds: Int
    /// The server's certificate chain and private key (PEM files, relative to the
    /// workspace or absolute); both or neither.
    public var tlsCert: String?
    public var tlsKey: String?
    /// Allows `serve` to listen on a non-loopback address without TLS (logged).
    public var allowPlaintext: Bool
    /// Decisions being decided at once; past it, `503 overloaded` with `Retry-After`.
    public var maxInflight: Int
    /// Open connections at once; past it, new connections wait in the accept queue.
    public var maxConnections: Int
    /// The replay store shared by the nodes of topology A (SPEC §17.1):
    /// `redis://[user:password@]HOST:PORT[/DB]`; nil: the evidence store consumes
    /// fingerprints itself.
    public var replayStore: String?
    /// Accept a replay store that may lose claims (SPEC §17.3); logged and recorded.
    public var replayStoreUnsafe: Bool
    /// Replicas that must acknowledge each claim (`WAIT`); 0: none.
    public var replayStoreReplicas: Int
    /// The prefix of every key in the replay store (default `parmana:`).
    public var replayStorePrefix: String

    public static let type = "parmana.config/v1"

    public init(listen: String = "127.0.0.1:8080", store: String = "sqlite:data/parmana.sqlite", requireSignedPolicies: Bool = true,
                logID: String, attestationKey: String = "keys/attestation.key", checkpointKey: String = "keys/attestation.key",
                tokens: [Token] = [], maxBodyBytes: Int = JSONParser.defaultMaxBytes, requestTimeoutSeconds: Int = 30,
                nodeID: String? = nil, retainSignals: RetainSignals = .pending, checkpointIntervalSeconds: Int = 10,
                storeTimeoutMilliseconds: Int = 2000, replayStore: String? = nil, replayStoreUnsafe: Bool = false,
                replayStoreReplicas: Int = 0, replayStorePrefix: String = WorkspaceConfig.defaultReplayStorePrefix) {
        self.listen = listen
        self.store = store
        self.requireSignedPolicies = requireSignedPolicies
        self.logID = logID
        self.attestationKey = attestationKey
        self.checkpointKey = checkpointKey
        self.tokens = tokens
        self.maxBodyBytes = maxBodyBytes
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.nodeID = nodeID ?? WorkspaceConfig.defaultNodeID(logID: logID)
        self.retainSignals = retainSignals
        self.checkpointIntervalSeconds = checkpointIntervalSeconds
        self.storeTimeoutMilliseconds = storeTimeoutMilliseconds
        tlsCert = nil
        tlsKey = nil
        allowPlaintext = false
        maxInflight = WorkspaceConfig.defaultMaxInflight
        maxConnections = WorkspaceConfig.defaultMaxConnections
        self.replayStore = replayStore
        self.replayStoreUnsafe = replayStoreUnsafe
        self.replayStoreReplicas = replayStoreReplicas
        self.replayStorePrefix = replayStorePrefix
    }

    /// Enough to keep two cores busy through several group commits, small enough that
    /// an admitted decision never waits long.
    public static let defaultMaxInflight = 512
    public static let defaultMaxConnections = 1024

    public static let defaultReplayStorePrefix = "parmana:"

    /// `node_id` when none is configured: the log id, lower-cased and cut to the syntax.
    public static func defaultNodeID(logID: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789._-")
        var id = String(logID.lowercased().filter { allowed.contains($0) }.prefix(64))
        if id.isEmpty || !(id.first!.isLetter || id.first!.isNumber) { id = "n" + id.prefix(63) }
        return id
    }

    /// `[a-z0-9][a-z0-9._-]{0,63}`.
    public static func isNodeID(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard (1...64).contains(u.count) else { return false }
        func alnum(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) }
        return alnum(u[0]) && u.dropFirst().allSatisfy { alnum($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }
    }

    public init(json: JSONValue) throws(ParmanaError) {
        var r = try FieldReader(json, code: .invalidConfig)
        _ = try r.oneOf("type", [WorkspaceConfig.type])
        listen = try r.string("listen")
        store = try r.string("store")
        requireSignedPolicies = try r.bool("require_signed_policies")
        logID = try r.string("log_id")
        attestationKey = try r.string("attestation_key")
        checkpointKey = try r.string("checkpoint_key")
        var ts: [Token] = []
        for (i, t) in try r.array("tokens").enumerated() {
            var tr = try FieldReader(t, pointer: "/tokens/\(i)", code: .invalidConfig)
            let name = try tr.string("name")
            let hash = try tr.hash("sha256")
            let roles = try tr.array("roles").compactMap(\.stringValue)
            let created = try tr.optionalTimestamp("created_at")
            try tr.finish()
            ts.append(Token(name: name, sha256: hash, roles: roles, createdAt: created))
        }
        tokens = ts
        maxBodyBytes = try r.integer("max_body_bytes")
        requestTimeoutSeconds = try r.integer("request_timeout_seconds")
        nodeID = try r.optionalString("node_id") ?? WorkspaceConfig.defaultNodeID(logID: logID)
        guard WorkspaceConfig.isNodeID(nodeID) else { throw r.error("node_id", "must match [a-z0-9][a-z0-9._-]{0,63}") }
        let retain = try r.optionalString("retain_signals") ?? "pending"
        guard let rs = RetainSignals(rawValue: retain) else { throw r.error("retain_signals", "must be pending, all or none") }
        retainSignals = rs
        checkpointIntervalSeconds = r.optional("checkpoint_interval_seconds") == nil ? 10 : try r.integer("checkpoint_interval_seconds")
        guard checkpointIntervalSeconds >= 1 else { throw r.error("checkpoint_interval_seconds", "must be at least 1") }
        storeTimeoutMilliseconds = r.optional("store_timeout_ms") == nil ? 2000 : try r.integer("store_timeout_ms")
        guard storeTimeoutMilliseconds >= 1 else { throw r.error("store_timeout_ms", "must be at least 1") }
        tlsCert = try r.optionalString("tls_cert")
        tlsKey = try r.optionalString("tls_key")
        guard (tlsCert == nil) == (tlsKey == nil) else { throw r.error("tls_key", "tls_cert and tls_key go together") }
        allowPlaintext = try r.optionalBool("allow_plaintext") ?? false
        maxInflight = r.optional("max_inflight") == nil ? WorkspaceConfig.defaultMaxInflight : try r.integer("max_inflight")
        guard maxInflight >= 1 else { throw r.error("max_inflight", "must be at least 1") }
        maxConnections = r.optional("max_connections") == nil ? WorkspaceConfig.defaultMaxConnections : try r.integer("max_connections")
        guard maxConnections >= 1 else { throw r.error("max_connections", "must be at least 1") }
        replayStore = r.optional("replay_store") == nil ? nil : try r.string("replay_store")
        if let url = replayStore, !url.hasPrefix("redis://") { throw r.error("replay_store", "must be a redis:// URL") }
        replayStoreUnsafe = r.optional("replay_store_unsafe") == nil ? false : try r.bool("replay_store_unsafe")
        replayStoreReplicas = r.optional("replay_store_replicas") == nil ? 0 : try r.integer("replay_store_replicas")
        guard replayStoreReplicas >= 0 else { throw r.error("replay_store_replicas", "must be 0 or more") }
        replayStorePrefix = r.optional("replay_store_prefix") == nil ? WorkspaceConfig.defaultReplayStorePrefix : try r.string("replay_store_prefix")
        try r.finish()
    }

    public var json: JSONValue {
        var o: JSONValue = [
            "type": .string(WorkspaceConfig.type), "listen": .string(listen), "store": .string(store),
            "require_signed_policies": .bool(requireSignedPolicies), "log_id": .string(logID),
            "attestation_key": .string(attestationKey), "checkpoint_key": .string(checkpointKey),
            "tokens": .array(tokens.map { t -> JSONValue in
                var o = JSONObject([("name", .string(t.name)), ("sha256", .string(t.sha256)), ("roles", .array(t.roles.map(JSONValue.string)))])
                if let c = t.createdAt { o["created_at"] = .string(c.description) }
                return .object(o)
            }),
            "max_body_bytes": .number(Double(maxBodyBytes)), "request_timeout_seconds": .number(Double(requestTimeoutSeconds)),
            "node_id": .string(nodeID), "retain_signals": .string(retainSignals.rawValue),
            "checkpoint_interval_seconds": .number(Double(checkpointIntervalSeconds)), "store_timeout_ms": .number(Double(storeTimeoutMilliseconds)),
        ]
        // Topology A's settings appear only when used, so a single node's file stays as it was.
        if case .object(var fields) = o {
            if let replayStore { fields["replay_store"] = .string(replayStore) }
            if replayStoreUnsafe { fields["replay_store_unsafe"] = .bool(true) }
            if replayStoreReplicas > 0 { fields["replay_store_replicas"] = .number(Double(replayStoreReplicas)) }
            if replayStorePrefix != WorkspaceConfig.defaultReplayStorePrefix { fields["replay_store_prefix"] = .string(replayStorePrefix) }
            o = .object(fields)
        }
        o = o.withOptional([
            ("tls_cert", tlsCert.map { .string($0) }), ("tls_key", tlsKey.map { .string($0) }),
            ("allow_plaintext", allowPlaintext ? .bool(true) : nil),
            ("max_inflight", maxInflight != WorkspaceConfig.defaultMaxInflight ? .number(Double(maxInflight)) : nil),
            ("max_connections", maxConnections != WorkspaceConfig.defaultMaxConnections ? .number(Double(maxConnections)) : nil),
        ])
        return o
    }

    /// The variables `applying(overrides:)` understands.
    public static let overrideNames = [
        "PARMANA_LISTEN", "PARMANA_STORE", "PARMANA_REQUIRE_SIGNED_POLICIES", "PARMANA_MAX_BODY_BYTES",
        "PARMANA_REQUEST_TIMEOUT_SECONDS", "PARMANA_LOG_LEVEL", "PARMANA_TOKEN", "PARMANA_NODE_ID", "PARMANA_RETAIN_SIGNALS",
        "PARMANA_CHECKPOINT_INTERVAL_SECONDS", "PARMANA_STORE_TIMEOUT_MS", "PARMANA_TLS_CERT", "PARMANA_TLS_KEY",
        "PARMANA_ALLOW_PLAINTEXT", "PARMANA_MAX_INFLIGHT", "PARMANA_MAX_CONNECTIONS", "PARMANA_REPLAY_STORE", "PARMANA_REPLAY_STORE_UNSAFE",
        "PARMANA_REPLAY_STORE_REPLICAS", "PARMANA_REPLAY_STORE_PREFIX",
    ]

    /// Variables of the test and service scripts (`scripts/services.sh`, `scripts/test.sh`:
    /// `PARMANA_TEST_*`, `PARMANA_SERVICES_*`, `PARMANA_SERVICE_USER`, `PARMANA_PG_BIN`),
    /// which `parmana` leaves alone rather than refusing as unknown settings: the tests run
    /// `parmana` with them in its environment.
    public static func isScriptVariable(_ name: String) -> Bool {
        name.hasPrefix("PARMANA_TEST_") || name.hasPrefix("PARMANA_SERVICES_") || name == "PARMANA_SERVICE_USER" || name == "PARMANA_PG_BIN"
    }

    /// This configuration with `PARMANA_*` overrides applied (read by `main`, passed in).
    /// A malformed or unknown override is `invalid_config`, never ignored.
    public func applying(overrides: [String: String]) throws(ParmanaError) -> WorkspaceConfig {
        var c = self
        for (name, value) in overrides.sorted(by: { $0.key < $1.key }) {
            func positive() throws(ParmanaError) -> Int {
                guard let n = Int(value), n > 0 else { throw ParmanaError(.invalidConfig, "\(name)=\(value): expected a positive integer") }
                return n
            }
            func boolean() throws(ParmanaError) -> Bool {
                switch value {
                case "true", "1", "yes": return true
                case "false", "0", "no": return false
                default: throw ParmanaError(.invalidConfig, "\(name)=\(value): expected true or false")
                }
            }
            switch name {
            case "PARMANA_LISTEN": c.listen = value
            case "PARMANA_STORE": c.store = value
            case "PARMANA_REQUIRE_SIGNED_POLICIES": c.requireSignedPolicies = try boolean()
            case "PARMANA_REPLAY_STORE":
                // Empty: no replay store (the evidence store consumes fingerprints itself).
                guard value.isEmpty || value.hasPrefix("redis://") else { throw ParmanaError(.invalidConfig, "\(name): expected a redis:// URL") }
                c.replayStore = value.isEmpty ? nil : value
            case "PARMANA_REPLAY_STORE_UNSAFE": c.replayStoreUnsafe = try boolean()
            case "PARMANA_REPLAY_STORE_REPLICAS":
                guard let n = Int(value), n >= 0 else { throw ParmanaError(.invalidConfig, "\(name)=\(value): expected 0 or a positive integer") }
                c.replayStoreReplicas = n
            case "PARMANA_REPLAY_STORE_PREFIX": c.replayStorePrefix = value
            case "PARMANA_MAX_BODY_BYTES": c.maxBodyBytes = try positive()
            case "PARMANA_REQUEST_TIMEOUT_SECONDS": c.requestTimeoutSeconds = try positive()
            case "PARMANA_NODE_ID":
                guard WorkspaceConfig.isNodeID(value) else { throw ParmanaError(.invalidConfig, "\(name)=\(value): must match [a-z0-9][a-z0-9._-]{0,63}") }
                c.nodeID = value
            case "PARMANA_RETAIN_SIGNALS":
                guard let rs = RetainSignals(rawValue: value) else { throw ParmanaError(.invalidConfig, "\(name)=\(value): expected pending, all or none") }
                c.retainSignals = rs
            case "PARMANA_CHECKPOINT_INTERVAL_SECONDS": c.checkpointIntervalSeconds = try positive()
            case "PARMANA_STORE_TIMEOUT_MS": c.storeTimeoutMilliseconds = try positive()
            case "PARMANA_TLS_CERT": c.tlsCert = value
            case "PARMANA_TLS_KEY": c.tlsKey = value
            case "PARMANA_ALLOW_PLAINTEXT":
                switch value {
                case "true", "1", "yes": c.allowPlaintext = true
                case "false", "0", "no": c.allowPlaintext = false
                default: throw ParmanaError(.invalidConfig, "\(name)=\(value): expected true or false")
                }
            case "PARMANA_MAX_INFLIGHT": c.maxInflight = try positive()
            case "PARMANA_MAX_CONNECTIONS": c.maxConnections = try positive()
            case "PARMANA_LOG_LEVEL", "PARMANA_TOKEN": break  // read by `serve` and by `--server` clients
            default:
                throw ParmanaError(.invalidConfig, "unknown setting \(name); known: PARMANA_DIR, \(WorkspaceConfig.overrideNames.joined(separator: ", "))")
            }
        }
        return c
    }
}

extension JSONValue {
    /// This object with the given members added where their value is not nil.
    func withOptional(_ members: [(String, JSONValue?)]) -> JSONValue {
        guard case .object(var o) = self else { return self }
        for (k, v) in members { if let v { o[k] = v } }
        return .object(o)
    }
}
