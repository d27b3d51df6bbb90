import ParmanaCore
import ParmanaRuntime
import ParmanaTesting
import Testing

@Suite struct RuntimeTests {
    func harness() async throws -> RuntimeHarness { try await RuntimeHarness(store: MemoryEvidenceStore()) }

    @Test func decideProducesAVerifiableAttestation() async throws {
        let h = try await harness()
        let signals = RuntimeHarness.signals("p1", amount: 120)
        let r = try await h.runtime.decide(policyID: "payments.release", signals: signals, explain: true)
        #expect(r.state == .completed && r.decision.ruleID == "standard" && r.explanation?.decidingRule == "standard")
        // runtime_started + policy_loaded + execution
        #expect(r.seq == 3)
        let report = Verifier(trust: h.fixture.trust).verify(.init(
            attestation: r.attestation.bytes, signals: signals, policy: h.policy.envelope!.bytes, requireKnownRuntime: true))
        #expect(report.valid && report.authorized, "\(report.errors)")
        #expect(report.checks.policyMatches == true && report.checks.decisionReproduced == true && report.checks.runtimeVerified == true)
        let p = try AttestationPayload(json: r.attestation.payload)
        #expect(p.issuedAt == Fixture.noon && p.executionID == r.executionID && p.runtimeHash == h.runtime.runtimeHash)
    }

    @Test func replayIsRefusedNamingTheFirstExecution() async throws {
        let h = try await harness()
        let signals = RuntimeHarness.signals("p1", amount: 120)
        let first = try await h.runtime.decide(policyID: "payments.release", signals: signals)
        let sizeBefore = try await h.store.size()
        // Same signals, other key order and spelling.
        let again = Array(#"{"kyc_verified":true,"currency":"EUR","amount":1.2e2,"payment_id":"p1"}"#.utf8)
        do {
            _ = try await h.runtime.decide(policyID: "payments.release", signals: again)
            Issue.record("replay accepted")
        } catch {
            #expect(error.code == .replayDetected && error.executionID == first.executionID)
        }
        #expect(try await h.store.size() == sizeBefore)
    }

    @Test func concurrentIdenticalDecisionsHaveOneWinner() async throws {
        let h = try await harness()
        let signals = RuntimeHarness.signals("same", amount: 5)
        let results = await withTaskGroup(of: Result<DecisionResult, ParmanaError>.self) { g in
            for _ in 0..<64 {
                g.addTask {
                    do throws(ParmanaError) { return .success(try await h.runtime.decide(policyID: "payments.release", signals: signals)) } catch { return .failure(error) }
                }
            }
            var all: [Result<DecisionResult, ParmanaError>] = []
            for await r in g { all.append(r) }
            return all
        }
        let wins = results.compactMap { try? $0.get() }
        #expect(wins.count == 1)
        #expect(results.filter { if case .failure(let e) = $0 { return e.code == .replayDetected && e.executionID == wins.first?.executionID }; return false }.count == 63)
    }

    @Test func badSignalsConsumeNothing() async throws {
        let h = try await harness()
        let before = try await h.store.size()
        for (bytes, code) in [(Array(#"{"payment_id":"x","amount":-1,"currency":"EUR","kyc_verified":true}"#.utf8), ErrorCode.invalidSignals),
                              (Array(#"{"payment_id":"x","amount":1,"amount":2}"#.utf8), .duplicateKey),
                              (Array("not json".utf8), .invalidJSON),
                              (Array(#"{"payment_id":"x","amount":1,"currency":"EUR","kyc_verified":true,"extra":1}"#.utf8), .undeclaredSignal)] {
            do { _ = try await h.runtime.decide(policyID: "payments.release", signals: bytes); Issue.record("accepted") } catch { #expect(error.code == code) }
        }
        do { _ = try await h.runtime.decide(policyID: "nope", signals: RuntimeHarness.signals("a", amount: 1)); Issue.record("accepted") } catch { #expect(error.code == .policyNotFound) }
        #expect(try await h.store.size() == before)
        // The valid signals can still be decided afterwards.
        _ = try await h.runtime.decide(policyID: "payments.release", signals: RuntimeHarness.signals("x", amount: 1))
    }

    @Test func storeFailureGivesNoAttestation() async throws {
        let store = MemoryEvidenceStore()
        let h = try await RuntimeHarness(store: store)
        store.setFailing(true)
        do {
            _ = try await h.runtime.decide(policyID: "payments.release", signals: RuntimeHarness.signals("p", amount: 1))
            Issue.record("returned an attestation")
        } catch {
            #expect(error.code == .storeUnavailable)
        }
        store.setFailing(false)
        #expect(try await store.consumer(of: Hashing.fingerprint(try JSONParser().parse(RuntimeHarness.signals("p", amount: 1)))) == nil)
        _ = try await h.runtime.decide(policyID: "payments.release", signals: RuntimeHarness.signals("p", amount: 1))
    }

    // MARK: overrides

    func pending(_ h: RuntimeHarness, _ id: String = "big") async throws -> DecisionResult {
        let r = try await h.runtime.decide(policyID: "payments.release", signals: RuntimeHarness.signals(id, amount: 50_000))
        #expect(r.state == .pendingOverride)
        return r
    }

    @Test func overrideFlowApproves() async throws {
        let h = try await harness()
        let r = try await pending(h)
        #expect(try await h.store.pending(PendingQuery()).map(\.executionID) == [r.executionID])
        h.clock.advance(milliseconds: 60_000)
        let over = h.fixture.override(of: r.attestation, resolvedAt: h.clock.now())
        let o = try await h.runtime.override(over.json)
        #expect(o.state == .overrideApproved)
        let e = try await h.runtime.execution(r.executionID)
        #expect(e.lifecycle.state == .overrideApproved && e.attestation == r.attestation)  // the attestation is unchanged
        #expect(try await h.store.pending(PendingQuery()).isEmpty)
        let report = Verifier(trust: h.fixture.trust).verify(.init(attestation: r.attestation.bytes, override: over.bytes))
        #expect(report.valid && report.authorized)
        let log = try await ConformanceData.verify(h.store, trust: h.fixture.trust)
        #expect(log.valid, "\(log.problems)")
    }

    @Test func everyOverrideRefusalHasItsCode() async throws {
        let h = try await harness()
        let r = try await pending(h)
        func expectCode(_ env: Envelope, _ code: ErrorCode, _ note: String) async {
            do { _ = try await h.runtime.override(env.json); Issue.record("accepted: \(note)") } catch { #expect(error.code == code, "\(note)") }
        }
        // Not pending.
        let done = try await h.runtime.decide(policyID: "payments.release", signals: RuntimeHarness.signals("small", amount: 1))
        await expectCode(h.fixture.override(of: done.attestation), .notPending, "completed execution")
        // Attestation mismatch: right execution id, hash of another attestation.
        var other = h.fixture.override(of: done.attestation).payload
        if case .object(var o) = other { o["execution_id"] = .string(r.executionID); other = .object(o) }
        await expectCode(Envelope.sign(other, with: h.fixture.approverKey), .attestationMismatch, "other attestation")
        // Untrusted: wrong role, wrong approver id, outside the window.
        await expectCode(h.fixture.override(of: r.attestation, key: h.fixture.attestationKey), .untrustedKey, "wrong role")
        await expectCode(h.fixture.override(of: r.attestation, approverID: "mallory@example.com"), .untrustedKey, "wrong approver id")
        await expectCode(h.fixture.override(of: r.attestation, resolvedAt: Timestamp("2025-06-01T00:00:00.000Z")!), .untrustedKey, "outside window")
        // resolved_at before the decision existed, or ahead of the runtime's clock by more
        // than the allowed skew: refused even with a key valid at that time.
        let issued = try AttestationPayload(json: r.attestation.payload).issuedAt
        await expectCode(h.fixture.override(of: r.attestation, resolvedAt: Timestamp(millisecondsSinceEpoch: issued.millisecondsSinceEpoch - 1)),
                         .malformedPayload, "resolved before issued")
        let ahead = Timestamp(millisecondsSinceEpoch: h.clock.now().millisecondsSinceEpoch + Runtime.overrideClockSkew + 1)
        await expectCode(h.fixture.override(of: r.attestation, resolvedAt: ahead), .malformedPayload, "resolved in the future")
        // Invalid signature.
        let good = h.fixture.override(of: r.attestation)
        var sig = good.signature
        sig[1] ^= 4
        await expectCode(Envelope(payload: good.payload, signature: sig), .invalidSignature, "bad signature")
        // Unknown execution.
        var ghost = good.payload
        if case .object(var o) = ghost { o["execution_id"] = "00000000-0000-4000-8000-00000000beef"; ghost = .object(o) }
        await expectCode(Envelope.sign(ghost, with: h.fixture.approverKey), .executionNotFound, "unknown execution")
        // Malformed.
        do { _ = try await h.runtime.override(["payload": ["type": "parmana.override/v1", "key_id": "x"], "signature": "AAAA"]); Issue.record("accepted") } catch { #expect(error.code == .malformedPayload) }
        // Accepted once, then already resolved.
        _ = try await h.runtime.override(good.json)
        await expectCode(good, .overrideAlreadyResolved, "second override")
        await expectCode(h.fixture.override(of: r.attestation, resolution: .reject), .overrideAlreadyResolved, "second, other resolution")
    }

    // MARK: audit

    @Test func checkpointAndInclusionProofVerify() async throws {
        let h = try await harness()
        var results: [DecisionResult] = []
        for i in 0..<7 { results.append(try await h.runtime.decide(policyID: "payments.release", signals: RuntimeHarness.signals("c\(i)", amount: Double(i)))) }
        let cp = try await h.runtime.checkpoint()
        let size = try CheckpointPayload(json: cp.payload).size
        for r in results {
            let proof = try await h.runtime.inclusionProof(seq: r.seq, checkpoint: cp, size: size)
            let report = Verifier(trust: h.fixture.trust).verify(.init(attestation: r.attestation.bytes, proof: CanonicalJSON.bytes(proof.json)))
            #expect(report.valid && report.checks.auditIncluded == true, "\(report.errors)")
        }
        // A proof for another entry does not prove this attestation.
        let wrong = try await h.runtime.inclusionProof(seq: results[0].seq, checkpoint: cp, size: size)
        let report = Verifier(trust: h.fixture.trust).verify(.init(attestation: results[1].attestation.bytes, proof: CanonicalJSON.bytes(wrong.json)))
        #expect(!report.valid && report.checks.auditIncluded == false)
        // Consistency between two sizes.
        let c = try await h.runtime.consistencyProof(first: 3, second: 9)
        let proof = (c["proof"]?.arrayValue ?? []).map { Hex.decode($0.stringValue!)! }
        #expect(Merkle.verifyConsistency(first: 3, second: 9, proof: proof,
                                         firstRoot: Hex.decode(c["first_root"]!.stringValue!)!, secondRoot: Hex.decode(c["second_root"]!.stringValue!)!))
        let log = try await ConformanceData.verify(h.store, trust: h.fixture.trust)
        #expect(log.valid && log.checkpointsChecked == 1, "\(log.problems)")
    }

    @Test func largeLogRootMatchesItsCheckpoint() async throws {
        let h = try await harness()
        for i in 0..<1100 { _ = try await h.runtime.decide(policyID: "payments.release", signals: RuntimeHarness.signals("L\(i)", amount: 1)) }
        let cp = try CheckpointPayload(json: try await h.runtime.checkpoint().payload)
        let report = AuditLogVerifier(trust: h.fixture.trust, runner: { jobs, work in
            // Jobs in reverse order, as a concurrent runner might finish them.
            for j in (0..<jobs).reversed() { work(j) }
        }).verify(try await h.store.allEntries(), checkpoints: try await h.store.checkpoints(), logID: "test")
        #expect(report.valid && report.size == 1102 && report.rootHash == cp.rootHash)
    }

    @Test func runtimeStartedIsLoggedOncePerRuntime() async throws {
        let store = MemoryEvidenceStore()
        let fixture = Fixture()
        _ = try await RuntimeHarness(store: store, fixture: fixture)
        _ = try await RuntimeHarness(store: store, fixture: fixture)
        let entries = try await store.allEntries()
        #expect(entries.filter { $0.entry.kind == .runtimeStarted }.count == 1)
        #expect(entries.filter { $0.entry.kind == .policyLoaded }.count == 1)
    }

    // MARK: key rotation

    @Test func rotationKeepsOldAttestationsValid() async throws {
        let fixture = Fixture()
        let h = try await RuntimeHarness(store: MemoryEvidenceStore(), fixture: fixture)
        let old = try await h.runtime.decide(policyID: "payments.release", signals: RuntimeHarness.signals("before", amount: 1))
        // Rotate: a new attestation key from 13:00, the old key's window closes then.
        let rotation = Timestamp("2026-11-23T13:00:00.000Z")!
        let newKey = SigningKey(roles: [.attestation])
        var trust = fixture.trust
        try trust.add(TrustedKey(publicKey: newKey.publicKey, roles: [.attestation], validFrom: rotation, label: "node-a-2"))
        try trust.close(fixture.attestationKey.keyID, at: rotation)
        // Only the trust store is needed to verify the old attestation years later.
        let stored = try TrustStore(json: try JSONParser().parse(CanonicalJSON.bytes(trust.json)))
        #expect(Verifier(trust: stored).verify(.init(attestation: old.attestation.bytes)).valid)
        // A runtime on the new key signs new attestations with it.
        let clock = ManualClock(Timestamp("2026-11-23T14:00:00.000Z")!)
        let rt = Runtime(RuntimeConfiguration(store: h.store, trust: stored, signer: newKey, clock: clock, ids: SequentialExecutionIDs(),
                                              manifest: fixture.manifest), policies: { var r = PolicyRegistry(); try! r.add(h.policy); return r }())
        let fresh = try await rt.decide(policyID: "payments.release", signals: RuntimeHarness.signals("after", amount: 1))
        #expect(try AttestationPayload(json: fresh.attestation.payload).keyID == newKey.keyID)
        #expect(Verifier(trust: stored).verify(.init(attestation: fresh.attestation.bytes)).valid)
        // The old key signing after its window is refused.
        let late = fixture.attestation(fixture.attestationPayload(issuedAt: Timestamp("2026-11-23T13:00:00.000Z")!))
        let report = Verifier(trust: stored).verify(.init(attestation: late.bytes))
        #expect(!report.valid && report.errors.map(\.code) == [.untrustedKey])
    }
}
