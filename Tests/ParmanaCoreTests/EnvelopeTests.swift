import Foundation
import ParmanaCore
import ParmanaTesting
import Testing

@Suite struct EnvelopeTests {
    static func kat() throws -> JSONValue {
        try JSONParser().parse(Array(try Data(contentsOf: URL(fileURLWithPath: RepoPaths.vector("attestation/kat.json")))))
    }

    @Test func knownAnswerVectors() throws {
        let doc = try Self.kat()
        let key = try SigningKey(seed: Hex.decode(doc["seed_hex"]!.stringValue!)!, roles: [.attestation])
        #expect(key.keyID == doc["key_id"]?.stringValue)
        #expect(key.publicKey.base64 == doc["public_key"]?.stringValue)
        #expect(Hashing.fingerprint(doc["signals"]!) == doc["execution_fingerprint"]?.stringValue)
        let cases = doc["cases"]?.arrayValue ?? []
        #expect(cases.count == 5)
        for c in cases {
            let name = c["name"]?.stringValue ?? "?"
            let payload = c["payload"]!
            #expect(CanonicalJSON.string(payload) == c["canonical_payload"]?.stringValue, "\(name)")
            #expect(Hashing.canonicalHash(payload) == c["payload_sha256"]?.stringValue, "\(name)")
            let env = Envelope.sign(payload, with: key)
            #expect(Base64.encode(env.signature) == c["signature"]?.stringValue, "\(name)")
            #expect(env.hash == c["envelope_sha256"]?.stringValue, "\(name)")
            if let identity = c["identity_hash"]?.stringValue {
                #expect(RuntimeManifest.identityHash(of: payload) == identity, "\(name)")
            }
        }
    }

    @Test func everyV1PayloadTypeDecodesStrictly() throws {
        let doc = try Self.kat()
        for c in doc["cases"]?.arrayValue ?? [] {
            let payload = c["payload"]!
            let decode: (JSONValue) throws -> Void
            switch c["name"]?.stringValue {
            case "attestation": decode = { _ = try AttestationPayload(json: $0) }
            case "override": decode = { _ = try OverridePayload(json: $0) }
            case "runtime_manifest": decode = { _ = try RuntimeManifest(json: $0) }
            case "checkpoint": decode = { _ = try CheckpointPayload(json: $0) }
            case "policy": continue  // decoded by the policy compiler
            default: Issue.record("unknown case"); continue
            }
            try decode(payload)
            guard case .object(let o) = payload else { continue }
            // Unknown field.
            var extra = o
            extra["surprise"] = 1
            #expect(throwsCode(.malformedPayload) { try decode(.object(extra)) }, "unknown field")
            for key in o.keys {
                // Missing field.
                var missing = o
                missing[key] = nil
                #expect(throwsCode(.malformedPayload) { try decode(.object(missing)) }, "missing \(key)")
                // Wrong type.
                var wrong = o
                wrong[key] = o[key]?.stringValue != nil ? .number(7) : .string("x")
                #expect(throwsCode(.malformedPayload) { try decode(.object(wrong)) }, "wrong type \(key)")
            }
        }
    }

    @Test func envelopeShapeIsStrict() throws {
        let f = Fixture()
        let env = f.attestation()
        guard case .object(var o) = env.json else { return }
        o["extra"] = true
        #expect(throwsCode(.malformedPayload) { _ = try Envelope(json: .object(o)) })
        o["extra"] = nil
        o["signature"] = "not-base64!"
        #expect(throwsCode(.invalidEncoding) { _ = try Envelope(json: .object(o)) })
        o["signature"] = nil
        #expect(throwsCode(.malformedPayload) { _ = try Envelope(json: .object(o)) })
        #expect(throwsCode(.malformedPayload) { _ = try Envelope(json: ["payload": [1], "signature": "AAAA"]) })
    }

    @Test func trustStoreRoundTripsAndIsStrict() throws {
        let f = Fixture()
        let back = try TrustStore(json: try JSONParser().parse(CanonicalJSON.bytes(f.trust.json)))
        #expect(back.keys.count == 4)
        #expect(back.isKnownRuntime(f.runtimeHash))
        // A key entry whose key_id does not match its public key.
        guard case .object(var o) = f.trust.json, case .array(var keys) = o["keys"]!, case .object(var k0) = keys[0] else { return }
        k0["key_id"] = .string(String(repeating: "0", count: 32))
        keys[0] = .object(k0)
        o["keys"] = .array(keys)
        #expect(throwsCode(.malformedPayload) { _ = try TrustStore(json: .object(o)) })
    }
}

/// Whether `body` throws a ``ParmanaError`` with `code`.
func throwsCode(_ code: ErrorCode, _ body: () throws -> Void) -> Bool {
    do {
        try body()
        return false
    } catch let e as ParmanaError {
        return e.code == code
    } catch {
        return false
    }
}

@Suite struct EnvelopeCanonicalBytesTests {
    @Test func assembledBytesEqualSerializedBytes() {
        let f = Fixture()
        for env in [f.attestation(), f.override(of: f.attestation(f.attestationPayload(requiresOverride: true))), f.manifest] {
            #expect(Envelope.canonicalBytes(payloadBytes: CanonicalJSON.bytes(env.payload), signature: env.signature) == CanonicalJSON.bytes(env.json))
        }
    }
}
