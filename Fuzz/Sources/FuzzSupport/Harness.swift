// Fixed keys, trust store, example policies and a deterministic in-memory runtime, so
// that every run of a target sees the same world and every finding replays.
import Foundation
import ParmanaCore
import ParmanaRuntime

public enum Harness {
    /// The repository root, found from this file (Fuzz/Sources/FuzzSupport/Harness.swift).
    public static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(4)
        return parts.joined(separator: "/")
    }()

    public static let epoch = Timestamp("2026-01-01T00:00:00.000Z")!
    public static let noon = Timestamp("2026-11-23T12:00:00.123Z")!

    static func key(_ byte: UInt8, _ roles: [Role], approverID: String? = nil) -> SigningKey {
        try! SigningKey(seed: Array(repeating: byte, count: 32), roles: roles, approverID: approverID)
    }

    public static let attestationKey = key(1, [.attestation])
    public static let alice = key(2, [.approver], approverID: "alice@example.com")
    public static let bob = key(3, [.approver], approverID: "bob@example.com")
    public static let policyKey = key(4, [.policy])
    public static let checkpointKey = key(5, [.checkpoint])
    /// A key the trust store does not know.
    public static let strangerKey = key(6, [.attestation, .approver, .policy, .checkpoint], approverID: "mallory@example.com")

    public static let manifest: Envelope = Envelope.sign(
        RuntimeManifest(version: "0.1.0", executableSHA256: String(repeating: "ab", count: 32), keyID: attestationKey.keyID).json,
        with: attestationKey)

    public static let trust: TrustStore = {
        var t = TrustStore()
        try! t.add(TrustedKey(publicKey: attestationKey.publicKey, roles: [.attestation], validFrom: epoch, label: "node-a"))
        try! t.add(TrustedKey(publicKey: alice.publicKey, roles: [.approver], validFrom: epoch, approverID: "alice@example.com"))
        try! t.add(TrustedKey(publicKey: bob.publicKey, roles: [.approver], validFrom: epoch,
                              validUntil: Timestamp("2027-01-01T00:00:00.000Z")!, approverID: "bob@example.com"))
        try! t.add(TrustedKey(publicKey: policyKey.publicKey, roles: [.policy], validFrom: epoch))
        try! t.add(TrustedKey(publicKey: checkpointKey.publicKey, roles: [.checkpoint], validFrom: epoch))
        try! t.register(manifest: manifest)
        return t
    }()

    /// The signing key of the harness for a key id (nil for an unknown id).
    public static func signingKey(for keyID: String) -> SigningKey? {
        [attestationKey, alice, bob, policyKey, checkpointKey, strangerKey].first { $0.keyID == keyID }
    }

    static func read(_ path: String) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { fatalError("cannot read \(path)") }
        return Array(data)
    }

    /// The example policy files, in name order: (name, document bytes, case signals).
    public static let examples: [(name: String, bytes: [UInt8], cases: [JSONValue])] = {
        let dir = root + "/examples/policies"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".json") && !$0.hasSuffix(".cases.json") }.sorted().map { name in
            let base = String(name.dropLast(5))
            let cases = (try? JSONParser().parse(read(dir + "/" + base + ".cases.json")))?.arrayValue ?? []
            return (base, read(dir + "/" + name), cases.compactMap { $0["signals"] })
        }
    }()

    /// The example policies, signed with the policy key and compiled.
    public static let policies: [LoadedPolicy] = examples.map { ex in
        let policy = try! Policy(json: try! JSONParser().parse(ex.bytes))
        return try! LoadedPolicy(json: LoadedPolicy.sign(policy, with: policyKey).json, trust: trust, requireSigned: true)
    }

    /// A fresh in-memory runtime on the fixed keys, with every example policy loaded, at noon.
    public static func runtime() async -> Runtime {
        var registry = PolicyRegistry()
        for p in policies { try! registry.add(p) }
        let rt = Runtime(RuntimeConfiguration(
            store: MemoryEvidenceStore(), trust: trust, signer: attestationKey, checkpointSigner: checkpointKey,
            clock: ManualClock(noon), ids: SequentialExecutionIDs(), manifest: manifest, logID: "fuzz"), policies: registry)
        try! await rt.start()
        return rt
    }

    /// Replaces the signature of every envelope-shaped object in `value` (an object with
    /// exactly an object `payload` and a `signature`) with a valid one by the harness key
    /// its payload names, so that fuzzing reaches the checks behind the signature. The
    /// stranger key signs when the key id is unknown.
    public static func resign(_ value: JSONValue) -> JSONValue {
        switch value {
        case .array(let items): return .array(items.map(resign))
        case .object(let o):
            var out = o
            for m in o.members { out[m.key] = resign(m.value) }
            if case .object(let payload)? = out["payload"], out["signature"] != nil, out.count == 2 {
                let key = signingKey(for: payload["key_id"]?.stringValue ?? "") ?? strangerKey
                out["signature"] = .string(Base64.encode(key.sign(CanonicalJSON.bytes(.object(payload)))))
            }
            return .object(out)
        default: return value
        }
    }
}
