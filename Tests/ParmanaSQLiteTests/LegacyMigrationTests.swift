import Foundation
import ParmanaCore
import ParmanaRuntime
import ParmanaSQLite
import ParmanaTesting
import Testing

/// A workspace database in the v2 schema (Tests/Fixtures/legacy-v2, written by its
/// checked-in script with independent Python signatures) migrates on open to the
/// compact v3 schema, keeping every entry byte for byte (issue 10).
@Suite struct LegacyMigrationTests {
    static let fixture = RepoPaths.root + "/Tests/Fixtures/legacy-v2"

    static func copy() throws -> String {
        let path = tempDB()
        try FileManager.default.copyItem(atPath: fixture + "/parmana.sqlite", toPath: path)
        return path
    }

    @Test func migratesOnOpenAndStillVerifies() async throws {
        let path = try Self.copy()
        // What the v2 tables hold, read as an outsider before the migration.
        let before = try SQLiteShell.query(path, "SELECT group_concat(seq || ':' || entry_hash || ':' || record_hash || ':' || prev_hash, ',') FROM (SELECT * FROM audit ORDER BY seq)")
        let trust = try TrustStore(json: try JSONParser().parse(Array(try Data(contentsOf: URL(fileURLWithPath: Self.fixture + "/trust.json")))))

        let store = try SQLiteEvidenceStore(path: path)
        let entries = try await store.allEntries()
        #expect(entries.count == 6)
        let after = entries.map { "\($0.entry.seq):\($0.entry.entryHash):\($0.entry.recordHash):\($0.entry.prevHash)" }.joined(separator: ",")
        #expect(after == before, "every entry keeps its fields and hash")
        let tables = try SQLiteShell.query(path, "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name)")
        #expect(!tables.contains("audit") && !tables.contains("legacy") && tables.contains("entries"), "\(tables)")

        var v = AuditLogVerifier(trust: trust, rebuildProjection: true)
        v.begin(logID: "parmana-legacyfixture01", checkpoints: try await store.checkpoints())
        v.verify(entries)
        var report = v.end()
        report.problems += v.projection.compare(try await store.projectionRows())
        #expect(report.valid && report.problems.isEmpty && report.checkpointsChecked == 1, "\(report.problems)")

        // The ledger serves the migrated executions from the log.
        let approved = try #require(try await store.execution("00000002-1111-4222-8333-444444444444"))
        #expect(approved.state == .overrideApproved && approved.resolutions.map(\.entry.seq) == [6])
        #expect(try await store.pending(PendingQuery()).map(\.executionID) == ["00000003-1111-4222-8333-444444444444"])
        #expect(try await store.latestCheckpoint() != nil)

        // Proofs from the migrated tree equal those over all leaves.
        let leaves = entries.map { Merkle.leafHash(entryHash: $0.entry.entryHash) }
        let runtimeFetch: ([MerkleNodeID]) async throws(ParmanaError) -> [MerkleNodeID: Merkle.Hash] = { ids throws(ParmanaError) in
            do throws(StoreError) {
                return try await store.treeHashes(ids).reduce(into: [:]) { $0[$1.key] = $1.key.level == 0 ? Merkle.leafHash($1.value) : $1.value }
            } catch { throw ParmanaError(error) }
        }
        let root = try await MerkleProofs.compute({ (f) throws(ParmanaError) in try MerkleProofs.root(size: 6, fetch: f) }, fetch: runtimeFetch)
        #expect(root == Merkle.root(leaves))

        // The chain continues after the migration, and the migration runs once.
        await store.close()
        let reopened = try SQLiteEvidenceStore(path: path)
        let c = ConformanceData.commit(9_001)
        #expect(try await reopened.commit(c) == .committed(seq: 7))
        #expect(try await reopened.allEntries()[6].entry.prevHash == entries[5].entry.entryHash)
        #expect(try SQLiteShell.query(path, "SELECT COUNT(*) FROM grdb_migrations") == "1")
        await reopened.close()
    }

    /// A v2 database whose state was edited before the upgrade: the migration carries
    /// the edit over, and audit verify still finds it.
    @Test func earlierTamperingSurvivesTheMigration() async throws {
        let path = try Self.copy()
        try SQLiteShell.exec(path, "UPDATE executions SET state = 'override_approved' WHERE execution_id = '00000003-1111-4222-8333-444444444444';")
        let trust = try TrustStore(json: try JSONParser().parse(Array(try Data(contentsOf: URL(fileURLWithPath: Self.fixture + "/trust.json")))))
        let store = try SQLiteEvidenceStore(path: path)
        var v = AuditLogVerifier(trust: trust, rebuildProjection: true)
        v.begin(logID: "parmana-legacyfixture01", checkpoints: try await store.checkpoints())
        v.verify(try await store.allEntries())
        #expect(v.end().valid)
        let problems = v.projection.compare(try await store.projectionRows())
        #expect(problems.contains { $0.code == .projectionMismatch && $0.executionID == "00000003-1111-4222-8333-444444444444" && $0.seq == 5 })
        await store.close()
    }
}
