import Foundation
import ParmanaCore
import ParmanaRedis
import ParmanaRuntime

/// `parmana init --dir D2 --join D1 --node-id NAME` (SPEC §17, docs/deployment.md): a
/// workspace for a new node of D1's cluster. It shares D1's trust store, policies, API
/// tokens and store settings (config copied with its own `node_id`, and a new `log_id`
/// unless the nodes share one PostgreSQL log),
/// and has its own attestation key (roles attestation, checkpoint), trusted from now in
/// the trust store of both workspaces, with this binary's manifest registered under it.
/// Refuses when D2 exists or D1 is not a workspace; D1 changes only once D2 is complete
/// and has opened its store.
public enum WorkspaceJoiner {
    /// What was made.
    public struct Joined: Sendable {
        public var workspace: Workspace
        public var cluster: Workspace
        public var nodeID: String
        public var logID: String
        public var attestationKeyID: String
        public var runtimeHash: String
        public var policies: [String]
        /// The shared replay store, without its password.
        public var replayStore: String?
        /// Why the store setting differs from D1's, if it does.
        public var storeNote: String?
        public var auditEntries: Int

        public var json: JSONValue {
            var o = JSONObject([
                ("dir", .string(workspace.root)), ("joined", .string(cluster.root)), ("node_id", .string(nodeID)),
                ("log_id", .string(logID)), ("attestation_key_id", .string(attestationKeyID)), ("runtime_hash", .string(runtimeHash)),
                ("policies", .array(policies.map(JSONValue.string))), ("audit_entries", .number(Double(auditEntries))),
                ("trust_stores_updated", .array([.string(cluster.trust), .string(workspace.trust)])),
            ])
            o["replay_store"] = replayStore.map(JSONValue.string) ?? .null
            return .object(o)
        }

        public var text: String {
            var lines = [
                "Joined node \(nodeID) to the cluster of \(cluster.root) in \(workspace.root)",
                "  attestation key \(attestationKeyID) (also signs checkpoints), trusted in \(cluster.trust) and \(workspace.trust)",
                "  log_id          \(logID)",
                "  runtime_hash    \(runtimeHash)",
                "  shared          trust store, \(policies.count) policies, API tokens, store settings",
                "  replay store    \(replayStore ?? "none (set replay_store in both config.json files for topology A)")",
                "  audit log       \(auditEntries) entries (runtime_started, policy_loaded)",
            ]
            if let storeNote { lines.append("  note            \(storeNote)") }
            lines.append("Copy \(cluster.trust) to every other node of the cluster (docs/deployment.md).")
            return lines.joined(separator: "\n")
        }
    }

    /// Makes `ws` a node of `cluster`'s cluster named `nodeID`. Errors: `invalid_config`
    /// (bad node id, `ws` exists, `cluster` is not a workspace or has `nodeID` itself),
    /// `io_error`, and whatever opening the new node's store raises (`store_unavailable`
    /// when its replay store is unreachable); on any error `ws` is removed and `cluster`
    /// is unchanged.
    public static func join(_ ws: Workspace, cluster: Workspace, nodeID: String, progress: (String) -> Void) async throws(ParmanaError) -> Joined {
        guard WorkspaceConfig.isNodeID(nodeID) else {
            throw ParmanaError(.invalidConfig, "--node-id \(nodeID): must match [a-z0-9][a-z0-9._-]{0,63}")
        }
        if FileIO.exists(ws.root) {
            throw ParmanaError(.invalidConfig, "\(ws.root) already exists; a joining node gets a new directory")
        }
        guard FileIO.exists(cluster.config), FileIO.exists(cluster.trust) else {
            throw ParmanaError(.invalidConfig, "\(cluster.root) is not a workspace (no config.json or trust.json); --join names an existing node's workspace")
        }
        // D1's own file, without this process's PARMANA_* overrides (they are checked, not copied).
        let shared = try WorkspaceConfig(json: try FileIO.readJSON(cluster.config))
        _ = try shared.applying(overrides: CLIContext.current.overrides)
        guard shared.nodeID != nodeID else {
            throw ParmanaError(.invalidConfig, "--node-id \(nodeID) is the node id of \(cluster.root); every node needs its own")
        }
        let trust = try WorkspaceRuntime.loadTrust(cluster)
        // Every joined node's key is labelled with its node id in the shared trust store: a
        // second node under one id would take the first one's in-flight claims for its own
        // (start-up reconciliation would release them) and break exactly-once.
        if trust.keys.contains(where: { $0.label == nodeID }) {
            throw ParmanaError(.invalidConfig, "--node-id \(nodeID) is already a node of this cluster (a key labelled \(nodeID) is in \(cluster.trust)); every node needs its own id")
        }
        let policies = PolicyFiles.installed(cluster)
        guard !policies.isEmpty else { throw ParmanaError(.invalidConfig, "\(cluster.policies) has no policies to share") }

        // Nothing of a half-made node is left behind: D2 goes if any step fails, and D1
        // changes only at the end.
        let made: (key: SigningKey, manifest: Envelope, trustBytes: [UInt8], config: WorkspaceConfig, storeNote: String?, size: Int)
        do throws(ParmanaError) {
            made = try await build(ws, cluster: cluster, nodeID: nodeID, shared: shared, trust: trust, policies: policies, progress: progress)
        } catch {
            try? FileManager.default.removeItem(atPath: ws.root)
            throw error
        }
        let (key, manifest, trustBytes, config, storeNote, size) = made
        progress("trusting the new key in \(cluster.trust)")
        try FileIO.write(trustBytes, to: cluster.trust)
        return Joined(workspace: ws, cluster: cluster, nodeID: nodeID, logID: config.logID, attestationKeyID: key.keyID,
                      runtimeHash: RuntimeManifest.identityHash(of: manifest.payload), policies: policies,
                      replayStore: config.replayStore.map { (try? RedisURL($0))?.description ?? "(not a Redis URL)" },
                      storeNote: storeNote, auditEntries: size)
    }

    /// Makes D2 completely (keys, trust store, policies, tokens, config) and opens its
    /// store once; D1 is only read.
    static func build(_ ws: Workspace, cluster: Workspace, nodeID: String, shared: WorkspaceConfig, trust loaded: TrustStore,
                      policies: [String], progress: (String) -> Void) async throws(ParmanaError)
        -> (key: SigningKey, manifest: Envelope, trustBytes: [UInt8], config: WorkspaceConfig, storeNote: String?, size: Int) {
        var trust = loaded
        let now = SystemClock().now()
        try FileIO.createDirectory(ws.root, mode: 0o700)
        try FileIO.createDirectory(ws.keys, mode: 0o700)
        try FileIO.createDirectory(ws.tokens, mode: 0o700)
        try FileIO.createDirectory(ws.policies)
        try FileIO.createDirectory(ws.data, mode: 0o700)
        progress("creating this node's attestation key")
        let key = SigningKey(roles: [.attestation, .checkpoint])
        try FileIO.write(KeyFile.encode(key), to: ws.keys + "/attestation.key", mode: 0o600, overwrite: false)
        try trust.add(TrustedKey(publicKey: key.publicKey, roles: [.attestation, .checkpoint], validFrom: now, label: nodeID))
        let manifest = Envelope.sign(Provenance.manifest(keyID: key.keyID).json, with: key)
        try trust.register(manifest: manifest)
        let trustBytes = PrettyJSON.bytes(trust.json)
        try FileIO.write(trustBytes, to: ws.trust)

        progress("copying the policies and API tokens")
        for f in policies { try FileIO.write(try FileIO.read(cluster.policies + "/" + f), to: ws.policies + "/" + f) }
        let tokenFiles = ((try? FileManager.default.contentsOfDirectory(atPath: cluster.tokens)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        for f in tokenFiles { try FileIO.write(try FileIO.read(cluster.tokens + "/" + f), to: ws.tokens + "/" + f, mode: 0o600) }

        var config = shared
        var rng = SystemRandomNumberGenerator()
        // Topology A: each node has its own log, so its own log_id. Topology B: the nodes
        // append to one log, whose checkpoints name one log_id: keep D1's.
        if !WorkspaceRuntime.isSharedLog(config.store) {
            config.logID = "parmana-" + Hex.encode((0..<8).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
        config.nodeID = nodeID
        config.attestationKey = "keys/attestation.key"
        config.checkpointKey = "keys/attestation.key"
        var storeNote: String?
        if config.store.hasPrefix("sqlite:"), String(config.store.dropFirst("sqlite:".count)).hasPrefix("/") {
            // An absolute path is D1's own log file: each node keeps its own.
            storeNote = "\(cluster.root) logs to \(config.store); this node logs to its own sqlite:data/parmana.sqlite"
            config.store = "sqlite:data/parmana.sqlite"
        }
        try FileIO.write(PrettyJSON.bytes(config.json), to: ws.config, mode: 0o600)

        progress("opening this node's store")
        let size = try await WorkspaceRuntime.with(ws) { (runtime) throws(ParmanaError) in
            do throws(StoreError) { return try await runtime.store.size() } catch { throw ParmanaError(error) }
        }
        return (key, manifest, trustBytes, config, storeNote, size)
    }
}
