import Foundation
@testable import ParmanaCLI
import ParmanaCore
import ParmanaTesting
import ParmanaWorkspace
import Testing

/// `parmana init --join` and `parmana replay reconcile` through the real binary (SPEC §17).
@Suite struct ClusterCLITests {
    static func json(_ r: CLI.Result) throws -> JSONValue { try JSONParser().parse(r.stdout) }

    static func signals(_ dir: String, _ id: String) throws -> String {
        let path = dir + "/\(id).json"
        try CLI.write(["payment_id": .string(id), "amount": 100, "currency": "EUR", "kyc_verified": true], path)
        return path
    }

    /// Sets `fields` in the workspace's config.json; a config that is not an object fails
    /// the test (never a silent pass).
    static func setConfig(_ ws: String, _ fields: [String: JSONValue]) throws {
        var config = try #require(try JSONParser().parse(try readFile(ws + "/config.json")).objectValue, "\(ws)/config.json is not an object")
        for (k, v) in fields { config[k] = v }
        try CLI.write(.object(config), ws + "/config.json")
    }

    /// Two workspaces: D1 made by init (with `config` set in its config.json), D2 joined to it.
    static func cluster(config fields: [String: JSONValue] = [:]) throws -> (dir: String, d1: String, d2: String, joined: JSONValue) {
        let dir = CLI.tempDir()
        let d1 = dir + "/d1", d2 = dir + "/d2"
        #expect(try CLI.run(["init", "--dir", d1, "--node-id", "node-a"]).status == 0)
        if !fields.isEmpty { try setConfig(d1, fields) }
        let r = try CLI.run(["init", "--dir", d2, "--join", d1, "--node-id", "node-b", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        return (dir, d1, d2, try json(r))
    }

    @Test func joinSharesTheTrustStorePoliciesTokensAndSettings() throws {
        let (dir, d1, d2, joined) = try Self.cluster()
        let keyID = try #require(joined["attestation_key_id"]?.stringValue)
        let trust1 = try readFile(d1 + "/trust.json"), trust2 = try readFile(d2 + "/trust.json")
        #expect(trust1 == trust2, "one trust store, in both workspaces")
        let trust = try TrustStore(json: try JSONParser().parse(trust1))
        #expect(trust.key(keyID)?.roles == [.attestation, .checkpoint])
        #expect(trust.isKnownRuntime(try #require(joined["runtime_hash"]?.stringValue)))
        let c1 = try JSONParser().parse(try readFile(d1 + "/config.json")), c2 = try JSONParser().parse(try readFile(d2 + "/config.json"))
        #expect(c2["node_id"] == "node-b" && c1["node_id"] == "node-a")
        #expect(c2["log_id"] != c1["log_id"])
        #expect(c2["tokens"] == c1["tokens"] && c2["store"] == c1["store"])
        #expect(try readFile(d2 + "/tokens/admin.token") == readFile(d1 + "/tokens/admin.token"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: d2 + "/policies").sorted()
                == FileManager.default.contentsOfDirectory(atPath: d1 + "/policies").sorted())
        #expect(!FileManager.default.fileExists(atPath: d2 + "/keys/policy.key"), "operator keys stay where they were")
        // Each node's attestation verifies with the other's trust store, runtime known.
        for (from, to) in [(d1, d2), (d2, d1)] {
            let r = try CLI.run(["decide", "--dir", from, "--policy-id", "payments.release", "--signals", try Self.signals(dir, "p-\(from.suffix(2))"), "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            try CLI.write(try Self.json(r)["attestation"]!, dir + "/att.json")
            let v = try CLI.run(["verify", dir + "/att.json", "--trust", to + "/trust.json", "--require-known-runtime", "--json"])
            let report = try Self.json(v)
            #expect(v.status == 0 && report["valid"] == true, "\(v.stdout)")
        }
        #expect(try CLI.run(["audit", "verify", "--dir", d2]).status == 0)
        // An auditor given one log twice is told so (not "a fingerprint in two logs"); an
        // export with no checkpoint verifies, with a warning that nothing signed bounds it.
        let e1 = dir + "/e1.jsonl"
        #expect(try CLI.run(["audit", "export", "--dir", d1, "--out", e1]).status == 0)
        let twice = try CLI.run(["audit", "verify", "--log", e1, "--log", e1, "--trust", d1 + "/trust.json"])
        #expect(twice.status == 2 && twice.stderr.contains("same log"), "\(twice.stderr)")
        let lines = String(decoding: try readFile(e1), as: UTF8.self).split(separator: "\n").filter { !$0.hasPrefix(#"{"checkpoint""#) }
        let bare = dir + "/e1-bare.jsonl"
        #expect(FileManager.default.createFile(atPath: bare, contents: Data((lines.joined(separator: "\n") + "\n").utf8)))
        let unbounded = try CLI.run(["audit", "verify", "--log", bare, "--trust", d1 + "/trust.json"])
        #expect(unbounded.status == 0 && unbounded.stderr.contains("no signed checkpoint"), "\(unbounded.stdout)\(unbounded.stderr)")
    }

    @Test func joinRefusesWhatItCannotDo() throws {
        let (dir, d1, d2, _) = try Self.cluster()
        #expect(try CLI.run(["init", "--dir", d2, "--join", d1, "--node-id", "node-c"]).status == 2, "D2 exists")
        #expect(try CLI.run(["init", "--dir", dir + "/d3", "--join", dir + "/nowhere", "--node-id", "node-c"]).status == 2, "D1 is not a workspace")
        #expect(try CLI.run(["init", "--dir", dir + "/d3", "--join", d1]).status == 2, "--node-id is required")
        #expect(try CLI.run(["init", "--dir", dir + "/d3", "--join", d1, "--node-id", "node-a"]).status == 2, "D1's own node id")
        #expect(try CLI.run(["init", "--dir", dir + "/d3", "--join", d1, "--node-id", "node-b"]).status == 2, "a node id already in the cluster")
        #expect(try CLI.run(["init", "--dir", dir + "/d3", "--join", d1, "--node-id", "Bad Name"]).status == 2)
        #expect(!FileManager.default.fileExists(atPath: dir + "/d3"))
    }

    @Test func aClusterOnRedis() throws {
        // Never skipped: without the variable the test fails (scripts/test.sh starts Redis).
        let url = try #require(ProcessInfo.processInfo.environment["PARMANA_TEST_REDIS_URL"].flatMap { $0.isEmpty ? nil : $0 },
                               "PARMANA_TEST_REDIS_URL is not set: start Redis with eval \"$(scripts/services.sh start redis)\" (scripts/test.sh does)")
        let prefix = "parmana-cli-test:\(UUID().uuidString.lowercased()):"
        let (dir, d1, d2, joined) = try Self.cluster(config: ["replay_store": .string(url), "replay_store_prefix": .string(prefix)])
        #expect(joined["replay_store"]?.stringValue?.hasPrefix("redis://") == true)
        let s = try Self.signals(dir, "p-shared")
        let first = try CLI.run(["decide", "--dir", d1, "--policy-id", "payments.release", "--signals", s, "--json", "--idempotency-key", "k-1"])
        #expect(first.status == 0, "\(first.stderr)")
        let executionID = try Self.json(first)["execution_id"]
        // The same signals on the other node: refused, naming node A's execution.
        let replay = try CLI.run(["decide", "--dir", d2, "--policy-id", "payments.release", "--signals", s, "--json"])
        #expect(replay.status == 1)
        let refusal = try Self.json(replay)
        #expect(refusal["error"]?["code"] == "replay_detected" && refusal["error"]?["execution_id"] == executionID)
        // The same key on the other node: node A's decision, unchanged (the same JCS bytes).
        let retry = try CLI.run(["decide", "--dir", d2, "--policy-id", "payments.release", "--signals", s, "--json", "--idempotency-key", "k-1"])
        #expect(retry.status == 0)
        #expect(CanonicalJSON.bytes(try Self.json(retry)) == CanonicalJSON.bytes(try Self.json(first)))
        for d in [d1, d2] {
            let r = try CLI.run(["replay", "reconcile", "--dir", d, "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            let done = try Self.json(r)
            #expect(done["kept"] == [] && done["released"] == [])
        }
        // Another workspace under node A's id on the same replay store is refused: it would
        // take A's claims for its own abandoned ones and release them.
        let d3 = dir + "/d3"
        #expect(try CLI.run(["init", "--dir", d3, "--node-id", "node-a"]).status == 0)
        try Self.setConfig(d3, ["replay_store": .string(url), "replay_store_prefix": .string(prefix)])
        let clash = try CLI.run(["replay", "reconcile", "--dir", d3, "--include-in-flight"])
        #expect(clash.status == 2, "\(clash.stdout)\(clash.stderr)")
        #expect((clash.stdout + clash.stderr).contains("node_id node-a already belongs to the log"), "\(clash.stderr)")
        #expect(try CLI.run(["replay", "reconcile", "--dir", d1]).status == 0, "node A itself still opens")
        let help = try CLI.run(["replay", "reconcile", "--help"])
        #expect(help.stdout.contains("--include-in-flight") && help.stdout.contains("stopped"))
        #expect(try CLI.run(["audit", "verify", "--dir", d2]).status == 0)
    }

    /// Redis unreachable: decisions fail closed; commands that never decide still work.
    @Test func withoutRedisOnlyDecisionsStop() throws {
        let dir = CLI.tempDir()
        let d1 = dir + "/d1"
        #expect(try CLI.run(["init", "--dir", d1]).status == 0)
        try Self.setConfig(d1, ["replay_store": "redis://127.0.0.1:1"])
        // Joining needs the replay store too (the new node opens its store).
        let trustBefore = try readFile(d1 + "/trust.json")
        #expect(try CLI.run(["init", "--dir", dir + "/d2", "--join", d1, "--node-id", "node-b"]).status != 0)
        #expect(!FileManager.default.fileExists(atPath: dir + "/d2"), "nothing half-made is left")
        #expect(try readFile(d1 + "/trust.json") == trustBefore, "D1 is unchanged")
        let r = try CLI.run(["decide", "--dir", d1, "--policy-id", "payments.release", "--signals", try Self.signals(dir, "p-down"), "--json"])
        #expect(r.status != 0)
        #expect(try Self.json(r)["error"]?["code"] == "store_unavailable")
        #expect(try CLI.run(["audit", "checkpoint", "--dir", d1, "--json"]).status == 0)
        #expect(try CLI.run(["executions", "list", "--dir", d1, "--json"]).status == 0)
        #expect(try CLI.run(["audit", "verify", "--dir", d1]).status == 0)
        let reconcile = try CLI.run(["replay", "reconcile", "--dir", d1, "--json"])
        #expect(try Self.json(reconcile)["error"]?["code"] == "store_unavailable")
    }
}
