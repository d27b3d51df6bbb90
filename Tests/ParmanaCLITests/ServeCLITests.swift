import Foundation
@testable import ParmanaCLI
import ParmanaCore
import ParmanaWorkspace
import ParmanaTesting
import Testing

/// `parmana serve` refuses to start without what it needs, saying how to fix it, and
/// configuration overrides are strict.
@Suite(.serialized) struct ServeCLITests {
    func workspace() throws -> String {
        let ws = CLI.tempDir() + "/ws"
        let r = try CLI.run(["init", "--dir", ws])
        #expect(r.status == 0, "\(r.stderr)")
        return ws
    }

    func edit(_ path: String, _ change: (inout JSONObject) -> Void) throws {
        guard case .object(var o) = try JSONParser().parse(try readFile(path)) else { Issue.record("not an object"); return }
        change(&o)
        try CLI.write(.object(o), path)
    }

    @Test func refusesWithoutAWorkspace() throws {
        let dir = CLI.tempDir() + "/none"
        let r = try CLI.run(["serve", "--dir", dir, "--json"])
        #expect(r.status == 2)
        #expect(try JSONParser().parse(r.stdout)["error"]?["code"] == "invalid_config")
        let text = try CLI.run(["serve", "--dir", dir])
        #expect(text.stderr.contains("parmana init --dir"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/keys"), "no key is generated without --init")
    }

    @Test func refusesWithoutTokensKeysTrustOrPolicies() throws {
        let ws = try workspace()
        try edit(ws + "/config.json") { $0["tokens"] = .array([]) }
        var r = try CLI.run(["serve", "--dir", ws])
        #expect(r.status == 2)
        #expect(r.stderr.contains("invalid_config") && r.stderr.contains("no API tokens"), "\(r.stderr)")

        let ws2 = try workspace()
        try FileManager.default.removeItem(atPath: ws2 + "/keys/attestation.key")
        r = try CLI.run(["serve", "--dir", ws2])
        #expect(r.status == 2 && r.stderr.contains("attestation key"), "\(r.stderr)")

        let ws3 = try workspace()
        try FileManager.default.removeItem(atPath: ws3 + "/trust.json")
        r = try CLI.run(["serve", "--dir", ws3])
        #expect(r.status == 2 && r.stderr.contains("trust.json"), "\(r.stderr)")

        let ws4 = try workspace()
        for f in try FileManager.default.contentsOfDirectory(atPath: ws4 + "/policies") {
            try FileManager.default.removeItem(atPath: ws4 + "/policies/" + f)
        }
        r = try CLI.run(["serve", "--dir", ws4])
        #expect(r.status == 2 && r.stderr.contains("no policies"), "\(r.stderr)")

        let ws5 = try workspace()
        try edit(ws5 + "/config.json") { $0["tokens"] = [["name": "x", "sha256": .string(String(repeating: "a", count: 64)), "roles": ["root"]]] }
        r = try CLI.run(["serve", "--dir", ws5])
        #expect(r.status == 2 && r.stderr.contains("unknown role"), "\(r.stderr)")
    }

    @Test func environmentOverridesAreStrict() throws {
        let ws = try workspace()
        var r = try CLI.run(["serve", "--dir", ws], env: ["PARMANA_LISTEN": "nowhere"])
        #expect(r.status == 2 && r.stderr.contains("HOST:PORT"), "\(r.stderr)")
        r = try CLI.run(["serve", "--dir", ws], env: ["PARMANA_REQUIRE_SIGNED_POLICIES": "maybe"])
        #expect(r.status == 2 && r.stderr.contains("expected true or false"), "\(r.stderr)")
        r = try CLI.run(["serve", "--dir", ws], env: ["PARMANA_LISTN": "127.0.0.1:1"])
        #expect(r.status == 2 && r.stderr.contains("unknown setting PARMANA_LISTN"), "\(r.stderr)")
        r = try CLI.run(["serve", "--dir", ws], env: ["PARMANA_STORE": "redis://127.0.0.1:6379"])
        #expect(r.status == 2 && r.stderr.contains("unsupported store URL"), "\(r.stderr)")
        r = try CLI.run(["serve", "--dir", ws, "--log-level", "loud"])
        #expect(r.status == 2 && r.stderr.contains("unknown log level"), "\(r.stderr)")
        // The test scripts' own variables (scripts/services.sh) are not settings.
        r = try CLI.run(["serve", "--dir", ws, "--log-level", "loud"], env: ["PARMANA_TEST_POSTGRES_URL": "postgres://x@127.0.0.1:1/x"])
        #expect(r.status == 2 && r.stderr.contains("unknown log level"), "\(r.stderr)")
        #expect(WorkspaceConfig.isScriptVariable("PARMANA_SERVICES_DIR") && !WorkspaceConfig.isScriptVariable("PARMANA_TESTS"))
    }

    @Test func configOverridesApplyInOrder() throws {
        let base = WorkspaceConfig(logID: "l")
        let c = try base.applying(overrides: ["PARMANA_LISTEN": "0.0.0.0:9", "PARMANA_STORE": "memory:", "PARMANA_REQUIRE_SIGNED_POLICIES": "false",
                                              "PARMANA_MAX_BODY_BYTES": "10", "PARMANA_REQUEST_TIMEOUT_SECONDS": "3"])
        #expect(c.listen == "0.0.0.0:9" && c.store == "memory:" && !c.requireSignedPolicies && c.maxBodyBytes == 10 && c.requestTimeoutSeconds == 3)
        #expect(throws: ParmanaError.self) { try base.applying(overrides: ["PARMANA_MAX_BODY_BYTES": "-1"]) }
        #expect(base.listen == "127.0.0.1:8080", "the default listen address is loopback")
    }

    @Test func overrideAgainstAnUnreachableServerFailsClearly() throws {
        let ws = try workspace()
        let r = try CLI.run(["override", "approve", "6f1c3a52-0000-4000-8000-000000000000", "--dir", ws, "--key", ws + "/keys/approver-demo.key",
                             "--reason", "x", "--server", "http://127.0.0.1:1", "--json"])
        #expect(r.status == 2)
        #expect(try JSONParser().parse(r.stdout)["error"]?["code"] == "io_error")
    }
}
