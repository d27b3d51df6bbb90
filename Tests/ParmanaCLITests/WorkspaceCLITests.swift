import Foundation
@testable import ParmanaCLI
import ParmanaCore
import ParmanaWorkspace
import ParmanaTesting
import Testing

/// End-to-end flows of the README through the real binary, and tamper cases that edit
/// the SQLite file directly.
@Suite(.serialized) struct WorkspaceCLITests {
    struct WS {
        let dir: String
        var ws: String { dir + "/ws" }

        init() throws {
            dir = CLI.tempDir()
            let r = try CLI.run(["init", "--dir", dir + "/ws"])
            #expect(r.status == 0, "\(r.stderr)")
        }

        func signals(_ id: String, _ amount: Double) throws -> String {
            let path = dir + "/\(id).json"
            try CLI.write(["payment_id": .string(id), "amount": .number(amount), "currency": "EUR", "kyc_verified": true], path)
            return path
        }

        func decide(_ id: String, _ amount: Double) throws -> JSONValue {
            let r = try CLI.run(["decide", "--dir", ws, "--policy-id", "payments.release", "--signals", try signals(id, amount), "--json"])
            #expect(r.status == 0, "\(r.stderr) \(r.stdout)")
            return try JSONParser().parse(r.stdout)
        }

        var db: String { ws + "/data/parmana.sqlite" }

        func auditVerify() throws -> (status: Int32, report: JSONValue) {
            let r = try CLI.run(["audit", "verify", "--dir", ws, "--json"])
            return (r.status, try JSONParser().parse(r.stdout))
        }
    }

    /// `--out` naming a device or a FIFO writes into it: the atomic rename used for files
    /// must never replace /dev/null with a regular file (found when `audit export --out
    /// /dev/null` did, as root).
    @Test func outputToADeviceOrFIFOWritesIntoIt() throws {
        let dir = CLI.tempDir()
        let ws = dir + "/ws"
        #expect(try CLI.run(["init", "--dir", ws]).status == 0)
        #expect(try CLI.run(["audit", "export", "--dir", ws, "--out", "/dev/null"]).status == 0)
        var info = stat()
        #expect(stat("/dev/null", &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR, "/dev/null is still a character device")
        // A FIFO: a reader collects what the export writes into it.
        let fifo = dir + "/pipe"
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/bin/cat")
        reader.arguments = [fifo]
        let out = Pipe()
        reader.standardOutput = out
        try reader.run()
        #expect(try CLI.run(["audit", "export", "--dir", ws, "--out", fifo]).status == 0)
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        reader.waitUntilExit()
        #expect(text.split(separator: "\n").count >= 4, "\(text)")
        #expect(stat(fifo, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO)
    }

    /// Stream mode: one output line per input line, in input order, blank lines
    /// included; a bad line gets its own error line and the stream goes on; the exit
    /// status is 1 when any line was not decided, 0 when all were.
    @Test func streamModeAnswersEveryLineInOrder() throws {
        let dir = CLI.tempDir()
        let ws = dir + "/ws"
        #expect(try CLI.run(["init", "--dir", ws]).status == 0)
        let good = { (id: String) in #"{"payment_id":"\#(id)","amount":5,"currency":"EUR","kyc_verified":true}"# }
        let input = [good("s1"), "", "{oops", good("s2"), good("s1")].joined(separator: "\n") + "\n"
        try Data(input.utf8).write(to: URL(fileURLWithPath: dir + "/lines.jsonl"))
        let r = try CLI.run(["decide", "--dir", ws, "--policy-id", "payments.release", "--signals-lines", dir + "/lines.jsonl"])
        #expect(r.status == 1, "\(r.stderr)")
        let out = r.stdout.split(separator: "\n").map { try? JSONParser().parse(Array($0.utf8)) }
        #expect(out.count == 5)
        guard out.count == 5 else { return }
        #expect(out[0]?["attestation"] != nil && out[3]?["attestation"] != nil)
        #expect(out[1]?["error"]?["code"] == "invalid_json" && out[1]?["error"]?["details"]?.arrayValue?.first?["message"] == "2")
        #expect(out[2]?["error"]?["code"] == "invalid_json" && out[2]?["error"]?["details"]?.arrayValue?.first?["message"] == "3")
        #expect(out[4]?["error"]?["code"] == "replay_detected")
        try Data((good("s3") + "\n" + good("s4") + "\n").utf8).write(to: URL(fileURLWithPath: dir + "/ok.jsonl"))
        let ok = try CLI.run(["decide", "--dir", ws, "--policy-id", "payments.release", "--signals-lines", dir + "/ok.jsonl"])
        #expect(ok.status == 0 && ok.stdout.split(separator: "\n").count == 2)
    }

    @Test func initIsCompleteAndRefusesToOverwrite() throws {
        let w = try WS()
        for f in ["config.json", "trust.json", "keys/attestation.key", "keys/policy.key", "keys/approver-demo.key", "tokens/admin.token",
                  "policies/payments.release@1.2.0.json", "policies/clinical.escalation@2.0.0.json", "policies/claims.triage@1.0.0.json"] {
            #expect(FileManager.default.fileExists(atPath: w.ws + "/" + f), "\(f)")
        }
        for f in ["keys/attestation.key", "keys/policy.key", "keys/approver-demo.key", "tokens/admin.token"] {
            let mode = (try FileManager.default.attributesOfItem(atPath: w.ws + "/" + f)[.posixPermissions] as? Int) ?? 0
            #expect(mode == 0o600, "\(f)")
        }
        let config = try JSONParser().parse(try readFile(w.ws + "/config.json"))
        let token = String(decoding: try readFile(w.ws + "/tokens/admin.token"), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(config["tokens"]?.arrayValue?.first?["sha256"]?.stringValue == Hashing.sha256Hex(Array(token.utf8)))
        #expect(!String(decoding: try readFile(w.ws + "/config.json"), as: UTF8.self).contains(token))
        #expect(try CLI.run(["init", "--dir", w.ws]).status == 2)
        let audit = try w.auditVerify()
        #expect(audit.status == 0 && audit.report["size"] == 4)
    }

    @Test func embeddedExamplePoliciesMatchTheFiles() throws {
        #expect(ExamplePolicies.all.count == 3)
        for (name, text) in ExamplePolicies.all {
            let file = String(decoding: try readFile(RepoPaths.root + "/examples/policies/\(name).json"), as: UTF8.self)
            #expect(file == text, "the embedded resource is examples/policies/\(name).json")
        }
    }

    @Test func decideReplayOverrideVerifyFlow() throws {
        let w = try WS()
        let first = try w.decide("p1", 100)
        #expect(first["execution_state"] == "completed")
        let replay = try CLI.run(["decide", "--dir", w.ws, "--policy-id", "payments.release", "--signals", w.dir + "/p1.json", "--json"])
        #expect(replay.status == 1)
        let err = try JSONParser().parse(replay.stdout)["error"]
        #expect(err?["code"] == "replay_detected" && err?["execution_id"] == first["execution_id"])

        let pending = try w.decide("p2", 50_000)
        #expect(pending["execution_state"] == "pending_override")
        let id = pending["execution_id"]!.stringValue!
        let approve = try CLI.run(["override", "approve", id, "--dir", w.ws, "--key", w.ws + "/keys/approver-demo.key",
                                   "--reason", "checked", "--out", w.dir + "/override.json"])
        #expect(approve.status == 0, "\(approve.stderr)")
        let again = try CLI.run(["override", "reject", id, "--dir", w.ws, "--key", w.ws + "/keys/approver-demo.key", "--reason", "x", "--json"])
        let againJSON = try JSONParser().parse(again.stdout)
        #expect(again.status == 1 && againJSON["error"]?["code"] == "override_already_resolved")
        let notPending = try CLI.run(["override", "approve", first["execution_id"]!.stringValue!, "--dir", w.ws, "--key", w.ws + "/keys/approver-demo.key", "--reason", "x"])
        #expect(notPending.status == 1 && notPending.stderr.contains("not_pending"))
        let wrongKey = try CLI.run(["override", "approve", id, "--dir", w.ws, "--key", w.ws + "/keys/policy.key", "--reason", "x"])
        #expect(wrongKey.status == 1 && wrongKey.stderr.contains("untrusted_key"))

        try CLI.write(pending["attestation"]!, w.dir + "/att.json")
        // Not covered by a checkpoint yet: not_yet_checkpointed, until one is signed.
        let early = try CLI.run(["audit", "proof", "--dir", w.ws, "--execution", id, "--json"])
        let earlyJSON = try JSONParser().parse(early.stdout)
        #expect(early.status == 2 && earlyJSON["error"]?["code"] == "not_yet_checkpointed")
        #expect(try CLI.run(["audit", "checkpoint", "--dir", w.ws]).status == 0)
        let proof = try CLI.run(["audit", "proof", "--dir", w.ws, "--execution", id])
        #expect(proof.status == 0, "\(proof.stderr)")
        try Data(proof.stdout.utf8).write(to: URL(fileURLWithPath: w.dir + "/proof.json"))
        let v = try CLI.run(["verify", w.dir + "/att.json", "--trust", w.ws + "/trust.json", "--signals", w.dir + "/p2.json",
                             "--policy", w.ws + "/policies/payments.release@1.2.0.json", "--override", w.dir + "/override.json",
                             "--proof", w.dir + "/proof.json", "--require-known-runtime", "--json"])
        #expect(v.status == 0, "\(v.stdout)")
        let report = try JSONParser().parse(v.stdout)
        #expect(report["authorized"] == true)
        for check in ["payload_well_formed", "key_trusted", "signature_valid", "runtime_verified", "fingerprint_matches",
                      "policy_matches", "decision_reproduced", "override_valid", "audit_included"] {
            #expect(report["checks"]?[check] == true, "\(check)")
        }
        // Another policy version does not match.
        let other = try CLI.run(["verify", w.dir + "/att.json", "--trust", w.ws + "/trust.json", "--signals", w.dir + "/p2.json",
                                 "--policy", w.ws + "/policies/claims.triage@1.0.0.json"])
        #expect(other.status == 1 && other.stdout.contains("policy_mismatch"))
        #expect(try w.auditVerify().status == 0)
    }

    @Test func rotationFlow() throws {
        let w = try WS()
        let before = try w.decide("r1", 10)
        try CLI.write(before["attestation"]!, w.dir + "/old.json")
        #expect(try CLI.run(["keygen", "--role", "attestation,checkpoint", "--out", w.dir + "/new.key"]).status == 0)
        let rot = try CLI.run(["trust", "rotate", "--key", w.dir + "/new.key", "--dir", w.ws])
        #expect(rot.status == 0, "\(rot.stderr)")
        let after = try w.decide("r2", 10)
        let newID = try JSONParser().parse(try readFile(w.dir + "/new.key"))["key_id"]
        #expect(after["attestation"]?["payload"]?["key_id"] == newID)
        try CLI.write(after["attestation"]!, w.dir + "/new.json")
        // Both verify with only the trust store.
        #expect(try CLI.run(["verify", w.dir + "/old.json", "--trust", w.ws + "/trust.json", "--require-known-runtime"]).status == 0)
        #expect(try CLI.run(["verify", w.dir + "/new.json", "--trust", w.ws + "/trust.json", "--require-known-runtime"]).status == 0)
        #expect(try w.auditVerify().status == 0)
    }

    @Test func trustAddKeyAndRuntimeManifest() throws {
        let w = try WS()
        #expect(try CLI.run(["keygen", "--role", "approver", "--approver-id", "bob@example.com", "--out", w.dir + "/bob.key"]).status == 0)
        #expect(try CLI.run(["trust", "add-key", "--public-key", w.dir + "/bob.key.pub.json", "--dir", w.ws]).status == 0)
        #expect(try CLI.run(["trust", "add-key", "--public-key", w.dir + "/bob.key.pub.json", "--dir", w.ws]).status == 2)
        let pending = try w.decide("t1", 20_000)
        let r = try CLI.run(["override", "reject", pending["execution_id"]!.stringValue!, "--dir", w.ws, "--key", w.dir + "/bob.key", "--reason", "no"])
        #expect(r.status == 0, "\(r.stderr)")
        let m = try CLI.run(["runtime", "manifest", "--json"])
        let mJSON = try JSONParser().parse(m.stdout)
        #expect(m.status == 0 && mJSON["runtime_hash"]?.stringValue?.count == 64)
        let signed = try CLI.run(["runtime", "manifest", "--sign", w.ws + "/keys/attestation.key"])
        try Data(signed.stdout.utf8).write(to: URL(fileURLWithPath: w.dir + "/manifest.json"))
        #expect(try CLI.run(["trust", "add-runtime", w.dir + "/manifest.json", "--dir", w.ws]).status == 0)
    }

}
