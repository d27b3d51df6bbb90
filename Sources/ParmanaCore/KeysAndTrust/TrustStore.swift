/// The set of keys and runtimes a verifier trusts (`parmana.trust-store/v1`, SPEC §10).
public struct TrustStore: Sendable {
    /// A registered runtime release: its hash and signed manifest.
    public struct Runtime: Sendable {
        public var runtimeHash: String
        public var manifest: Envelope
        public init(runtimeHash: String, manifest: Envelope) {
            self.runtimeHash = runtimeHash
            self.manifest = manifest
        }
    }

    public private(set) var keys: [TrustedKey] { didSet { refreshKnownRuntimes() } }
    public private(set) var runtimes: [Runtime] { didSet { refreshKnownRuntimes() } }
    /// Runtime hashes whose manifests verified; computed when keys or runtimes change.
    private var knownRuntimes: Set<String> = []

    public init(keys: [TrustedKey] = [], runtimes: [Runtime] = []) {
        self.keys = keys
        self.runtimes = runtimes
        refreshKnownRuntimes()
    }

    /// Strictly decodes a trust store document.
    public init(json: JSONValue) throws(ParmanaError) {
        var r = try FieldReader(json)
        _ = try r.oneOf("type", [PayloadType.trustStore])
        var ks: [TrustedKey] = []
        for (n, k) in try r.array("keys").enumerated() {
            let key = try TrustedKey(json: k, pointer: "/keys/\(n)")
            guard !ks.contains(where: { $0.keyID == key.keyID }) else {
                throw ParmanaError(.malformedPayload, "/keys/\(n): key \(key.keyID) is listed twice")
            }
            ks.append(key)
        }
        var rts: [Runtime] = []
        for (n, v) in (r.optional("runtimes")?.arrayValue ?? []).enumerated() {
            var e = try FieldReader(v, pointer: "/runtimes/\(n)")
            let hash = try e.hash("runtime_hash")
            let manifest = try Envelope(json: try e.required("manifest"))
            try e.finish()
            let m = try RuntimeManifest(json: manifest.payload)
            guard m.runtimeHash == hash else {
                throw e.error("runtime_hash", "does not match the manifest")
            }
            rts.append(Runtime(runtimeHash: hash, manifest: manifest))
        }
        try r.finish()
        keys = ks
        runtimes = rts
        refreshKnownRuntimes()
    }

    public var json: JSONValue {
        [
            "type": .string(PayloadType.trustStore),
            "keys": .array(keys.map(\.json)),
            "runtimes": .array(runtimes.map { ["runtime_hash": .string($0.runtimeHash), "manifest": $0.manifest.json] }),
        ]
    }

    public func key(_ keyID: String) -> TrustedKey? { keys.first { $0.keyID == keyID } }

    /// Adds a key; throws if its id is already present.
    public mutating func add(_ key: TrustedKey) throws(ParmanaError) {
        guard self.key(key.keyID) == nil else { throw ParmanaError(.invalidRequest, "key \(key.keyID) is already in the trust store") }
        keys.append(key)
    }

    /// Closes a key's validity window at `until` (rotation). Past signatures keep verifying.
    public mutating func close(_ keyID: String, at until: Timestamp) throws(ParmanaError) {
        guard let i = keys.firstIndex(where: { $0.keyID == keyID }) else {
            throw ParmanaError(.untrustedKey, "key \(keyID) is not in the trust store")
        }
        guard until >= keys[i].validFrom else { throw ParmanaError(.invalidRequest, "the window would end before it starts") }
        keys[i].validUntil = until
    }

    /// Registers a signed runtime manifest. The manifest must verify under a trusted
    /// `attestation` key.
    public mutating func register(manifest: Envelope) throws(ParmanaError) {
        let m = try RuntimeManifest(json: manifest.payload)
        guard let key = key(m.keyID), key.roles.contains(.attestation) else {
            throw ParmanaError(.untrustedKey, "the manifest's key \(m.keyID) is not a trusted attestation key")
        }
        guard signatureVerifies(manifest) else {
            throw ParmanaError(.invalidSignature, "the manifest's signature does not verify")
        }
        runtimes.removeAll { $0.runtimeHash == m.runtimeHash }
        runtimes.append(Runtime(runtimeHash: m.runtimeHash, manifest: manifest))
    }

    /// Whether `runtimeHash` is registered with a manifest that verifies under a trusted
    /// `attestation` key.
    public func isKnownRuntime(_ runtimeHash: String) -> Bool {
        knownRuntimes.contains(runtimeHash)
    }

    private mutating func refreshKnownRuntimes() {
        knownRuntimes = Set(runtimes.filter { rt in
            guard let m = try? RuntimeManifest(json: rt.manifest.payload),
                  m.runtimeHash == rt.runtimeHash, let k = key(m.keyID), k.roles.contains(.attestation) else { return false }
            return signatureVerifies(rt.manifest)
        }.map(\.runtimeHash))
    }

    /// Whether the envelope's `key_id` is in the store and its signature verifies over
    /// `signedBytes` (default: JCS of the payload). Roles and windows are checked by
    /// ``trustError(keyID:type:at:approverID:)``.
    public func signatureVerifies(_ envelope: Envelope, signedBytes: [UInt8]? = nil) -> Bool {
        guard let key = key(envelope.keyID) else { return false }
        return key.publicKey.isValidSignature(envelope.signature, for: signedBytes ?? envelope.signedBytes)
    }

    /// Checks that `envelope` was signed by a key trusted for its type at `time`.
    /// Returns nil when trusted, or the `untrusted_key` error.
    public func trustError(keyID: String, type: String, at time: Timestamp?, approverID: String? = nil) -> ParmanaError? {
        guard let key = key(keyID) else {
            return ParmanaError(.untrustedKey, "key \(keyID) is not in the trust store")
        }
        guard let role = Role.required(forPayloadType: type), key.roles.contains(role) else {
            return ParmanaError(.untrustedKey, "key \(keyID) lacks the role to sign \(type)")
        }
        if let time, !key.isValid(at: time) {
            return ParmanaError(.untrustedKey, "key \(keyID) was not valid at \(time)")
        }
        if role == .approver, key.approverID != approverID {
            return ParmanaError(.untrustedKey, "key \(keyID) belongs to another approver")
        }
        return nil
    }
}
