import ParmanaRuntime
import ParmanaTesting
import Testing

/// The in-memory adapters pass every port's conformance suite.
@Suite struct MemoryStoreConformanceTests {
    @Test func evidenceStore() async throws {
        try await EvidenceStoreConformance(make: { MemoryEvidenceStore() }, reopen: { $0 }).runAll()
    }

    @Test func auditLogReader() async throws {
        try await AuditLogReaderConformance(make: { MemoryEvidenceStore() }).runAll()
    }

    @Test func executionLedger() async throws {
        try await ExecutionLedgerConformance(make: { MemoryEvidenceStore() }).runAll()
    }

    @Test func replayStore() async throws {
        try await ReplayStoreConformance(make: { MemoryReplayStore() }).runAll()
    }

    /// Topology A's composition passes the evidence-store suite on the reference adapters.
    @Test func splitEvidenceStore() async throws {
        let make: @Sendable () -> any EvidenceStore = {
            SplitEvidenceStore(local: MemoryEvidenceStore(), replay: MemoryReplayStore(), nodeID: "node-a")
        }
        try await EvidenceStoreConformance(make: make, reopen: { $0 }).runAll()
        try await ExecutionLedgerConformance(make: make).runAll()
    }
}
