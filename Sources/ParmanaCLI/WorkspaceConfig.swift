import ParmanaCore

/// `DIR/config.json` (`parmana.config/v1`), documented in docs/configuration.md.
public struct WorkspaceConfig: Sendable {
    public struct Token: Sendable {
        public var name: String
        public var sha256: String
        public var roles: [String]
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

    public static let type = "parmana.config/v1"

    public init(listen: String = "127.0.0.1:8080", store: String = "sqlite:data/parmana.sqlite", requireSignedPolicies: Bool = true,
                logID: String, attestationKey: String = "keys/attestation.key", checkpointKey: String = "keys/attestation.key",
                tokens: [Token] = [], maxBodyBytes: Int = JSONParser.defaultMaxBytes, requestTimeoutSeconds: Int = 30) {
        self.listen = listen
        self.store = store
        self.requireSignedPolicies = requireSignedPolicies
        self.logID = logID
        self.attestationKey = attestationKey
        self.checkpointKey = checkpointKey
        self.tokens = tokens
        self.maxBodyBytes = maxBodyBytes
        self.requestTimeoutSeconds = requestTimeoutSeconds
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
            try tr.finish()
            ts.append(Token(name: name, sha256: hash, roles: roles))
        }
        tokens = ts
        maxBodyBytes = try r.integer("max_body_bytes")
        requestTimeoutSeconds = try r.integer("request_timeout_seconds")
        try r.finish()
    }

    public var json: JSONValue {
        [
            "type": .string(WorkspaceConfig.type), "listen": .string(listen), "store": .string(store),
            "require_signed_policies": .bool(requireSignedPolicies), "log_id": .string(logID),
            "attestation_key": .string(attestationKey), "checkpoint_key": .string(checkpointKey),
            "tokens": .array(tokens.map { ["name": .string($0.name), "sha256": .string($0.sha256), "roles": .array($0.roles.map(JSONValue.string))] }),
            "max_body_bytes": .number(Double(maxBodyBytes)), "request_timeout_seconds": .number(Double(requestTimeoutSeconds)),
        ]
    }

    /// The variables `applying(overrides:)` understands.
    public static let overrideNames = [
        "PARMANA_LISTEN", "PARMANA_STORE", "PARMANA_REQUIRE_SIGNED_POLICIES", "PARMANA_MAX_BODY_BYTES",
        "PARMANA_REQUEST_TIMEOUT_SECONDS", "PARMANA_LOG_LEVEL", "PARMANA_TOKEN",
    ]

    /// This configuration with `PARMANA_*` overrides applied (read by `main`, passed in).
    /// A malformed or unknown override is `invalid_config`, never ignored.
    public func applying(overrides: [String: String]) throws(ParmanaError) -> WorkspaceConfig {
        var c = self
        for (name, value) in overrides.sorted(by: { $0.key < $1.key }) {
            func positive() throws(ParmanaError) -> Int {
                guard let n = Int(value), n > 0 else { throw ParmanaError(.invalidConfig, "\(name)=\(value): expected a positive integer") }
                return n
            }
            switch name {
            case "PARMANA_LISTEN": c.listen = value
            case "PARMANA_STORE": c.store = value
            case "PARMANA_REQUIRE_SIGNED_POLICIES":
                switch value {
                case "true", "1", "yes": c.requireSignedPolicies = true
                case "false", "0", "no": c.requireSignedPolicies = false
                default: throw ParmanaError(.invalidConfig, "\(name)=\(value): expected true or false")
                }
            case "PARMANA_MAX_BODY_BYTES": c.maxBodyBytes = try positive()
            case "PARMANA_REQUEST_TIMEOUT_SECONDS": c.requestTimeoutSeconds = try positive()
            case "PARMANA_LOG_LEVEL", "PARMANA_TOKEN": break  // read by `serve` and by `--server` clients
            default:
                throw ParmanaError(.invalidConfig, "unknown setting \(name); known: PARMANA_DIR, \(WorkspaceConfig.overrideNames.joined(separator: ", "))")
            }
        }
        return c
    }
}
