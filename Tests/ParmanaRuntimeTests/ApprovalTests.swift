import Foundation
import ParmanaCore
import ParmanaRuntime
import ParmanaTesting
import Synchronization
import Testing

/// Quorum, reject, expiry and retained signals (SPEC §19), and idempotent retries
/// (SPEC §18), on the runtime with an explicit clock: nothing sleeps.
@Suite struct ApprovalTests {
    let bob = SigningKey(roles: [.approver], approverID: "bob@example.com")

    /// A runtime with the dual-control example policy and two approvers.
    func harness(store: any EvidenceStore = MemoryEvidenceStore()) async throws -> RuntimeHarness {
        var fx = Fixture()
        try fx.trust.add(TrustedKey(publicKey: bob.publicKey, roles: [.approver], validFrom: Fixture.epoch, approverID: "bob@example.com"))
        let h = try await RuntimeHarness(store: store, fixture: fx)
        let dual = LoadedPolicy.sign(try Policy(json: RuntimeHarness.examplePolicy("payments.dual-control")), with: fx.policyKey)
        try await h.runtime.load(try LoadedPolicy(json: dual.json, trust: fx.trust, requireSigned: true))
        return h
    }

    static func signals(_ id: String, _ amount: Double, urgent: Bool = false) -> [UInt8] {
        CanonicalJSON.bytes(["payment_id": .string(id), "amount": .number(amount), "currency": "EUR", "kyc_verified": true, "urgent": .bool(urgent)])
    }

    func override(_ h: RuntimeHarness, _ r: DecisionResult, _ resolution: Action = .approve, by key: SigningKey? = nil) -> Envelope {
        let k = key ?? h.fixture.approverKey
        return h.fixture.override(of: r.attestation, resolution: resolution, key: k, approverID: k.approverID!, resolvedAt: h.clock.now())
    }

    func expectCode(_ code: ErrorCode, _ body: () async throws(ParmanaError) -> Void) async {
        do { try await body(); Issue.record("accepted; expected \(code.rawValue)") } catch { #expect(error.code == code, "\(error)") }
    }

    @Test func twoDistinctApproversMakeTheQuorum() async throws {
        let h = try await harness()
        let r = try await h.runtime.decide(policyID: "payments.dual-control", signals: Self.signals("w1", 25_000))
        let p = try AttestationPayload(json: r.attestation.payload)
        #expect(r.state == .pendingOverride && p.type == PayloadType.attestationV2)
        #expect(p.decision.override == OverrideRequirement(approvals: 2, expiresAt: Timestamp(millisecondsSinceEpoch: Fixture.noon.millisecondsSinceEpoch + 86_400_000)))
        h.clock.advance(milliseconds: 1000)
        let first = override(h, r)
        let one = try await h.runtime.override(first.json)
        #expect(one.state == .pendingOverride && one.quorum["approvals"] == 1 && one.quorum["required"] == 2)
        // The same approver again does not count twice.
        await expectCode(.overrideAlreadyResolved) { () throws(ParmanaError) in _ = try await h.runtime.override(override(h, r).json) }
        let second = override(h, r, by: bob)
        let two = try await h.runtime.override(second.json)
        #expect(two.state == .overrideApproved && two.quorum["approvers"] == ["alice@example.com", "bob@example.com"])
        let view = try await h.runtime.execution(r.executionID)
        #expect(view.overrides.count == 2 && view.lifecycle.state == .overrideApproved)
        // Offline: both overrides authorize, one does not.
        let both = Verifier(trust: h.fixture.trust).verify(.init(attestation: r.attestation.bytes, overrides: [first.bytes, second.bytes]))
        #expect(both.valid && both.authorized, "\(both.errors)")
        let single = Verifier(trust: h.fixture.trust).verify(.init(attestation: r.attestation.bytes, overrides: [first.bytes]))
        #expect(single.valid && !single.authorized)
        let log = try await ConformanceData.verify(h.store, trust: h.fixture.trust)
        #expect(log.valid, "\(log.problems)")
    }

    @Test func aRejectEndsTheExecutionAtOnce() async throws {
        let h = try await harness()
        let r = try await h.runtime.decide(policyID: "payments.dual-control", signals: Self.signals("w2", 30_000))
        let rejected = try await h.runtime.override(override(h, r, .reject).json)
        #expect(rejected.state == .overrideRejected)
        await expectCode(.overrideAlreadyResolved) { () throws(ParmanaError) in _ = try await h.runtime.override(override(h, r, by: bob).json) }
        let report = Verifier(trust: h.fixture.trust).verify(.init(attestation: r.attestation.bytes, overrides: [override(h, r, .reject).bytes, override(h, r, by: bob).bytes]))
        #expect(report.valid && !report.authorized)
    }

    @Test func theSweeperExpiresUnresolvedExecutions() async throws {
        let h = try await harness()
        let urgent = try await h.runtime.decide(policyID: "payments.dual-control", signals: Self.signals("w3", 40_000, urgent: true))
        let relaxed = try await h.runtime.decide(policyID: "payments.dual-control", signals: Self.signals("w4", 40_000))
        _ = try await h.runtime.override(override(h, urgent).json)
        #expect(try await h.runtime.expireDue().isEmpty, "nothing is due yet")
        h.clock.advance(milliseconds: 60_000)
        #expect(try await h.runtime.expireDue() == [urgent.executionID])
        let view = try await h.runtime.execution(urgent.executionID)
        #expect(view.lifecycle.state == .overrideExpired && view.expiry != nil)
        let expiry = try ExpiryPayload(json: view.expiry!.envelope.payload)
        #expect(expiry.expiredAt == h.clock.now() && expiry.attestationHash == view.lifecycle.attestationHash)
        #expect(try await h.runtime.execution(relaxed.executionID).lifecycle.state == .pendingOverride)
        await expectCode(.overrideExpired) { () throws(ParmanaError) in _ = try await h.runtime.override(override(h, urgent, by: bob).json) }
        #expect(try await h.runtime.expireDue().isEmpty, "an expiry is written once")
        let log = try await ConformanceData.verify(h.store, trust: h.fixture.trust)
        #expect(log.valid, "\(log.problems)")
    }

    /// The runtime's clock decides too: past T, a backdated override is refused and the
    /// expiry is recorded at once.
    @Test func aBackdatedOverrideAfterTheDeadlineIsRefused() async throws {
        let h = try await harness()
        let r = try await h.runtime.decide(policyID: "payments.dual-control", signals: Self.signals("w5", 40_000, urgent: true))
        let backdated = h.fixture.override(of: r.attestation, resolvedAt: Timestamp(millisecondsSinceEpoch: Fixture.noon.millisecondsSinceEpoch + 1000))
        h.clock.advance(milliseconds: 120_000)
        await expectCode(.overrideExpired) { () throws(ParmanaError) in _ = try await h.runtime.override(backdated.json) }
        #expect(try await h.runtime.execution(r.executionID).lifecycle.state == .overrideExpired)
        // An override dated at or after T is refused by the lifecycle itself.
        let h2 = try await harness()
        let r2 = try await h2.runtime.decide(policyID: "payments.dual-control", signals: Self.signals("w6", 40_000, urgent: true))
        let late = h2.fixture.override(of: r2.attestation, resolvedAt: Timestamp(millisecondsSinceEpoch: Fixture.noon.millisecondsSinceEpoch + 60_000))
        await expectCode(.overrideExpired) { () throws(ParmanaError) in _ = try await h2.runtime.override(late.json) }
    }

    @Test func approversSeeTheSignalsUntilResolved() async throws {
        let h = try await harness()
        let r = try await h.runtime.decide(policyID: "payments.dual-control", signals: Self.signals("w7", 26_000))
        let pending = try await h.runtime.execution(r.executionID)
        #expect(pending.signals?["payment_id"] == "w7" && pending.explanation?.decidingRule == "large")
        let small = try await h.runtime.decide(policyID: "payments.dual-control", signals: Self.signals("w8", 10))
        #expect(try await h.runtime.execution(small.executionID).signals == nil, "retain_signals: pending keeps only what approvers need")
        _ = try await h.runtime.override(override(h, r, .reject).json)
        #expect(try await h.runtime.execution(r.executionID).signals == nil, "dropped when resolved")
    }

    @Test func idempotentRetriesReturnTheOriginalDecision() async throws {
        let h = try await harness()
        let s = Self.signals("w9", 120)
        let first = try await h.runtime.decide(policyID: "payments.dual-control", signals: s, explain: true, idempotencyKey: "order-9")
        let size = try await h.store.size()
        let again = try await h.runtime.decide(policyID: "payments.dual-control", signals: s, explain: true, idempotencyKey: "order-9")
        #expect(again.idempotentReplay && !first.idempotentReplay)
        #expect(CanonicalJSON.bytes(again.json) == CanonicalJSON.bytes(first.json), "byte for byte")
        #expect(try await h.store.size() == size, "nothing new is signed, consumed or logged")
        await expectCode(.idempotencyKeyReused) { () throws(ParmanaError) in
            _ = try await h.runtime.decide(policyID: "payments.dual-control", signals: Self.signals("w10", 120), idempotencyKey: "order-9")
        }
        await expectCode(.idempotencyKeyReused) { () throws(ParmanaError) in
            _ = try await h.runtime.decide(policyID: "payments.dual-control", signals: s, explain: false, idempotencyKey: "order-9")
        }
        await expectCode(.invalidRequest) { () throws(ParmanaError) in
            _ = try await h.runtime.decide(policyID: "payments.dual-control", signals: Self.signals("w11", 1), idempotencyKey: String(repeating: "k", count: 256))
        }
        await expectCode(.invalidRequest) { () throws(ParmanaError) in
            _ = try await h.runtime.decide(policyID: "payments.dual-control", signals: Self.signals("w12", 1), idempotencyKey: "tab\there")
        }
        // Without a key, v1 behaviour: the same signals are a replay.
        await expectCode(.replayDetected) { () throws(ParmanaError) in _ = try await h.runtime.decide(policyID: "payments.dual-control", signals: s) }
    }

    @Test func aKeyStillBeingDecidedIsRequestInProgress() async throws {
        let gate = HeldStore(MemoryEvidenceStore())
        let h = try await harness(store: gate)
        gate.hold()
        let first = Task { try await h.runtime.decide(policyID: "payments.dual-control", signals: Self.signals("w13", 5), idempotencyKey: "k-13") }
        await gate.waitUntilHeld()
        await expectCode(.requestInProgress) { () throws(ParmanaError) in
            _ = try await h.runtime.decide(policyID: "payments.dual-control", signals: Self.signals("w13", 5), idempotencyKey: "k-13")
        }
        gate.release()
        let r = try await first.value
        #expect(!r.idempotentReplay)
        #expect(try await h.runtime.decide(policyID: "payments.dual-control", signals: Self.signals("w13", 5), idempotencyKey: "k-13").idempotentReplay)
    }
}

/// Holds execution commits while held (no sleeping): a decision stays in flight.
final class HeldStore: EvidenceStore {
    let inner: any EvidenceStore
    private struct State {
        var holding = false
        var held: [CheckedContinuation<Void, Never>] = []
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())
    init(_ inner: any EvidenceStore) { self.inner = inner }

    func hold() { state.withLock { $0.holding = true } }
    func release() {
        let held = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.holding = false
            defer { s.held = [] }
            return s.held
        }
        held.forEach { $0.resume() }
    }
    func waitUntilHeld() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s -> Bool in
                if !s.held.isEmpty { return true }
                s.waiters.append(c)
                return false
            }
            if ready { c.resume() }
        }
    }

    func commit(_ c: ExecutionCommit) async throws(StoreError) -> ExecutionCommitOutcome {
        await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
            let (pass, waiters) = state.withLock { s -> (Bool, [CheckedContinuation<Void, Never>]) in
                guard s.holding else { return (true, []) }
                s.held.append(cont)
                defer { s.waiters = [] }
                return (false, s.waiters)
            }
            waiters.forEach { $0.resume() }
            if pass { cont.resume() }
        }
        return try await inner.commit(c)
    }
    func commit(_ c: ResolutionCommit) async throws(StoreError) -> ResolutionCommitOutcome { try await inner.commit(c) }
    func append(event kind: AuditKind, record: [UInt8], at: Timestamp) async throws(StoreError) -> Int { try await inner.append(event: kind, record: record, at: at) }
    func add(checkpoint: Envelope) async throws(StoreError) { try await inner.add(checkpoint: checkpoint) }
    func projectionRows() async throws(StoreError) -> [ProjectionRow] { try await inner.projectionRows() }
    func isHealthy() async -> Bool { await inner.isHealthy() }
    func close() async { await inner.close() }
    func size() async throws(StoreError) -> Int { try await inner.size() }
    func entries(from seq: Int, limit: Int) async throws(StoreError) -> [AuditRecord] { try await inner.entries(from: seq, limit: limit) }
    func treeHashes(_ nodes: [MerkleNodeID]) async throws(StoreError) -> [MerkleNodeID: [UInt8]] { try await inner.treeHashes(nodes) }
    func latestCheckpoint() async throws(StoreError) -> Envelope? { try await inner.latestCheckpoint() }
    func checkpoints() async throws(StoreError) -> [Envelope] { try await inner.checkpoints() }
    func lastEvent(_ kind: AuditKind) async throws(StoreError) -> AuditRecord? { try await inner.lastEvent(kind) }
    func containsEvent(recordHash: String) async throws(StoreError) -> Bool { try await inner.containsEvent(recordHash: recordHash) }
    func execution(_ id: String) async throws(StoreError) -> StoredExecution? { try await inner.execution(id) }
    func consumer(of fingerprint: String) async throws(StoreError) -> String? { try await inner.consumer(of: fingerprint) }
    func pending(_ q: PendingQuery) async throws(StoreError) -> [StoredExecution] { try await inner.pending(q) }
    func expiring(at time: Timestamp, limit: Int) async throws(StoreError) -> [String] { try await inner.expiring(at: time, limit: limit) }
    func idempotency(_ key: String) async throws(StoreError) -> IdempotencyRecord? { try await inner.idempotency(key) }
}
