import ParmanaRuntime
import ParmanaTesting
import Testing

@Suite struct MemoryStoreConformanceTests {
    @Test func conformance() async throws {
        try await EvidenceStoreConformance(make: { MemoryEvidenceStore() }, reopen: { $0 }).runAll()
    }

    @Test func replayStoreConsumesOnce() async throws {
        let r = MemoryReplayStore()
        let t = EvidenceStoreConformanceTime.t0
        let outcomes = try await withThrowingTaskGroup(of: ReplayOutcome.self) { g in
            for i in 0..<64 { g.addTask { try await r.consume("fp", executionID: "e\(i)", at: t) } }
            var all: [ReplayOutcome] = []
            for try await o in g { all.append(o) }
            return all
        }
        #expect(outcomes.filter { $0 == .consumed }.count == 1)
    }
}
