import Foundation
import ParmanaCore
import ParmanaTesting
import ParmanaWorkspace
import Testing

/// Editing the SQLite file as an outsider would, then `parmana audit verify` through
/// the real binary: every tamper is found, with its code and the first seq involved
/// (SPEC §11, §16.3; issues 4 and 9).
@Suite(.serialized) struct TamperCLITests {
    /// A workspace with two completed decisions, one approved and one pending execution,
    /// and a checkpoint over all of it.
    struct Log {
        let w: WorkspaceCLITests.WS
        var pendingID = ""
        var approvedID = ""
        var completedID = ""

        init() throws {
            w = try WorkspaceCLITests.WS()
            // seq 1–4: runtime_started, 3 × policy_loaded
            completedID = try w.decide("x0", 1)["execution_id"]!.stringValue!       // seq 5
            _ = try w.decide("x1", 2)                                              // seq 6
            approvedID = try w.decide("big1", 50_000)["execution_id"]!.stringValue!  // seq 7
            pendingID = try w.decide("big2", 60_000)["execution_id"]!.stringValue!   // seq 8
            let approve = try CLI.run(["override", "approve", approvedID, "--dir", w.ws, "--key", w.ws + "/keys/approver-demo.key", "--reason", "ok"])
            #expect(approve.status == 0, "\(approve.stderr)")                       // seq 9
            #expect(try CLI.run(["audit", "checkpoint", "--dir", w.ws]).status == 0)
            let clean = try w.auditVerify()
            #expect(clean.status == 0, "\(clean.report)")
        }

        func tamper(_ sql: String) throws -> (status: Int32, report: JSONValue) {
            try SQLiteShell.exec(w.db, sql)
            return try w.auditVerify()
        }

        func uuid(_ id: String) -> String { "X'" + id.replacingOccurrences(of: "-", with: "") + "'" }
    }

    static func errors(_ report: JSONValue) -> [(code: String, seq: Int, id: String?)] {
        (report["errors"]?.arrayValue ?? []).map {
            ($0["code"]!.stringValue!, Int($0["seq"]!.numberValue!), $0["execution_id"]?.stringValue)
        }
    }

    // MARK: the log itself (audit_chain_broken)

    @Test func aModifiedRecord() throws {
        let log = try Log()
        let (status, report) = try log.tamper("UPDATE entries SET record = CAST(replace(CAST(record AS TEXT), '\"approve\"', '\"reject\"') AS BLOB) WHERE seq = 6;")
        #expect(status == 1 && report["valid"] == false && report["first_bad_seq"] == 6)
        #expect(Self.errors(report).first?.code == "audit_chain_broken")
    }

    /// The attestation is stored once (in the log): changing "its copy" is changing the log.
    @Test func theAttestationHasNoSecondCopy() throws {
        let log = try Log()
        let columns = try SQLiteShell.query(log.w.db, "SELECT group_concat(name) FROM pragma_table_info('executions')")
        #expect(columns == "execution_id,seq,state")
        let (status, report) = try log.tamper("UPDATE entries SET record = CAST(replace(CAST(record AS TEXT), '\"manual_review\"', '\"within_limits\"') AS BLOB) WHERE seq = 7;")
        #expect(status == 1 && report["first_bad_seq"] == 7)
    }

    @Test func aChangedOverride() throws {
        let log = try Log()
        let (status, report) = try log.tamper("UPDATE entries SET record = CAST(replace(CAST(record AS TEXT), '\"ok\"', '\"no\"') AS BLOB) WHERE seq = 9;")
        #expect(status == 1 && report["first_bad_seq"] == 9)
    }

    @Test func aDeletedEntry() throws {
        let log = try Log()
        let (status, report) = try log.tamper("DELETE FROM entries WHERE seq = 5;")
        #expect(status == 1 && report["first_bad_seq"] == 5)
    }

    @Test func reorderedEntries() throws {
        let log = try Log()
        let (status, report) = try log.tamper("UPDATE entries SET seq = -1 WHERE seq = 6; UPDATE entries SET seq = 6 WHERE seq = 5; UPDATE entries SET seq = 5 WHERE seq = -1;")
        #expect(status == 1 && report["first_bad_seq"] == 5)
    }

    @Test func aForgedCheckpoint() throws {
        let log = try Log()
        let (status, report) = try log.tamper("UPDATE checkpoints SET envelope = CAST(replace(CAST(envelope AS TEXT), '\"size\":9', '\"size\":8') AS BLOB);")
        #expect(status == 1 && report["valid"] == false)
        #expect((report["errors"]?.arrayValue ?? []).contains { ($0["message"]?.stringValue ?? "").contains("checkpoint") })
    }

    /// A consistent forgery: a correctly chained, validly signed second execution of an
    /// already-executed fingerprint, appended with the workspace's own key.
    @Test func aFingerprintExecutedTwice() throws {
        let log = try Log()
        let db = log.w.db
        let key = try FileIO.loadPrivateKey(log.w.ws + "/keys/attestation.key")
        let last = try SQLiteShell.query(db, "SELECT seq || '|' || hex(entry_hash) FROM entries ORDER BY seq DESC LIMIT 1").split(separator: "|")
        let record = try JSONParser().parse(try SQLiteShell.query(db, "SELECT CAST(record AS TEXT) FROM entries WHERE seq = 5"))
        var payload = try AttestationPayload(json: record["payload"]!)
        payload.executionID = "11111111-2222-4333-8444-555555555555"
        let env = Envelope.sign(payload.json, with: key)
        let bytes = CanonicalJSON.bytes(env.json)
        var chain = try AuditChain.resume(size: Int(last[0])!, lastEntryHash: Hex.decode(String(last[1]).lowercased())!,
                                          storedHashes: AuditChain.nodesToResume(size: Int(last[0])!).map { _ in [UInt8](repeating: 0, count: 32) })
        let a = chain.append(kind: .execution, executionID: payload.executionID, fingerprint: payload.executionFingerprint,
                             recordHash: Hashing.sha256Hex(bytes), at: payload.issuedAt)
        try SQLiteShell.exec(db, """
            INSERT INTO entries VALUES (\(a.entry.seq), 1, \(log.uuid(payload.executionID)), X'\(payload.executionFingerprint)',
            \(payload.issuedAt.millisecondsSinceEpoch), X'\(Hex.encode(a.entryHash))', X'\(Hex.encode(bytes))');
            """)
        let (status, report) = try log.w.auditVerify()
        #expect(status == 1 && report["first_bad_seq"] == .number(Double(a.entry.seq)))
        #expect((report["errors"]?.arrayValue ?? []).contains { ($0["message"]?.stringValue ?? "").contains("already executed") })
    }

    // MARK: what the store serves beside the log (projection_mismatch)

    @Test func aChangedState() throws {
        let log = try Log()
        let (status, report) = try log.tamper("UPDATE executions SET state = 3 WHERE execution_id = \(log.uuid(log.pendingID));")
        #expect(status == 1)
        #expect(Self.errors(report).contains { $0.code == "projection_mismatch" && $0.id == log.pendingID && $0.seq == 8 })
        // And nothing serves it as approved: reading it fails closed.
        let show = try CLI.run(["executions", "show", log.pendingID, "--dir", log.w.ws, "--json"])
        let shown = try JSONParser().parse(show.stdout)
        #expect(show.status == 1 && shown["error"]?["code"] == "projection_mismatch", "\(show.stdout)")
    }

    @Test func aDeletedReplayRow() throws {
        let log = try Log()
        let (status, report) = try log.tamper("DELETE FROM replay WHERE seq = 6;")
        #expect(status == 1 && Self.errors(report).contains { $0.code == "projection_mismatch" && $0.seq == 6 })
    }

    @Test func aReplayRowPointingAtAnotherExecution() throws {
        let log = try Log()
        let (status, report) = try log.tamper("UPDATE replay SET seq = 5 WHERE seq = 6;")
        #expect(status == 1 && Self.errors(report).contains { $0.code == "projection_mismatch" && $0.seq == 5 })
    }

    @Test func aDeletedResolution() throws {
        let log = try Log()
        let (status, report) = try log.tamper("DELETE FROM resolutions WHERE seq = 9;")
        #expect(status == 1 && Self.errors(report).contains { $0.code == "projection_mismatch" && $0.id == log.approvedID })
    }

    @Test func aPendingExecutionDroppedFromTheQueue() throws {
        let log = try Log()
        let (status, report) = try log.tamper("DELETE FROM pending WHERE seq = 8;")
        #expect(status == 1 && Self.errors(report).contains { $0.code == "projection_mismatch" && $0.id == log.pendingID && $0.seq == 8 })
    }

    @Test func changedRetainedSignals() throws {
        let log = try Log()
        let (status, report) = try log.tamper("UPDATE signals SET signals = CAST(replace(CAST(signals AS TEXT), '60000', '6') AS BLOB);")
        #expect(status == 1 && Self.errors(report).contains { $0.code == "projection_mismatch" && $0.id == log.pendingID })
        let show = try CLI.run(["executions", "show", log.pendingID, "--dir", log.w.ws, "--json"])
        #expect(show.status == 1 && show.stdout.contains("projection_mismatch"))
    }

    @Test func aPendingRowFiledUnderAnotherPolicy() throws {
        let log = try Log()
        let (status, report) = try log.tamper("UPDATE pending SET policy_id = 'claims.triage' WHERE seq = 8;")
        #expect(status == 1 && Self.errors(report).contains { $0.code == "projection_mismatch" && $0.id == log.pendingID })
    }

    @Test func aStoredMerkleNodeChanged() throws {
        let log = try Log()
        let (status, report) = try log.tamper("UPDATE tree SET hash = zeroblob(32) WHERE rowid = (SELECT MIN(rowid) FROM tree);")
        #expect(status == 1 && Self.errors(report).contains { $0.code == "projection_mismatch" && $0.id == nil })
    }

    @Test func anIdempotencyKeyRepointed() throws {
        let log = try Log()
        let dir = log.w.dir
        try CLI.write(["payment_id": "keyed", "amount": 3, "currency": "EUR", "kyc_verified": true], dir + "/keyed.json")
        let keyed = try CLI.run(["decide", "--dir", log.w.ws, "--policy-id", "payments.release", "--signals", dir + "/keyed.json",
                                 "--idempotency-key", "order-1", "--json"])
        #expect(keyed.status == 0)
        #expect(try log.w.auditVerify().status == 0)
        let (status, report) = try log.tamper("UPDATE idempotency SET execution_id = \(log.uuid(log.completedID)) WHERE key = 'order-1';")
        #expect(status == 1 && Self.errors(report).contains { $0.code == "projection_mismatch" && $0.id == log.completedID })
        // A retry is not answered with the other execution's attestation.
        let retry = try CLI.run(["decide", "--dir", log.w.ws, "--policy-id", "payments.release", "--signals", dir + "/keyed.json",
                                 "--idempotency-key", "order-1", "--json"])
        #expect(retry.status != 0 && retry.stdout.contains("projection_mismatch"), "\(retry.stdout)")
        #expect(!retry.stdout.contains("\"attestation\""))
    }
}
