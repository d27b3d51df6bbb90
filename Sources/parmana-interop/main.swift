// Development tool for the cross-checks in interop/:
//   parmana-interop emit OUT_DIR                     Swift-signed artifacts for the Python verifier
//   parmana-interop evaluate-batch POLICIES CASES    decisions for the differential test
//   parmana-interop yaml FILE                        JCS of the data model read from YAML, or {"error": CODE}
import Foundation
import ParmanaCore
import ParmanaYAML

let args = CommandLine.arguments
if args.count == 3, args[1] == "yaml" {
    let bytes = [UInt8](FileManager.default.contents(atPath: args[2]) ?? Data())
    do {
        FileHandle.standardOutput.write(Data(CanonicalJSON.bytes(try YAMLConverter.json(from: bytes)) + [0x0A]))
        exit(0)
    } catch {
        FileHandle.standardOutput.write(Data(CanonicalJSON.bytes(["error": .string(error.code.rawValue)]) + [0x0A]))
        exit(1)
    }
}
if args.count == 4, args[1] == "evaluate-batch" {
    evaluateBatch(policiesPath: args[2], casesPath: args[3])
    exit(0)
}
guard args.count == 3, args[1] == "emit" else {
    FileHandle.standardError.write(Data("usage: parmana-interop emit OUT_DIR | evaluate-batch POLICIES CASES | yaml FILE\n".utf8))
    exit(2)
}
let out = args[2]
try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)

func write(_ name: String, _ value: JSONValue) throws {
    try Data(PrettyJSON.bytes(value)).write(to: URL(fileURLWithPath: out + "/" + name))
}

let epoch = Timestamp("2026-01-01T00:00:00.000Z")!
let attestationKey = SigningKey(roles: [.attestation])
let approverKey = SigningKey(roles: [.approver], approverID: "alice@example.com")
var trust = TrustStore()
try trust.add(TrustedKey(publicKey: attestationKey.publicKey, roles: [.attestation], validFrom: epoch, label: "swift-node"))
try trust.add(TrustedKey(publicKey: approverKey.publicKey, roles: [.approver], validFrom: epoch, approverID: "alice@example.com"))
let manifest = Envelope.sign(
    RuntimeManifest(version: "0.1.0", executableSHA256: Hashing.sha256Hex(Array("parmana-interop".utf8)), keyID: attestationKey.keyID).json,
    with: attestationKey)
try trust.register(manifest: manifest)
let runtimeHash = RuntimeManifest.identityHash(of: manifest.payload)

// Signals with non-ASCII keys, numbers needing ES6 formatting and nested arrays.
let signals: JSONValue = [
    "payment_id": "pay_interop_1", "amount": 12000.75, "tiny": 1e-7, "huge": 1e21, "currency": "EUR",
    "kyc_verified": true, "tags": ["b2b", "über", "😀"], "\u{FB01}": 1, "😀": 2, "e\u{0301}": "decomposed",
]

func attestation(_ id: String, requiresOverride: Bool) -> Envelope {
    let p = AttestationPayload(
        executionID: id, executionFingerprint: Hashing.fingerprint(signals),
        policy: PolicyReference(policyID: "payments.release", version: "1.2.0", hash: Hashing.sha256Hex(Array("policy".utf8))),
        decision: Decision(action: .approve, requiresOverride: requiresOverride,
                           reason: requiresOverride ? "manual_review" : "within_limits",
                           ruleID: requiresOverride ? "large-or-risky" : "standard"),
        executionState: requiresOverride ? .pendingOverride : .completed,
        runtimeHash: runtimeHash, issuedAt: Timestamp("2026-11-23T12:00:00.123Z")!, keyID: attestationKey.keyID)
    return Envelope.sign(p.json, with: attestationKey)
}

let completed = attestation("0b7e7c52-3f0c-4a51-9a43-6c1f7b1e2d01", requiresOverride: false)
let pending = attestation("6f1d2a8e-9b3c-4d7e-8f10-2a3b4c5d6e7f", requiresOverride: true)
let override = Envelope.sign(OverridePayload(
    executionID: "6f1d2a8e-9b3c-4d7e-8f10-2a3b4c5d6e7f", attestationHash: pending.hash, resolution: .approve,
    reason: "verified by phone", approverID: "alice@example.com",
    resolvedAt: Timestamp("2026-11-23T12:05:00.000Z")!, keyID: approverKey.keyID).json, with: approverKey)
var tamperedSig = completed.signature
tamperedSig[5] ^= 1

try write("trust.json", trust.json)
try write("signals.json", signals)
try write("attestation.json", completed.json)
try write("attestation-pending.json", pending.json)
try write("override.json", override.json)
try write("attestation-tampered.json", Envelope(payload: completed.payload, signature: tamperedSig).json)
try write("hashes.json", ["attestation_hash": .string(completed.hash), "execution_fingerprint": .string(Hashing.fingerprint(signals)),
                          "runtime_hash": .string(runtimeHash)])
print("wrote Swift-signed artifacts to \(out)")

/// One output line per case: the canonical decision, or {"error": CODE}.
func evaluateBatch(policiesPath: String, casesPath: String) {
    let parser = JSONParser(maxBytes: 1 << 30)
    let policiesJSON = try! parser.parse(Array(FileManager.default.contents(atPath: policiesPath)!))
    let compiled: [CompiledPolicy?] = policiesJSON.arrayValue!.map { try? CompiledPolicy(Policy(json: $0)) }
    let text = FileManager.default.contents(atPath: casesPath)!
    var output: [UInt8] = []
    for line in text.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
        let c = try! JSONParser().parse(Array(line))
        let index = Int(c["p"]!.numberValue!)
        let result: JSONValue
        if let policy = compiled[index] {
            do { result = try policy.evaluate(c["signals"]!).json } catch { result = ["error": .string(error.code.rawValue)] }
        } else {
            result = ["error": "invalid_policy"]
        }
        output += CanonicalJSON.bytes(result)
        output.append(0x0A)
    }
    FileHandle.standardOutput.write(Data(output))
}
