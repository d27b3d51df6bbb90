import Foundation
@testable import ParmanaCLI
import ParmanaCore
import ParmanaWorkspace
import ParmanaTesting
import Testing

/// Runs the real `parmana` binary and captures what a user would see.
struct CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var stdoutBytes: [UInt8]
    }

    static var binary: String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/parmana",
            Bundle.main.bundleURL.path + "/parmana",
            Bundle.main.bundleURL.deletingLastPathComponent().path + "/parmana",
            RepoPaths.root + "/.build/debug/parmana",
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates.last!
    }

    @discardableResult
    static func run(_ args: [String], stdin: [UInt8]? = nil, cwd: String? = nil, env: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        var environment = ProcessInfo.processInfo.environment
        environment["PARMANA_DIR"] = nil
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        if let stdin { inp.fileHandleForWriting.write(Data(stdin)) }
        try inp.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                      stderr: String(decoding: e, as: UTF8.self), stdoutBytes: Array(o))
    }

    static func tempDir() -> String {
        let d = NSTemporaryDirectory() + "parmana-cli-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    static func write(_ value: JSONValue, _ path: String) throws {
        try Data(PrettyJSON.bytes(value)).write(to: URL(fileURLWithPath: path))
    }
}

@Suite struct CLITests {
    @Test func canonicalizeMatchesEveryVector() throws {
        for name in ["arrays", "french", "structures", "unicode"] {
            let r = try CLI.run(["canonicalize", RepoPaths.vector("jcs/\(name).input.json")])
            #expect(r.status == 0)
            let expected = try Data(contentsOf: URL(fileURLWithPath: RepoPaths.vector("jcs/\(name).output.json")))
            #expect(r.stdoutBytes == Array(expected), "\(name)")
        }
        let viaStdin = try CLI.run(["canonicalize", "-"], stdin: Array(#"{ "b": 1e0, "a": [true] }"#.utf8))
        #expect(viaStdin.stdout == #"{"a":[true],"b":1}"#)
    }

    @Test func malformedInputPrintsCodeAndExits2() throws {
        let r = try CLI.run(["canonicalize"], stdin: Array(#"{"a":1,"a":2}"#.utf8))
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("error: duplicate_key:"))
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(!r.stderr.contains("Fatal") && !r.stderr.contains("Stack"))
        let j = try CLI.run(["fingerprint", "--json"], stdin: Array("[1e999]".utf8))
        #expect(j.status == 2)
        #expect(try JSONParser().parse(j.stdout)["error"]?["code"] == "number_out_of_range")
        let missing = try CLI.run(["fingerprint", "/nonexistent/file.json"])
        #expect(missing.status == 2 && missing.stderr.contains("io_error"))
    }

    @Test func fingerprintIsSHA256OfCanonicalSignals() throws {
        let signals = #"{"amount":10,"payment_id":"p1"}"#
        let r = try CLI.run(["fingerprint"], stdin: Array(#"{ "amount": 1e1, "payment_id": "p1" }"#.utf8))
        #expect(r.status == 0)
        #expect(r.stdout == Hashing.sha256Hex(Array(signals.utf8)) + "\n")
    }

    @Test func helpOnEveryCommand() throws {
        for cmd in [[], ["canonicalize"], ["fingerprint"], ["keygen"], ["verify"]] {
            let r = try CLI.run(cmd + ["--help"])
            #expect(r.status == 0, "\(cmd)")
            #expect(r.stdout.contains("USAGE"), "\(cmd)")
        }
    }

    @Test func keygenWritesPrivateKeyWithMode0600AndATrustEntry() throws {
        let dir = CLI.tempDir()
        let r = try CLI.run(["keygen", "--role", "approver", "--approver-id", "bob@example.com", "--out", dir + "/bob.key",
                             "--valid-from", "2026-01-01T00:00:00.000Z"])
        #expect(r.status == 0, "\(r.stderr)")
        let attrs = try FileManager.default.attributesOfItem(atPath: dir + "/bob.key")
        #expect((attrs[.posixPermissions] as? Int) == 0o600)
        let key = try FileIO.loadPrivateKey(dir + "/bob.key")
        #expect(key.approverID == "bob@example.com")
        let entry = try TrustedKey(json: try JSONParser().parse(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/bob.key.pub.json")))), pointer: "")
        #expect(entry.keyID == key.keyID && entry.roles == [.approver] && entry.approverID == "bob@example.com")
        // Never overwrites.
        let again = try CLI.run(["keygen", "--role", "approver", "--approver-id", "x", "--out", dir + "/bob.key"])
        #expect(again.status == 2)
        #expect(try FileIO.loadPrivateKey(dir + "/bob.key").seed == key.seed)
        // Approver without an id; unknown role.
        #expect(try CLI.run(["keygen", "--role", "approver", "--out", dir + "/x.key"]).status == 2)
        #expect(try CLI.run(["keygen", "--role", "root", "--out", dir + "/y.key"]).status == 2)
        #expect(!FileManager.default.fileExists(atPath: dir + "/x.key"))
    }

    @Test func privateKeyReadableByOthersIsRefused() throws {
        let dir = CLI.tempDir()
        #expect(try CLI.run(["keygen", "--role", "attestation", "--out", dir + "/a.key"]).status == 0)
        chmod(dir + "/a.key", 0o644)
        do {
            _ = try FileIO.loadPrivateKey(dir + "/a.key")
            Issue.record("loaded a world-readable key")
        } catch {
            #expect(error.code == .insecureKeyFile)
        }
    }

    @Test func verifyExitCodes() throws {
        let f = Fixture()
        let dir = CLI.tempDir()
        try CLI.write(f.trust.json, dir + "/trust.json")
        try CLI.write(f.attestation().json, dir + "/att.json")
        try CLI.write(Fixture.signals, dir + "/signals.json")
        let ok = try CLI.run(["verify", "att.json", "--trust", "trust.json", "--signals", "signals.json", "--json"], cwd: dir)
        #expect(ok.status == 0, "\(ok.stdout) \(ok.stderr)")
        let report = try JSONParser().parse(ok.stdout)
        #expect(report["valid"] == true && report["checks"]?["fingerprint_matches"] == true)
        let human = try CLI.run(["verify", "att.json", "--trust", "trust.json"], cwd: dir)
        #expect(human.status == 0 && human.stdout.hasPrefix("VALID"))
        // The workspace trust store is the default.
        try FileManager.default.createDirectory(atPath: dir + "/ws", withIntermediateDirectories: true)
        try CLI.write(f.trust.json, dir + "/ws/trust.json")
        #expect(try CLI.run(["verify", "att.json", "--dir", "ws"], cwd: dir).status == 0)
        #expect(try CLI.run(["verify", "att.json"], cwd: dir, env: ["PARMANA_DIR": dir + "/ws"]).status == 0)

        // Invalid → 1.
        try CLI.write(["payment_id": "other"], dir + "/other.json")
        let bad = try CLI.run(["verify", "att.json", "--trust", "trust.json", "--signals", "other.json"], cwd: dir)
        #expect(bad.status == 1 && bad.stdout.hasPrefix("INVALID") && bad.stdout.contains("fingerprint_mismatch"))
        // Unreadable trust store → 2.
        try Data("{".utf8).write(to: URL(fileURLWithPath: dir + "/broken.json"))
        #expect(try CLI.run(["verify", "att.json", "--trust", "broken.json"], cwd: dir).status == 2)
        #expect(try CLI.run(["verify", "missing.json", "--trust", "trust.json"], cwd: dir).status == 2)
    }
}

@Suite struct PolicyCLITests {
    static let example = RepoPaths.root + "/examples/policies/payments.release.json"

    @Test func validateHashSignAddEvaluate() throws {
        let dir = CLI.tempDir()
        let v = try CLI.run(["policy", "validate", Self.example, "--json"])
        #expect(v.status == 0)
        let hash = try JSONParser().parse(v.stdout)["policy_hash"]?.stringValue
        let h = try CLI.run(["policy", "hash", Self.example])
        #expect(h.stdout == (hash ?? "?") + "\n")
        #expect(try CLI.run(["keygen", "--role", "policy", "--out", dir + "/policy.key", "--valid-from", "2026-01-01T00:00:00.000Z"]).status == 0)
        #expect(try CLI.run(["keygen", "--role", "attestation", "--out", dir + "/att.key"]).status == 0)
        // Signing needs the policy role.
        #expect(try CLI.run(["policy", "sign", Self.example, "--key", dir + "/att.key", "--out", dir + "/x.json"]).status != 0)
        let s = try CLI.run(["policy", "sign", Self.example, "--key", dir + "/policy.key", "--out", dir + "/signed.json"])
        #expect(s.status == 0, "\(s.stderr)")
        // The signed policy keeps its hash.
        #expect(try CLI.run(["policy", "hash", dir + "/signed.json"]).stdout == (hash ?? "?") + "\n")
        // Install into a workspace trusting the policy key.
        let entry = try JSONParser().parse(try readFile(dir + "/policy.key.pub.json"))
        try FileManager.default.createDirectory(atPath: dir + "/ws", withIntermediateDirectories: true)
        try CLI.write(["type": "parmana.trust-store/v1", "keys": [entry], "runtimes": []], dir + "/ws/trust.json")
        let add = try CLI.run(["policy", "add", dir + "/signed.json", "--dir", dir + "/ws"])
        #expect(add.status == 0, "\(add.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/ws/policies/payments.release@1.2.0.json"))
        // An unsigned policy is refused by add.
        let unsigned = try CLI.run(["policy", "add", Self.example, "--dir", dir + "/ws"])
        #expect(unsigned.status == 2 && unsigned.stderr.contains("unsigned_policy"))
        // Different content under the same (policy_id, version) conflicts.
        var doc = try JSONParser().parse(try readFile(Self.example))
        if case .object(var o) = doc { o["description"] = "changed"; doc = .object(o) }
        try CLI.write(doc, dir + "/changed.json")
        #expect(try CLI.run(["policy", "sign", dir + "/changed.json", "--key", dir + "/policy.key", "--out", dir + "/changed.signed.json"]).status == 0)
        let conflict = try CLI.run(["policy", "add", dir + "/changed.signed.json", "--dir", dir + "/ws", "--json"])
        #expect(conflict.status == 1)
        #expect(try JSONParser().parse(conflict.stdout)["error"]?["code"] == "policy_version_conflict")
        // Evaluate: a dry run with an explanation.
        try CLI.write(["payment_id": "p", "amount": 20000, "currency": "EUR", "kyc_verified": true], dir + "/signals.json")
        let e = try CLI.run(["evaluate", "--policy", dir + "/signed.json", "--signals", dir + "/signals.json", "--json"])
        #expect(e.status == 0)
        let out = try JSONParser().parse(e.stdout)
        #expect(out["decision"]?["rule_id"] == "large-or-risky" && out["decision"]?["requires_override"] == true)
        #expect(out["explanation"]?["deciding_rule"] == "large-or-risky")
        let text = try CLI.run(["evaluate", "--policy", Self.example, "--signals", dir + "/signals.json"])
        #expect(text.stdout.contains("← decides"))
    }

    @Test func invalidPolicyAndSignalsGiveCodesAndPointers() throws {
        let dir = CLI.tempDir()
        try CLI.write(["type": "parmana.policy/v1", "policy_id": "x", "version": "1.0.0", "signals": ["a": ["type": "number"]],
                       "rules": [["id": "r", "when": ["signal": "a", "starts_with": "x"], "then": ["action": "approve", "reason": "ok"]]]],
                      dir + "/bad.json")
        let v = try CLI.run(["policy", "validate", dir + "/bad.json"])
        #expect(v.status == 1 && v.stderr.contains("invalid_policy") && v.stderr.contains("/rules/0/when/starts_with"))
        try CLI.write(["payment_id": 1, "amount": -5], dir + "/s.json")
        let e = try CLI.run(["evaluate", "--policy", Self.example, "--signals", dir + "/s.json", "--json"])
        #expect(e.status == 2)
        let err = try JSONParser().parse(e.stdout)["error"]
        #expect(err?["code"] == "invalid_signals")
        let pointers = (err?["details"]?.arrayValue ?? []).compactMap { $0["pointer"]?.stringValue }
        #expect(Set(pointers) == ["/payment_id", "/amount", "/currency", "/kyc_verified"])
    }

    @Test func policyTestReportsFailuresAndCoverage() throws {
        let dir = CLI.tempDir()
        try CLI.write([
            ["name": "ok", "signals": ["payment_id": "p", "amount": 1, "currency": "EUR", "kyc_verified": true],
             "expect": ["action": "approve", "requires_override": false, "rule_id": "standard"]],
            ["name": "wrong", "signals": ["payment_id": "p", "amount": 1, "currency": "EUR", "kyc_verified": true],
             "expect": ["action": "reject", "requires_override": false]],
            ["name": "bad signals", "signals": ["amount": "x"], "expect": ["error": "invalid_signals"]],
        ], dir + "/cases.json")
        let r = try CLI.run(["policy", "test", Self.example, dir + "/cases.json"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("FAIL  wrong") && r.stdout.contains("2 passed, 1 failed"))
        #expect(r.stdout.contains("rule kyc-required decided no case"))
        for name in ["payments.release", "clinical.escalation", "claims.triage"] {
            let base = RepoPaths.root + "/examples/policies/" + name
            let ok = try CLI.run(["policy", "test", base + ".json", base + ".cases.json", "--json"])
            #expect(ok.status == 0, "\(name)")
            #expect(try JSONParser().parse(ok.stdout)["failed"] == 0)
        }
    }

    @Test func yamlPolicyHashesLikeJSON() throws {
        let dir = CLI.tempDir()
        let yaml = """
            type: parmana.policy/v1
            policy_id: t.yaml
            version: 1.0.0
            signals: {a: {type: number}}
            rules: []
            """
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: dir + "/p.yaml"))
        try CLI.write(["type": "parmana.policy/v1", "policy_id": "t.yaml", "version": "1.0.0", "signals": ["a": ["type": "number"]], "rules": []], dir + "/p.json")
        let a = try CLI.run(["policy", "hash", dir + "/p.yaml"]), b = try CLI.run(["policy", "hash", dir + "/p.json"])
        #expect(a.status == 0 && a.stdout == b.stdout)
    }
}

func readFile(_ path: String) throws -> [UInt8] {
    guard let d = FileManager.default.contents(atPath: path) else { throw ParmanaError(.io, "cannot read \(path)") }
    return Array(d)
}
