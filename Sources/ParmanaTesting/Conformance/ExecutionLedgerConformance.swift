import Foundation
import ParmanaCore
import ParmanaRuntime
import Testing

/// The conformance suite of the ``ExecutionLedger`` port: executions by id with their
/// records, the pending queue (oldest first, by policy, paged), expiries due, retained
/// signals and idempotency keys.
public struct ExecutionLedgerConformance: Sendable {
    public var make: @Sendable () async throws -> any EvidenceStore

    public init(make: @escaping @Sendable () async throws -> any EvidenceStore) { self.make = make }

    typealias D = ConformanceData

    public func runAll() async throws {
        try await executionsCarryTheirRecords()
        try await pendingQueueOrderFilterAndPages()
    }

    public func executionsCarryTheirRecords() async throws {
        let store = try await make()
        let c = D.commit(60, requiresOverride: true, retain: true)
        _ = try await store.commit(D.commit(59))
        _ = try await store.commit(c)
        let e = try #require(try await store.execution(c.executionID))
        #expect(e.seq == 2 && e.state == .pendingOverride && e.attestation.recordBytes == c.attestationBytes)
        #expect(e.attestation.entry.seq == 2 && e.resolutions.isEmpty)
        #expect(e.retainedSignals.map(Hashing.sha256Hex) == c.fingerprint)
        #expect(try await store.execution(D.id(59))?.retainedSignals == nil)
        #expect(try await store.execution("not-a-uuid") == nil)
        #expect(try await store.consumer(of: String(repeating: "0", count: 64)) == nil)
        await store.close()
    }

    public func pendingQueueOrderFilterAndPages() async throws {
        let store = try await make()
        var pendingIDs: [String] = []
        for n in 1...12 {
            let pending = n % 2 == 0
            let c = D.commit(500 + n, requiresOverride: pending, policyID: n % 4 == 0 ? "claims.triage" : "payments.release")
            _ = try await store.commit(c)
            if pending { pendingIDs.append(c.executionID) }
        }
        let page1 = try await store.pending(PendingQuery(limit: 4))
        let page2 = try await store.pending(PendingQuery(afterSeq: page1.last!.seq, limit: 4))
        #expect(page1.count == 4 && page2.count == 2)
        #expect((page1 + page2).map(\.executionID) == pendingIDs, "oldest first")
        #expect((page1 + page2).allSatisfy { $0.state == .pendingOverride })
        let claims = try await store.pending(PendingQuery(policyID: "claims.triage"))
        #expect(claims.map(\.executionID) == [D.id(504), D.id(508), D.id(512)])
        _ = try await store.commit(D.override(D.commit(504, requiresOverride: true, policyID: "claims.triage")))
        #expect(try await store.pending(PendingQuery(policyID: "claims.triage")).map(\.executionID) == [D.id(508), D.id(512)])
        await store.close()
    }
}
