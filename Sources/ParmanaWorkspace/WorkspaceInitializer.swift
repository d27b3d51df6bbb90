import ParmanaCore
import ParmanaRuntime

/// Creates a complete, ready workspace (SPEC §14 layout). Used by `parmana init` and by
/// `parmana serve --init`; never touches an existing workspace.
public enum WorkspaceInitializer {
    /// The identity of the demo approver key `init` makes.
    public static let demoApproverID = "demo-approver@example.com"

    /// What was made.
    public struct Created: Sendable {
        public var workspace: Workspace
        public var attestationKeyID: String
        public var policyKeyID: String
        public var approverKeyID: String
        public var approverID: String
        public var runtimeHash: String
        public var token: String
        public var auditEntries: Int

        public var tokenFile: String { workspace.tokens + "/admin.token" }

        public var json: JSONValue {
            ["dir": .string(workspace.root), "runtime_hash": .string(runtimeHash), "attestation_key_id": .string(attestationKeyID),
             "token_file": .string(tokenFile), "policies": .array(ExamplePolicies.all.map { .string($0.name) }),
             "audit_entries": .number(Double(auditEntries))]
        }

        public var text: String {
            """
            Initialized workspace \(workspace.root)
              attestation key \(attestationKeyID) (also signs checkpoints)
              policy key      \(policyKeyID)
              demo approver   \(approverKeyID) (\(approverID))
              runtime_hash    \(runtimeHash)
              policies        \(ExamplePolicies.all.map(\.name).joined(separator: ", "))
              API token       \(tokenFile)
              audit log       \(auditEntries) entries (runtime_started, policy_loaded)
            """
        }
    }

    /// Makes the workspace; `nodeID` (SPEC §17) defaults to one derived from the new `log_id`.
    public static func create(_ ws: Workspace, approverID: String, nodeID: String? = nil,
                              progress: (String) -> Void) async throws(ParmanaError) -> Created {
        if FileIO.exists(ws.config) {
            throw ParmanaError(.invalidConfig, "\(ws.root) is already a workspace (config.json exists); choose another --dir")
        }
        if let nodeID, !WorkspaceConfig.isNodeID(nodeID) {
            throw ParmanaError(.invalidConfig, "--node-id \(nodeID): must match [a-z0-9][a-z0-9._-]{0,63}")
        }
        // Settings from the environment are checked before anything is written: a bad one
        // must not leave a half-made workspace behind.
        _ = try WorkspaceConfig(logID: "parmana-check").applying(overrides: CLIContext.current.overrides)
        let now = SystemClock().now()
        try FileIO.createDirectory(ws.root, mode: 0o700)
        try FileIO.createDirectory(ws.keys, mode: 0o700)
        try FileIO.createDirectory(ws.tokens, mode: 0o700)
        try FileIO.createDirectory(ws.policies)
        try FileIO.createDirectory(ws.data, mode: 0o700)
        progress("creating keys")
        let attestation = SigningKey(roles: [.attestation, .checkpoint])
        let policyKey = SigningKey(roles: [.policy])
        let approver = SigningKey(roles: [.approver], approverID: approverID)
        try FileIO.write(KeyFile.encode(attestation), to: ws.keys + "/attestation.key", mode: 0o600, overwrite: false)
        try FileIO.write(KeyFile.encode(policyKey), to: ws.keys + "/policy.key", mode: 0o600, overwrite: false)
        try FileIO.write(KeyFile.encode(approver), to: ws.keys + "/approver-demo.key", mode: 0o600, overwrite: false)

        progress("writing the trust store with this runtime's manifest")
        var trust = TrustStore()
        try trust.add(TrustedKey(publicKey: attestation.publicKey, roles: [.attestation, .checkpoint], validFrom: now, label: "attestation"))
        try trust.add(TrustedKey(publicKey: policyKey.publicKey, roles: [.policy], validFrom: now, label: "policy"))
        try trust.add(TrustedKey(publicKey: approver.publicKey, roles: [.approver], validFrom: now, label: "demo approver", approverID: approverID))
        let manifest = Envelope.sign(Provenance.manifest(keyID: attestation.keyID).json, with: attestation)
        try trust.register(manifest: manifest)
        try FileIO.write(PrettyJSON.bytes(trust.json), to: ws.trust)

        progress("signing the example policies")
        for (_, text) in ExamplePolicies.all {
            let policy = try Policy(json: try JSONParser().parse(Array(text.utf8)))
            let env = LoadedPolicy.sign(policy, with: policyKey)
            try FileIO.write(PrettyJSON.bytes(env.json), to: ws.policies + "/" + PolicyFiles.fileName(policy))
        }

        var tokenBytes = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in tokenBytes.indices { tokenBytes[i] = rng.next() }
        let token = "pmn_" + Hex.encode(tokenBytes)
        try FileIO.write(Array((token + "\n").utf8), to: ws.tokens + "/admin.token", mode: 0o600, overwrite: false)
        var logID = [UInt8](repeating: 0, count: 8)
        for i in logID.indices { logID[i] = rng.next() }
        let config = WorkspaceConfig(logID: "parmana-" + Hex.encode(logID),
                                     tokens: [.init(name: "admin", sha256: Hashing.sha256Hex(Array(token.utf8)), roles: ["admin"])],
                                     nodeID: nodeID)
        try FileIO.write(PrettyJSON.bytes(config.json), to: ws.config, mode: 0o600)

        progress("opening the store")
        let size = try await WorkspaceRuntime.with(ws) { (runtime) throws(ParmanaError) in
            do throws(StoreError) { return try await runtime.store.size() } catch { throw ParmanaError(error) }
        }
        return Created(workspace: ws, attestationKeyID: attestation.keyID, policyKeyID: policyKey.keyID, approverKeyID: approver.keyID,
                       approverID: approverID, runtimeHash: RuntimeManifest.identityHash(of: manifest.payload), token: token,
                       auditEntries: size)
    }
}
