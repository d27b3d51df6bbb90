import ParmanaCore
import ParmanaTesting
import Testing

@Suite struct VerifierTests {
    let f = Fixture()

    func verify(_ env: JSONValue, signals: JSONValue? = nil, override: Envelope? = nil, known: Bool = false) -> VerificationReport {
        Verifier(trust: f.trust).verify(.init(
            attestation: CanonicalJSON.bytes(env), override: override?.bytes,
            signals: signals.map { CanonicalJSON.bytes($0) }, requireKnownRuntime: known))
    }

    func codes(_ r: VerificationReport) -> [ErrorCode] { r.errors.map(\.code) }

    @Test func validAttestationVerifies() {
        let r = verify(f.attestation().json, signals: Fixture.signals, known: true)
        #expect(r.valid)
        #expect(r.authorized)
        #expect(r.errors.isEmpty)
        #expect(r.checks.payloadWellFormed == true && r.checks.keyTrusted == true && r.checks.signatureValid == true)
        #expect(r.checks.runtimeVerified == true && r.checks.fingerprintMatches == true)
        #expect(r.checks.policyMatches == nil && r.checks.auditIncluded == nil)
    }

    /// Replaces one payload field, keeping the original signature.
    func tampered(_ field: String, _ value: JSONValue) -> JSONValue {
        let env = f.attestation()
        guard case .object(var p) = env.payload else { return .null }
        p[field] = value
        return Envelope(payload: .object(p), signature: env.signature).json
    }

    static let tamperedFields: [(String, JSONValue)] = [
        ("execution_id", "11111111-1111-4111-8111-111111111111"),
        ("execution_fingerprint", .string(String(repeating: "0", count: 64))),
        ("policy", ["policy_id": "payments.release", "version": "1.2.1", "hash": .string(String(repeating: "cd", count: 32))]),
        ("decision", ["action": "reject", "requires_override": false, "reason": "within_limits", "rule_id": "standard"]),
        ("runtime_hash", .string(String(repeating: "1", count: 64))),
        ("issued_at", "2026-11-23T12:00:00.124Z"),
    ]

    @Test(arguments: tamperedFields)
    func tamperingWithAPayloadFieldInvalidates(_ field: String, _ value: JSONValue) {
        let r = verify(tampered(field, value))
        #expect(!r.valid)
        #expect(!r.authorized)
        #expect(r.checks.signatureValid == false)
        #expect(codes(r).contains(.invalidSignature))
    }

    @Test func tamperingWithExecutionStateInvalidates() {
        // Flip both state and requires_override so the payload stays well formed.
        let env = f.attestation()
        guard case .object(var p) = env.payload else { return }
        p["execution_state"] = "pending_override"
        p["decision"] = ["action": "approve", "requires_override": true, "reason": "within_limits", "rule_id": "standard"]
        let r = verify(Envelope(payload: .object(p), signature: env.signature).json)
        #expect(!r.valid && codes(r).contains(.invalidSignature))
        // Flipping only one makes it inconsistent: malformed.
        let r2 = verify(tampered("execution_state", "pending_override"))
        #expect(!r2.valid && codes(r2) == [.malformedPayload])
    }

    @Test func tamperingWithTheSignatureInvalidates() {
        let env = f.attestation()
        var sig = env.signature
        sig[10] ^= 0x01
        let r = verify(Envelope(payload: env.payload, signature: sig).json)
        #expect(!r.valid && codes(r) == [.invalidSignature])
        // A truncated signature.
        let r2 = verify(Envelope(payload: env.payload, signature: Array(env.signature.prefix(63))).json)
        #expect(!r2.valid && codes(r2) == [.invalidSignature])
    }

    @Test func tamperingWithTheKeyIDInvalidates() {
        // An unknown key id.
        let r = verify(tampered("key_id", .string(String(repeating: "a", count: 32))))
        #expect(!r.valid && codes(r).contains(.untrustedKey) && r.checks.keyTrusted == false)
        // Another trusted attestation key: trusted, but the signature does not verify.
        var f2 = f
        let other = SigningKey(roles: [.attestation])
        try! f2.trust.add(TrustedKey(publicKey: other.publicKey, roles: [.attestation], validFrom: Fixture.epoch))
        let env = f.attestation()
        guard case .object(var p) = env.payload else { return }
        p["key_id"] = .string(other.keyID)
        let r2 = Verifier(trust: f2.trust).verify(.init(attestation: Envelope(payload: .object(p), signature: env.signature).bytes))
        #expect(!r2.valid && codes(r2) == [.invalidSignature] && r2.checks.keyTrusted == true)
    }

    @Test func tamperingWithTheTypeTagInvalidates() {
        let r = verify(tampered("type", .string(PayloadType.override)))
        #expect(!r.valid && codes(r) == [.malformedPayload] && r.checks.payloadWellFormed == false)
        // Domain separation: a validly signed override is never an attestation.
        let over = f.override(of: f.attestation(f.attestationPayload(requiresOverride: true)))
        let r2 = verify(over.json)
        #expect(!r2.valid && codes(r2) == [.malformedPayload])
    }

    @Test func missingFieldIsMalformed() {
        let env = f.attestation()
        guard case .object(var p) = env.payload else { return }
        p["execution_id"] = nil
        let r = verify(Envelope(payload: .object(p), signature: env.signature).json)
        #expect(!r.valid && codes(r) == [.malformedPayload])
    }

    @Test func unparseableInputIsReportedNotThrown() {
        let r = Verifier(trust: f.trust).verify(.init(attestation: Array("{\"payload\":".utf8)))
        #expect(!r.valid && codes(r) == [.invalidJSON] && r.checks.payloadWellFormed == false)
    }

    @Test func keyOutsideItsWindowIsUntrusted() {
        var trust = f.trust
        try! trust.close(f.attestationKey.keyID, at: Timestamp("2026-06-01T00:00:00.000Z")!)
        let r = Verifier(trust: trust).verify(.init(attestation: f.attestation().bytes))
        #expect(!r.valid && codes(r) == [.untrustedKey] && r.checks.signatureValid == true)
        // Before valid_from.
        let early = f.attestation(f.attestationPayload(issuedAt: Timestamp("2025-12-31T23:59:59.999Z")!))
        let r2 = verify(early.json)
        #expect(!r2.valid && codes(r2) == [.untrustedKey])
        // valid_until is exclusive.
        var t3 = f.trust
        try! t3.close(f.attestationKey.keyID, at: Fixture.noon)
        #expect(!Verifier(trust: t3).verify(.init(attestation: f.attestation().bytes)).valid)
    }

    @Test func keyWithTheWrongRoleIsUntrusted() {
        let byPolicyKey = f.attestation(f.attestationPayload(key: f.policyKey), key: f.policyKey)
        let r = verify(byPolicyKey.json)
        #expect(!r.valid && codes(r) == [.untrustedKey] && r.checks.signatureValid == true)
    }

    @Test func unknownRuntimeIsReportedAndInvalidOnlyWhenDemanded() {
        var p = f.attestationPayload()
        p.runtimeHash = String(repeating: "9", count: 64)
        let env = f.attestation(p)
        let r = verify(env.json)
        #expect(r.valid && r.checks.runtimeVerified == false)
        let r2 = verify(env.json, known: true)
        #expect(!r2.valid && codes(r2) == [.unknownRuntime])
    }

    @Test func wrongSignalsDoNotMatch() {
        let r = verify(f.attestation().json, signals: ["payment_id": "pay_0002"])
        #expect(!r.valid && r.checks.fingerprintMatches == false && codes(r) == [.fingerprintMismatch])
        // Same signals, different key order and spelling: same fingerprint.
        let same = Verifier(trust: f.trust).verify(.init(
            attestation: f.attestation().bytes,
            signals: Array(#"{ "risk_score": 12.0, "kyc_verified": true, "currency": "EUR", "amount": 1.2505e3, "payment_id": "pay_0001" }"#.utf8)))
        #expect(same.valid && same.checks.fingerprintMatches == true)
    }

    @Test func rejectedDecisionIsValidButNotAuthorized() {
        let r = verify(f.attestation(f.attestationPayload(action: .reject)).json)
        #expect(r.valid && !r.authorized)
    }

    @Test func pendingOverrideIsAuthorizedOnlyWithAnApprovingOverride() {
        let att = f.attestation(f.attestationPayload(requiresOverride: true))
        let bare = verify(att.json)
        #expect(bare.valid && !bare.authorized)
        let approved = verify(att.json, override: f.override(of: att))
        #expect(approved.valid && approved.authorized && approved.checks.overrideValid == true)
        let rejected = verify(att.json, override: f.override(of: att, resolution: .reject))
        #expect(rejected.valid && !rejected.authorized)
    }

    @Test func badOverridesAreRefusedWithTheirCodes() {
        let att = f.attestation(f.attestationPayload(requiresOverride: true))
        // Signed by a key without the approver role.
        let r1 = verify(att.json, override: f.override(of: att, key: f.attestationKey))
        #expect(!r1.valid && codes(r1) == [.untrustedKey] && r1.checks.overrideValid == false)
        // Claims another approver id.
        let r2 = verify(att.json, override: f.override(of: att, approverID: "mallory@example.com"))
        #expect(!r2.valid && codes(r2) == [.untrustedKey])
        // For another attestation.
        let other = f.attestation(f.attestationPayload(signals: ["payment_id": "x"], requiresOverride: true))
        let r3 = verify(att.json, override: f.override(of: other))
        #expect(!r3.valid && codes(r3) == [.attestationMismatch])
        // On a completed attestation.
        let done = f.attestation()
        let r4 = verify(done.json, override: f.override(of: done))
        #expect(!r4.valid && codes(r4) == [.notPending])
        // A forged signature.
        let good = f.override(of: att)
        var sig = good.signature
        sig[0] ^= 0x80
        let r5 = verify(att.json, override: Envelope(payload: good.payload, signature: sig))
        #expect(!r5.valid && codes(r5) == [.invalidSignature])
        // Resolved before the approver key's window.
        let r6 = verify(att.json, override: f.override(of: att, resolvedAt: Timestamp("2025-01-01T00:00:00.000Z")!))
        #expect(!r6.valid && codes(r6) == [.untrustedKey])
    }

    @Test func reportJSONHasEveryCheck() {
        let r = verify(f.attestation().json)
        let json = r.json
        #expect(json["checks"]?.objectValue?.count == 9)
        #expect(json["checks"]?["fingerprint_matches"] == .null)
        #expect(json["valid"] == true)
    }
}
