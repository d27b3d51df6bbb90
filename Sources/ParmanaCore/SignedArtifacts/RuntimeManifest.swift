/// `parmana.runtime-manifest/v1` (SPEC §9): what binary decided, and with which semantics.
public struct RuntimeManifest: Sendable, Hashable {
    public var runtime: String
    public var version: String
    public var executableSHA256: String
    public var keyID: String

    /// The fixed semantics of this implementation.
    public static let semantics: JSONValue = [
        "canonicalization": "RFC8785", "policy_language": "parmana.policy/v1",
        "signature": "Ed25519", "hash": "SHA-256",
    ]

    public init(runtime: String = "parmana", version: String, executableSHA256: String, keyID: String) {
        self.runtime = runtime
        self.version = version
        self.executableSHA256 = executableSHA256
        self.keyID = keyID
    }

    public init(json: JSONValue) throws(ParmanaError) {
        var r = try FieldReader(json, pointer: "/payload")
        _ = try r.oneOf("type", [PayloadType.runtimeManifest])
        runtime = try r.string("runtime")
        version = try r.string("version")
        executableSHA256 = try r.hash("executable_sha256")
        var s = try r.object("semantics")
        for k in ["canonicalization", "policy_language", "signature", "hash"] { _ = try s.string(k) }
        try s.finish()
        guard JSONValue.object(s.object) == RuntimeManifest.semantics else {
            throw r.error("semantics", "unsupported semantics")
        }
        keyID = try r.keyID()
        try r.finish()
    }

    public var json: JSONValue {
        [
            "type": .string(PayloadType.runtimeManifest), "runtime": .string(runtime), "version": .string(version),
            "executable_sha256": .string(executableSHA256), "semantics": RuntimeManifest.semantics,
            "key_id": .string(keyID),
        ]
    }

    /// `runtime_hash = hex(sha256(JCS(manifest without key_id)))`.
    public var runtimeHash: String { RuntimeManifest.identityHash(of: json) }

    /// Hash of a payload without its `key_id`: the identity of content that exists before
    /// anyone signs it (policies, runtime manifests; SPEC §2.3).
    public static func identityHash(of payload: JSONValue) -> String {
        guard case .object(var o) = payload else { return Hashing.canonicalHash(payload) }
        o["key_id"] = nil
        return Hashing.canonicalHash(.object(o))
    }
}
