import Foundation
import ParmanaCore
import ParmanaRuntime
import Testing

/// The shared conformance suite every ``EvidenceStore`` backend runs. Timestamps are
/// explicit; nothing sleeps.
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

    static let fixture = Fixture()
    static let t0 = Timestamp("2026-11-23T12:00:00.000Z")!

    static func commit(_ n: Int, requiresOverride: Bool = false, signals: JSONValue? = nil, id: String? = nil) -> ExecutionCommit {
        let f = fixture
        let s = signals ?? ["payment_id": .string("pay-\(n)"), "amount": .number(Double(n))]
        let execID = id ?? String(format: "00000000-0000-4000-8000-%012x", n)
        let p = f.attestationPayload(signals: s, requiresOverride: requiresOverride, executionID: execID)
        return ExecutionCommit(executionID: execID, fingerprint: Hashing.fingerprint(s), attestation: f.attestation(p),
                               state: requiresOverride ? .pendingOverride : .completed, at: t0)
    }

    /// Runs every check.
    public func runAll() async throws {
        try await consumesOnce()
        try await concurrentConsumersHaveOneWinner()
        try await overrideIsAcceptedOnce()
        try await chainStaysContinuousAcrossReopen()
        try await pendingAndPagination()
        try await checkpointsRoundTrip()
    }

    public func consumesOnce() async throws {
        let store = try await make()
        let first = Self.commit(1)
        #expect(try await store.commit(first) == .committed(seq: 1))
        var again = Self.commit(1, id: "00000000-0000-4000-8000-0000000000ff")
        again.at = Self.t0
        #expect(try await store.commit(again) == .replay(executionID: first.executionID))
        #expect(try await store.size() == 1)
        #expect(try await store.consumer(of: first.fingerprint) == first.executionID)
        #expect(try await store.execution("00000000-0000-4000-8000-0000000000ff") == nil)
        await store.close()
    }

    public func concurrentConsumersHaveOneWinner() async throws {
        let store = try await make()
        let signals: JSONValue = ["payment_id": "contested", "amount": 1]
        let outcomes = try await withThrowingTaskGroup(of: (String, ExecutionCommitOutcome).self) { group in
            for i in 0..<64 {
                group.addTask {
                    let c = Self.commit(1000 + i, signals: signals)
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
        let c = Self.commit(7, requiresOverride: true)
        _ = try await store.commit(c)
        let over = Self.fixture.override(of: c.attestation)
        let outcomes = try await withThrowingTaskGroup(of: OverrideCommitOutcome.self) { group in
            for _ in 0..<16 {
                group.addTask { try await store.commit(OverrideCommit(executionID: c.executionID, override: over, newState: .overrideApproved, at: Self.t0)) }
            }
            var all: [OverrideCommitOutcome] = []
            for try await o in group { all.append(o) }
            return all
        }
        #expect(outcomes.filter { if case .committed = $0 { return true }; return false }.count == 1)
        #expect(outcomes.filter { $0 == .notPending(.overrideApproved) }.count == 15)
        let e = try await store.execution(c.executionID)
        #expect(e?.state == .overrideApproved && e?.override == over && e?.overrideSeq == 2)
        #expect(try await store.commit(OverrideCommit(executionID: "00000000-0000-4000-8000-00000000dead", override: over, newState: .overrideApproved, at: Self.t0)) == .notFound)
        let done = Self.commit(8)
        _ = try await store.commit(done)
        #expect(try await store.commit(OverrideCommit(executionID: done.executionID, override: over, newState: .overrideApproved, at: Self.t0)) == .notPending(.completed))
        await store.close()
    }

    public func chainStaysContinuousAcrossReopen() async throws {
        var store = try await make()
        for n in 1...5 { _ = try await store.commit(Self.commit(100 + n, requiresOverride: n == 3)) }
        _ = try await store.append(kind: .runtimeStarted, record: Self.fixture.manifest.json, at: Self.t0)
        store = try await reopen(store)
        #expect(try await store.size() == 6)
        for n in 6...8 { _ = try await store.commit(Self.commit(100 + n)) }
        let pendingOne = Self.commit(103, requiresOverride: true)
        _ = try await store.commit(OverrideCommit(executionID: pendingOne.executionID, override: Self.fixture.override(of: pendingOne.attestation),
                                                  newState: .overrideApproved, at: Self.t0))
        let entries = try await store.allEntries()
        #expect(entries.map(\.entry.seq) == Array(1...10))
        #expect(try await store.lastEntry(of: .runtimeStarted)?.entry.seq == 6)
        #expect(try await store.contains(recordHash: Self.fixture.manifest.hash))
        let report = AuditLogVerifier(trust: Self.fixture.trust).verify(entries, checkpoints: [])
        #expect(report.valid, "\(report.problems)")
        await store.close()
    }

    public func pendingAndPagination() async throws {
        let store = try await make()
        for n in 1...12 { _ = try await store.commit(Self.commit(200 + n, requiresOverride: n % 2 == 0)) }
        let page1 = try await store.pending(limit: 4, after: nil)
        let page2 = try await store.pending(limit: 4, after: page1.last?.executionID)
        #expect(page1.count == 4 && page2.count == 2)
        #expect((page1 + page2).allSatisfy { $0.state == .pendingOverride })
        #expect(Set((page1 + page2).map(\.executionID)).count == 6)
        let some = try await store.entries(from: 5, limit: 3)
        #expect(some.map(\.entry.seq) == [5, 6, 7])
        #expect(try await store.entries(from: 13, limit: 3).isEmpty)
        await store.close()
    }

    public func checkpointsRoundTrip() async throws {
        let store = try await make()
        for n in 1...3 { _ = try await store.commit(Self.commit(300 + n)) }
        let entries = try await store.allEntries()
        let leaves = entries.map { Merkle.leafHash(entryHash: $0.entry.entryHash) }
        let cp = CheckpointPayload(logID: "test", size: 3, rootHash: Hex.encode(Merkle.root(leaves)),
                                   lastEntryHash: entries[2].entry.entryHash, issuedAt: Self.t0, keyID: Self.fixture.checkpointKey.keyID)
        let env = Envelope.sign(cp.json, with: Self.fixture.checkpointKey)
        try await store.add(checkpoint: env)
        #expect(try await store.checkpoints() == [env])
        let report = AuditLogVerifier(trust: Self.fixture.trust).verify(entries, checkpoints: [env])
        #expect(report.valid && report.checkpointsChecked == 1)
        await store.close()
    }
}

/// The suite's fixed instant, for other tests.
public enum EvidenceStoreConformanceTime {
    public static let t0 = Timestamp("2026-11-23T12:00:00.000Z")!
}
