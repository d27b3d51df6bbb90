/// `parmana.runtime-start/v1`: a node's signed statement of how it started, logged as its
/// `runtime_started` record when a start needs more than the runtime manifest — today
/// when the shared replay store was accepted without durability guarantees
/// (`replay_store_unsafe: true`, SPEC §17.3). Signed by the node's `attestation` key;
/// the manifest it carries is the unchanged signed manifest envelope (SPEC §9), so
/// `runtime_hash` stays the binary's identity.
///
/// ```json
/// {"type": "parmana.runtime-start/v1",
///  "manifest": {"payload": {"type": "parmana.runtime-manifest/v1", …}, "signature": "…"},
///  "node_id": "node-a", "replay_store": "redis://10.0.0.5:6379/0",
///  "replay_store_unsafe": true, "unsafe_settings": ["maxmemory-policy allkeys-lru"],
///  "started_at": "2026-11-23T12:00:00.000Z", "key_id": "<32 hex>"}
/// ```
/// `replay_store` never carries a password. `unsafe_settings` names each durability
/// setting found unsafe at start-up (possibly none). A verifier checks the outer
/// signature (attestation role, key valid at `started_at`) and the manifest's own
/// signature (attestation role), and rejects unknown or missing fields
/// (`malformed_payload`).
public struct RuntimeStartPayload: Sendable, Equatable {
    public var manifest: Envelope
    public var nodeID: String
    public var replayStore: String
    public var replayStoreUnsafe: Bool
    public var unsafeSettings: [String]
    public var startedAt: Timestamp
    public var keyID: String

    public init(manifest: Envelope, nodeID: String, replayStore: String, replayStoreUnsafe: Bool = true, unsafeSettings: [String],
                startedAt: Timestamp, keyID: String) {
        self.manifest = manifest
        self.nodeID = nodeID
        self.replayStore = replayStore
        self.replayStoreUnsafe = replayStoreUnsafe
        self.unsafeSettings = unsafeSettings
        self.startedAt = startedAt
        self.keyID = keyID
    }

    /// Strictly decodes a payload, the embedded manifest envelope included
    /// (`malformed_payload`).
    public init(json: JSONValue) throws(ParmanaError) {
        var r = try FieldReader(json, pointer: "/payload")
        _ = try r.oneOf("type", [PayloadType.runtimeStart])
        manifest = try Envelope(json: try r.required("manifest"))
        _ = try RuntimeManifest(json: manifest.payload)
        nodeID = try r.string("node_id")
        replayStore = try r.string("replay_store")
        replayStoreUnsafe = try r.bool("replay_store_unsafe")
        var settings: [String] = []
        for (i, v) in try r.array("unsafe_settings").enumerated() {
            guard let s = v.stringValue else { throw r.error("unsafe_settings", "item \(i) must be a string") }
            settings.append(s)
        }
        unsafeSettings = settings
        startedAt = try r.timestamp("started_at")
        keyID = try r.keyID()
        try r.finish()
    }

    public var json: JSONValue {
        [
            "type": .string(PayloadType.runtimeStart), "manifest": manifest.json, "node_id": .string(nodeID),
            "replay_store": .string(replayStore), "replay_store_unsafe": .bool(replayStoreUnsafe),
            "unsafe_settings": .array(unsafeSettings.map(JSONValue.string)), "started_at": .string(startedAt.description),
            "key_id": .string(keyID),
        ]
    }
}
