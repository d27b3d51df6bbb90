import Foundation
import ParmanaCore
import ParmanaWorkspace
import ParmanaTesting
import Testing

/// Issue 9, through the real binary: forgeable keys never enter, and whatever
/// `policy validate` and `policy sign` accept, `policy add` and the runtime accept too.
@Suite(.serialized) struct TrustDefectCLITests {
    static func vectorKeys() throws -> [(name: String, raw: [UInt8], valid: Bool)] {
        let data = try #require(FileManager.default.contents(atPath: RepoPaths.vector("keys/public_keys.json")))
        return try JSONParser().parse(Array(data))["cases"]!.arrayValue!.map {
            ($0["name"]!.stringValue!, try Base64.decode($0["public_key"]!.stringValue!), $0["valid"]!.boolValue!)
        }
    }

    static func keyEntry(_ raw: [UInt8]) -> JSONValue {
        ["key_id": .string(PublicKey.keyID(raw: raw)), "public_key": .string(Base64.encode(raw)), "roles": ["approver"],
         "approver_id": "mallory@example.com", "valid_from": "2026-01-01T00:00:00.000Z", "valid_until": .null]
    }

    static func errorCode(_ r: CLI.Result) -> String? {
        (try? JSONParser().parse(r.stdout))?["error"]?["code"]?.stringValue
    }

    @Test func trustAddKeyRefusesEveryForgeableKey() throws {
        let dir = CLI.tempDir()
        let ws = dir + "/ws"
        #expect(try CLI.run(["init", "--dir", ws]).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: ws + "/trust.json"))
        var refused = 0
        for (name, raw, valid) in try TrustDefectCLITests.vectorKeys() where raw.count == 32 {
            let file = dir + "/key.pub.json"
            try CLI.write(TrustDefectCLITests.keyEntry(raw), file)
            let r = try CLI.run(["trust", "add-key", "--dir", ws, "--public-key", file, "--json"])
            if valid {
                #expect(r.status == 0, "\(name): \(r.stdout)")
            } else {
                refused += 1
                #expect(r.status == 2, "\(name)")
                #expect(TrustDefectCLITests.errorCode(r) == "invalid_key", "\(name): \(r.stdout)")
            }
        }
        #expect(refused >= 24)
        // Only the valid keys were added; the trust store is otherwise unchanged.
        let after = try JSONParser().parse(Array(try Data(contentsOf: URL(fileURLWithPath: ws + "/trust.json"))))
        let original = try JSONParser().parse(Array(before))
        #expect(after["keys"]!.arrayValue!.count == original["keys"]!.arrayValue!.count + (try TrustDefectCLITests.vectorKeys().filter(\.valid).count))
    }

    /// The reproduction of issue 9 §1 with the key written into trust.json by hand: the
    /// workspace no longer opens, so no forged override can be accepted or verified.
    @Test func aHandEditedTrustStoreWithTheIdentityKeyFailsClosed() throws {
        let dir = CLI.tempDir()
        let ws = dir + "/ws"
        #expect(try CLI.run(["init", "--dir", ws]).status == 0)
        let identity = [UInt8(1)] + [UInt8](repeating: 0, count: 31)
        var trust = try JSONParser().parse(Array(try Data(contentsOf: URL(fileURLWithPath: ws + "/trust.json"))))
        guard case .object(var o) = trust, case .array(var keys) = o["keys"]! else { Issue.record("trust shape"); return }
        keys.append(TrustDefectCLITests.keyEntry(identity))
        o["keys"] = .array(keys)
        trust = .object(o)
        try CLI.write(trust, ws + "/trust.json")
        try CLI.write(["payment_id": "p1", "amount": 50000, "currency": "EUR", "kyc_verified": true], dir + "/s.json")
        let decide = try CLI.run(["decide", "--dir", ws, "--policy-id", "payments.release", "--signals", dir + "/s.json", "--json"])
        #expect(decide.status == 2 && TrustDefectCLITests.errorCode(decide) == "invalid_key", "\(decide.stdout)")
        let verify = try CLI.run(["verify", dir + "/s.json", "--trust", ws + "/trust.json", "--json"])
        #expect(verify.status != 0)
        #expect(verify.stdout.contains("invalid_key"), "\(verify.stdout)")
        let serve = try CLI.run(["serve", "--dir", ws, "--listen", "127.0.0.1:1"])
        #expect(serve.status == 2 && serve.stderr.contains("invalid_key"), "\(serve.stderr)")
    }

    /// A YAML policy nesting 63 levels validates, signs, adds and loads; 64 and 65 are
    /// `too_deep` at every stage, exactly as their JSON twins.
    /// The size limit is measured the same way at validate, sign, add and load: a policy
    /// of exactly the limit passes every stage (its signed payload adds `key_id`), one
    /// byte more fails at validate and sign.
    @Test func policySizeLimitHoldsAtEveryStage() throws {
        let dir = CLI.tempDir()
        let ws = dir + "/ws"
        #expect(try CLI.run(["init", "--dir", ws]).status == 0)
        func document(_ description: String) -> JSONValue {
            ["type": "parmana.policy/v1", "policy_id": "size.check", "version": "1.0.0", "description": .string(description),
             "signals": ["amount": ["type": "number", "required": true]],
             "rules": [["id": "r", "when": ["signal": "amount", "gte": 0], "then": ["action": "approve", "reason": "ok"]]]]
        }
        let base = CanonicalJSON.bytes(document("")).count
        for extra in [0, 1] {
            let path = dir + "/size-\(extra).json"
            let text = CanonicalJSON.bytes(document(String(repeating: "x", count: Policy.maxCanonicalBytes - base + extra)))
            #expect(text.count == Policy.maxCanonicalBytes + extra)
            try Data(text).write(to: URL(fileURLWithPath: path))
            let validate = try CLI.run(["policy", "validate", path, "--json"])
            let sign = try CLI.run(["policy", "sign", path, "--key", ws + "/keys/policy.key", "--out", path + ".signed", "--json"])
            if extra == 1 {
                #expect(validate.status != 0 && TrustDefectCLITests.errorCode(validate) == "too_large", "\(validate.stdout)")
                #expect(sign.status != 0 && TrustDefectCLITests.errorCode(sign) == "too_large", "\(sign.stdout)")
                continue
            }
            #expect(validate.status == 0, "\(validate.stdout)")
            #expect(sign.status == 0, "\(sign.stdout) \(sign.stderr)")
            let add = try CLI.run(["policy", "add", path + ".signed", "--dir", ws, "--json"])
            #expect(add.status == 0, "add: \(add.stdout) \(add.stderr)")
            try CLI.write(["amount": 5], dir + "/signals.json")
            let decide = try CLI.run(["decide", "--dir", ws, "--policy-id", "size.check", "--signals", dir + "/signals.json", "--json"])
            #expect(decide.status == 0, "decide: \(decide.stdout)")
        }
    }

    @Test func policyLimitsHoldAtEveryStage() throws {
        let dir = CLI.tempDir()
        let ws = dir + "/ws"
        #expect(try CLI.run(["init", "--dir", ws]).status == 0)
        let data = try #require(FileManager.default.contents(atPath: RepoPaths.vector("yaml/policy_twins.json")))
        let cases = try JSONParser().parse(Array(data))["cases"]!.arrayValue!
        for name in ["nesting-depth-63", "nesting-depth-64", "nesting-depth-65"] {
            let c = try #require(cases.first { $0["name"]?.stringValue == name })
            let yaml = dir + "/\(name).yaml"
            try Data(c["yaml"]!.stringValue!.utf8).write(to: URL(fileURLWithPath: yaml))
            let validate = try CLI.run(["policy", "validate", yaml, "--json"])
            let sign = try CLI.run(["policy", "sign", yaml, "--key", ws + "/keys/policy.key", "--out", dir + "/\(name).signed.json", "--json"])
            if let expected = c["yaml_expect"]?["error"]?.stringValue {
                #expect(validate.status != 0 && TrustDefectCLITests.errorCode(validate) == expected, "\(name) validate: \(validate.stdout)")
                #expect(sign.status != 0 && TrustDefectCLITests.errorCode(sign) == expected, "\(name) sign: \(sign.stdout)")
                continue
            }
            #expect(validate.status == 0, "\(name): \(validate.stdout)")
            #expect(sign.status == 0, "\(name): \(sign.stdout) \(sign.stderr)")
            let add = try CLI.run(["policy", "add", dir + "/\(name).signed.json", "--dir", ws, "--json"])
            #expect(add.status == 0, "\(name) add: \(add.stdout) \(add.stderr)")
            try CLI.write(["amount": 5], dir + "/signals.json")
            let decide = try CLI.run(["decide", "--dir", ws, "--policy-id", "twins.check", "--signals", dir + "/signals.json", "--json"])
            #expect(decide.status == 0, "\(name) decide: \(decide.stdout)")
        }
    }
}
