import Foundation
import ParmanaCore
import ParmanaRuntime
import Testing

/// The conformance suite of the ``EvidenceStore`` port (its atomic commits), run by
/// every back end that is one system (memory, SQLite, PostgreSQL). Together with
/// ``AuditLogReaderConformance`` and ``ExecutionLedgerConformance`` it is what "adding a
/// back end" means (docs/architecture.md). Timestamps are explicit; nothing sleeps.
public struct EvidenceStoreConformance: Sendable {
    /// Makes a fresh, empty store.
    public var make: @Sendable () async throws -> any EvidenceStore
    /// Closes a store and opens it again on the same data (memory: returns it as is).
    public var reopen: @Sendable (any EvidenceStore) async throws -> any EvidenceStore

    public init(make: @escaping @Sendable () async throws -> any EvidenceStore,
                reopen: @escaping @Sendable (any EvidenceStore) async throws -> any EvidenceStore) {
        self.make = make
        self.reopen = reopen
    }

    typealias D = ConformanceData

    /// Runs every check.
    public func runAll() async throws {
        try await consumesOnce()
        try await concurrentConsumersHaveOneWinner()
        try await overrideIsAcceptedOnce()
        try await quorumAndStaleResolutions()
        try await expiryIsFinal()
        try await idempotencyKeysBindOnce()
        try await chainStaysContinuousAcrossReopen()
        try await theLogAndItsProjectionVerify()
    }

    public func consumesOnce() async throws {
        let store = try await make()
        let first = D.commit(1)
        #expect(try await store.commit(first) == .committed(seq: 1))
        let again = D.commit(1, id: D.id(0xff))
        #expect(try await store.commit(again) == .replay(executionID: first.executionID))
        #expect(try await store.size() == 1)
        #expect(try await store.consumer(of: first.fingerprint) == first.executionID)
        #expect(try await store.execution(D.id(0xff)) == nil)
        await store.close()
    }

    public func concurrentConsumersHaveOneWinner() async throws {
        let store = try await make()
        let signals: JSONValue = ["payment_id": "contested", "amount": 1]
        let outcomes = try await withThrowingTaskGroup(of: (String, ExecutionCommitOutcome).self) { group in
            for i in 0..<64 {
                group.addTask {
                    let c = D.commit(1000 + i, signals: signals)
                    return (c.executionID, try await store.commit(c))
                }
            }
            var all: [(String, ExecutionCommitOutcome)] = []
            for try await o in group { all.append(o) }
            return all
        }
        let winners = outcomes.filter { if case .committed = $0.1 { return true }; return false }
        #expect(winners.count == 1)
        let winner = winners.first?.0 ?? "?"
        #expect(outcomes.filter { $0.1 == .replay(executionID: winner) }.count == 63)
        #expect(try await store.size() == 1)
        #expect(try await store.consumer(of: Hashing.fingerprint(signals)) == winner)
        await store.close()
    }

    public func overrideIsAcceptedOnce() async throws {
        let store = try await make()
        let c = D.commit(7, requiresOverride: true)
        _ = try await store.commit(c)
        let over = D.override(c)
        let outcomes = try await withThrowingTaskGroup(of: ResolutionCommitOutcome.self) { group in
            for _ in 0..<16 { group.addTask { try await store.commit(over) } }
            var all: [ResolutionCommitOutcome] = []
            for try await o in group { all.append(o) }
            return all
        }
        #expect(outcomes.filter { if case .committed = $0 { return true }; return false }.count == 1)
        #expect(outcomes.filter { $0 == .stale }.count == 15)
        let e = try await store.execution(c.executionID)
        #expect(e?.state == .overrideApproved && e?.resolutions.map(\.entry.seq) == [2] && e?.resolutions.first?.recordBytes == over.recordBytes)
        var unknown = over
        unknown.executionID = D.id(0xdead)
        #expect(try await store.commit(unknown) == .notFound)
        let done = D.commit(8)
        _ = try await store.commit(done)
        var onCompleted = over
        onCompleted.executionID = done.executionID
        #expect(try await store.commit(onCompleted) == .stale)
        await store.close()
    }

    /// Two approvals of a 2-of-2 quorum; a resolution based on an outdated count is stale.
    public func quorumAndStaleResolutions() async throws {
        let store = try await make()
        let c = D.commit(20, requiresOverride: true, approvals: 2, retain: true)
        _ = try await store.commit(c)
        let bob = SigningKey(roles: [.approver], approverID: "bob@example.com")
        #expect(try await store.commit(D.override(c, newState: .pendingOverride)) == .committed(seq: 2))
        #expect(try await store.execution(c.executionID)?.state == .pendingOverride)
        #expect(try await store.execution(c.executionID)?.retainedSignals != nil)
        // Based on zero resolutions, but one is recorded now.
        #expect(try await store.commit(D.override(c, basedOn: 0, approver: bob, approverID: "bob@example.com")) == .stale)
        #expect(try await store.commit(D.override(c, basedOn: 1, approver: bob, approverID: "bob@example.com")) == .committed(seq: 3))
        let e = try await store.execution(c.executionID)
        #expect(e?.state == .overrideApproved && e?.resolutions.map(\.entry.seq) == [2, 3])
        #expect(e?.retainedSignals == nil)
        #expect(try await store.pending(PendingQuery()).isEmpty)
        await store.close()
    }

    public func expiryIsFinal() async throws {
        let store = try await make()
        let due = Timestamp(millisecondsSinceEpoch: D.t0.millisecondsSinceEpoch + 60_000)
        let c = D.commit(30, requiresOverride: true, approvals: 2, expiresAt: due)
        _ = try await store.commit(c)
        #expect(try await store.expiring(at: D.t0, limit: 10).isEmpty)
        #expect(try await store.expiring(at: due, limit: 10) == [c.executionID])
        #expect(try await store.commit(D.expiry(c, at: due)) == .committed(seq: 2))
        #expect(try await store.execution(c.executionID)?.state == .overrideExpired)
        #expect(try await store.expiring(at: due, limit: 10).isEmpty)
        #expect(try await store.commit(D.override(c, basedOn: 1)) == .stale)
        await store.close()
    }

    public func idempotencyKeysBindOnce() async throws {
        let store = try await make()
        let first = D.commit(40, idempotencyKey: "order-40")
        #expect(try await store.commit(first) == .committed(seq: 1))
        let record = try await store.idempotency("order-40")
        #expect(record?.executionID == first.executionID && record?.requestHash == first.idempotency?.requestHash)
        // The same key again, even for other signals: the store answers with the binding, and writes nothing.
        let other = D.commit(41, idempotencyKey: "order-40")
        #expect(try await store.commit(other) == .idempotencyKeyBound(record!))
        #expect(try await store.size() == 1)
        #expect(try await store.consumer(of: other.fingerprint) == nil)
        #expect(try await store.idempotency("order-41") == nil)
        await store.close()
    }

    public func chainStaysContinuousAcrossReopen() async throws {
        var store = try await make()
        let pendingOne = D.commit(103, requiresOverride: true)
        for n in 1...5 { _ = try await store.commit(n == 3 ? pendingOne : D.commit(100 + n)) }
        _ = try await store.append(event: .runtimeStarted, record: D.fixture.manifest.bytes, at: D.t0)
        store = try await reopen(store)
        #expect(try await store.size() == 6)
        for n in 6...8 { _ = try await store.commit(D.commit(100 + n)) }
        #expect(try await store.commit(D.override(pendingOne)) == .committed(seq: 10))
        let entries = try await store.allEntries()
        #expect(entries.map(\.entry.seq) == Array(1...10))
        #expect(try await store.lastEvent(.runtimeStarted)?.entry.seq == 6)
        #expect(try await store.containsEvent(recordHash: D.fixture.manifest.hash))
        #expect(try await !store.containsEvent(recordHash: pendingOne.attestationHash))
        let report = try await D.verify(store)
        #expect(report.valid, "\(report.problems)")
        await store.close()
    }

    /// Everything a store serves beside the log matches the log (SPEC §16.3).
    public func theLogAndItsProjectionVerify() async throws {
        let store = try await make()
        let a = D.commit(50, requiresOverride: true, retain: true)
        let b = D.commit(51, requiresOverride: true, approvals: 2, policyID: "claims.triage", retain: true)
        _ = try await store.commit(a)
        _ = try await store.commit(b)
        _ = try await store.commit(D.commit(52, idempotencyKey: "k-52"))
        _ = try await store.commit(D.override(a, resolution: .reject, newState: .overrideRejected))
        _ = try await store.commit(D.override(b, newState: .pendingOverride))
        let report = try await D.verify(store)
        #expect(report.valid, "\(report.problems)")
        let rows = try await store.projectionRows()
        #expect(rows.contains(.pending(id: b.executionID, seq: 2, policyID: "claims.triage", expiresAt: nil)))
        let rejectedStillPending = rows.contains { row in
            guard case .pending(let id, _, _, _) = row else { return false }
            return id == a.executionID
        }
        #expect(!rejectedStillPending)
        let keyed = rows.contains { row in
            guard case .idempotency(let key, let id, _) = row else { return false }
            return key == "k-52" && id == D.id(52)
        }
        #expect(keyed)
        await store.close()
    }
}

/// The suite's fixed instant, for other tests.
public enum EvidenceStoreConformanceTime {
    public static let t0 = ConformanceData.t0
}
