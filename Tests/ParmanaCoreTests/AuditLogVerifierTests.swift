import ParmanaCore
import ParmanaTesting
import Testing

/// Logs built with Core's own chain math, then broken one way each: the streaming
/// verifier finds every break and names its seq (SPEC §11, §16, §19).
@Suite struct AuditLogVerifierTests {
    let f = Fixture()
    static let t0 = Timestamp("2026-11-23T12:00:00.000Z")!

    /// A log under construction.
    struct Log {
        var chain = AuditChain()
        var records: [AuditRecord] = []

        mutating func append(_ kind: AuditKind, _ env: Envelope, id: String? = nil, fp: String? = nil, bytes: [UInt8]? = nil) {
            let b = bytes ?? env.bytes
            let a = chain.append(kind: kind, executionID: id, fingerprint: fp, recordHash: Hashing.sha256Hex(b), at: AuditLogVerifierTests.t0)
            records.append(AuditRecord(entry: a.entry, recordBytes: b, storedEntryHash: a.entryHash))
        }

        func checkpoint(_ f: Fixture, logID: String = "log") -> Envelope {
            let p = CheckpointPayload(logID: logID, size: chain.size, rootHash: Hex.encode(chain.rootHash), lastEntryHash: Hex.encode(chain.lastEntryHash),
                                      issuedAt: AuditLogVerifierTests.t0, keyID: f.checkpointKey.keyID)
            return Envelope.sign(p.json, with: f.checkpointKey)
        }
    }

    func attestation(_ n: Int, requiresOverride: Bool = false, approvals: Int? = nil, expiresAt: Timestamp? = nil, issuedAt: Timestamp = Fixture.noon) -> (Envelope, AttestationPayload) {
        var p = f.attestationPayload(signals: ["payment_id": .string("p\(n)")], requiresOverride: requiresOverride, issuedAt: issuedAt,
                                     executionID: String(format: "00000000-0000-4000-8000-%012x", n))
        if requiresOverride, approvals != nil || expiresAt != nil { p.decision.override = OverrideRequirement(approvals: approvals ?? 1, expiresAt: expiresAt) }
        return (f.attestation(p), p)
    }

    func execute(_ log: inout Log, _ a: (Envelope, AttestationPayload)) {
        log.append(.execution, a.0, id: a.1.executionID, fp: a.1.executionFingerprint)
    }

    func verify(_ logs: [(String, [AuditRecord], [Envelope])]) -> AuditLogVerifier.Report {
        var v = AuditLogVerifier(trust: f.trust)
        var reports: [AuditLogVerifier.Report] = []
        for (id, records, cps) in logs {
            v.begin(logID: id, checkpoints: cps)
            v.verify(records)
            reports.append(v.end())
        }
        return AuditLogVerifier.combined(reports)
    }

    @Test func aCleanLogWithQuorumAndExpiryVerifies() {
        var log = Log()
        let a = attestation(1, requiresOverride: true, approvals: 2)
        execute(&log, a)
        let bob = SigningKey(roles: [.approver], approverID: "bob@example.com")
        var f2 = f
        try! f2.trust.add(TrustedKey(publicKey: bob.publicKey, roles: [.approver], validFrom: Fixture.epoch, approverID: "bob@example.com"))
        log.append(.override, f.override(of: a.0), id: a.1.executionID, fp: a.1.executionFingerprint)
        log.append(.override, f.override(of: a.0, key: bob, approverID: "bob@example.com"), id: a.1.executionID, fp: a.1.executionFingerprint)
        let due = Timestamp("2026-11-23T13:00:00.000Z")!
        let b = attestation(2, requiresOverride: true, approvals: 2, expiresAt: due)
        execute(&log, b)
        let x = ExpiryPayload(executionID: b.1.executionID, attestationHash: b.0.hash, expiredAt: due, keyID: f.attestationKey.keyID)
        log.append(.overrideExpired, Envelope.sign(x.json, with: f.attestationKey), id: b.1.executionID, fp: b.1.executionFingerprint)
        var v = AuditLogVerifier(trust: f2.trust)
        v.begin(logID: "log", checkpoints: [log.checkpoint(f)])
        v.verify(log.records)
        let r = v.end()
        #expect(r.valid && r.checkpointsChecked == 1, "\(r.problems)")
    }

    @Test func aSecondOverrideAfterResolutionBreaksTheLog() {
        var log = Log()
        let a = attestation(1, requiresOverride: true)
        execute(&log, a)
        log.append(.override, f.override(of: a.0), id: a.1.executionID, fp: a.1.executionFingerprint)
        log.append(.override, f.override(of: a.0, resolution: .reject), id: a.1.executionID, fp: a.1.executionFingerprint)
        let r = verify([("log", log.records, [])])
        #expect(!r.valid && r.firstBadSeq == 3)
    }

    @Test func anOverrideOfACompletedExecutionBreaksTheLog() {
        var log = Log()
        let a = attestation(1)
        execute(&log, a)
        log.append(.override, f.override(of: a.0), id: a.1.executionID, fp: a.1.executionFingerprint)
        #expect(verify([("log", log.records, [])]).firstBadSeq == 2)
    }

    @Test func anExpiryBeforeItsTimeBreaksTheLog() {
        var log = Log()
        let due = Timestamp("2026-11-23T13:00:00.000Z")!
        let b = attestation(2, requiresOverride: true, expiresAt: due)
        execute(&log, b)
        let early = ExpiryPayload(executionID: b.1.executionID, attestationHash: b.0.hash, expiredAt: Self.t0, keyID: f.attestationKey.keyID)
        log.append(.overrideExpired, Envelope.sign(early.json, with: f.attestationKey), id: b.1.executionID, fp: b.1.executionFingerprint)
        #expect(verify([("log", log.records, [])]).firstBadSeq == 2)
    }

    @Test func aRecordNotInCanonicalFormBreaksTheLog() {
        var log = Log()
        let a = attestation(1)
        var spaced = Array("{ ".utf8)
        spaced += a.0.bytes.dropFirst()
        log.append(.execution, a.0, id: a.1.executionID, fp: a.1.executionFingerprint, bytes: spaced)
        let r = verify([("log", log.records, [])])
        #expect(r.firstBadSeq == 1 && r.problems.contains { $0.message.contains("canonical") })
    }

    @Test func aSignatureOutsideItsKeysWindowBreaksTheLog() {
        var log = Log()
        execute(&log, attestation(1, issuedAt: Timestamp("2025-06-01T00:00:00.000Z")!))
        let r = verify([("log", log.records, [])])
        #expect(r.firstBadSeq == 1 && r.problems.first?.code == .auditChainBroken)
    }

    @Test func aCheckpointBeyondTheLogMeansEntriesWereRemoved() {
        var log = Log()
        for n in 1...3 { execute(&log, attestation(n)) }
        let cp = log.checkpoint(f)
        let r = verify([("log", Array(log.records.prefix(2)), [cp])])
        #expect(!r.valid && r.problems.contains { $0.message.contains("beyond the log") })
    }

    @Test func aCheckpointOfAnotherLogIsRefused() {
        var log = Log()
        execute(&log, attestation(1))
        #expect(!verify([("log", log.records, [log.checkpoint(f, logID: "other")])]).valid)
    }

    /// Exactly-once across a cluster, checkable from exported logs alone (SPEC §16.4).
    @Test func aFingerprintInTwoLogsIsFound() {
        var a = Log(), b = Log()
        execute(&a, attestation(1))
        execute(&a, attestation(2))
        execute(&b, attestation(3))
        var dup = attestation(1)
        dup.1.executionID = "00000000-0000-4000-8000-0000000000ff"
        dup.0 = f.attestation(dup.1)
        execute(&b, dup)
        let r = verify([("node-a", a.records, []), ("node-b", b.records, [])])
        #expect(!r.valid)
        let p = r.problems.first { $0.message.contains("already executed in log node-a") }
        #expect(p?.logID == "node-b" && p?.seq == 2)
        #expect(verify([("node-a", a.records, []), ("node-b", Array(b.records.prefix(1)), [])]).valid)
    }

    /// An export that starts later carries the frontier: checkpoints from there on verify.
    @Test func aPartialExportVerifiesFromItsFrontier() {
        var log = Log()
        for n in 1...9 { execute(&log, attestation(n)) }
        let early = log.checkpoint(f)  // size 9
        var head = AuditChain()
        for r in log.records.prefix(6) {
            _ = head.append(kind: r.entry.kind, executionID: r.entry.executionID, fingerprint: r.entry.executionFingerprint,
                            recordHash: r.entry.recordHash, at: r.entry.recordedAt)
        }
        var v = AuditLogVerifier(trust: f.trust)
        v.begin(logID: "log", from: 7, previousEntryHash: head.lastEntryHash, frontier: head.frontier, checkpoints: [early])
        v.verify(Array(log.records.suffix(3)))
        let r = v.end()
        #expect(r.valid && r.checkpointsChecked == 1, "\(r.problems)")
    }
}
