import Foundation
import ParmanaCore
import ParmanaTesting
import Testing

/// One test (at least) per rule of SPEC §4.
@Suite struct PolicyTests {
    static func doc(signals: JSONValue = ["x": ["type": "number"], "s": ["type": "string"], "b": ["type": "boolean"],
                                          "i": ["type": "integer"], "tags": ["type": "array", "items": "string"],
                                          "y": ["type": "number"], "list": ["type": "array", "items": "number"]],
                    rules: [JSONValue], default d: JSONValue? = nil, extra: [(String, JSONValue)] = []) -> JSONValue {
        var o = JSONObject([("type", "parmana.policy/v1"), ("policy_id", "t.policy"), ("version", "1.0.0"),
                            ("signals", signals), ("rules", .array(rules))])
        if let d { o["default"] = d }
        for (k, v) in extra { o[k] = v }
        return .object(o)
    }

    static func rule(_ id: String, _ when: JSONValue, _ action: String = "approve", requiresOverride: Bool = false) -> JSONValue {
        var then: JSONValue = ["action": .string(action), "reason": "r"]
        if requiresOverride, case .object(var o) = then { o["requires_override"] = true; then = .object(o) }
        return ["id": .string(id), "when": when, "then": then]
    }

    static func compile(_ d: JSONValue) throws -> CompiledPolicy { CompiledPolicy(try Policy(json: d)) }

    static func invalidPointer(_ d: JSONValue) -> String? {
        do { _ = try Policy(json: d); return nil } catch {
            return error.code == .invalidPolicy ? (error.details.first?.pointer ?? "?") : "code:\(error.code.rawValue)"
        }
    }

    /// The rule id that decides `signals` under a one-rule policy with condition `when`.
    static func matches(_ when: JSONValue, _ signals: JSONValue) throws -> Bool {
        try compile(doc(rules: [rule("r1", when)])).evaluate(signals).ruleID == "r1"
    }

    // MARK: identity

    @Test func identityAndHash() throws {
        let p = try Policy(json: Self.doc(rules: []))
        #expect(p.policyID == "t.policy" && p.version.text == "1.0.0")
        #expect(p.hash == Hashing.canonicalHash(Self.doc(rules: [])))
        for bad in ["T.policy", "-x", "", "a b", String(repeating: "a", count: 129)] {
            guard case .object(var o) = Self.doc(rules: []) else { return }
            o["policy_id"] = .string(bad)
            #expect(Self.invalidPointer(.object(o)) == "/policy_id", "\(bad)")
        }
        guard case .object(var o) = Self.doc(rules: []) else { return }
        o["version"] = "1.0"
        #expect(Self.invalidPointer(.object(o)) == "/version")
    }

    @Test func hashIgnoresKeyIDAndLayout() throws {
        let a = try Policy(json: Self.doc(rules: []))
        let b = try Policy(json: Self.doc(rules: [], extra: [("key_id", .string(String(repeating: "a", count: 32)))]))
        #expect(a.hash == b.hash)
        let text = #"{ "rules": [], "version": "1.0.0", "policy_id": "t.policy", "type": "parmana.policy/v1", "signals": {} }"#
        let c = try Policy(json: try JSONParser().parse(text))
        #expect(c.hash == (try Policy(json: Self.doc(signals: [:], rules: []))).hash)
    }

    @Test func versionImmutableAndHighestWins() throws {
        var reg = PolicyRegistry()
        func loaded(_ version: String, reason: String = "r") throws(ParmanaError) -> LoadedPolicy {
            guard case .object(var o) = Self.doc(rules: [], default: ["action": "reject", "reason": .string(reason)]) else { throw ParmanaError(.invalidPolicy, "x") }
            o["version"] = .string(version)
            return try LoadedPolicy(json: .object(o), trust: nil, requireSigned: false)
        }
        try reg.add(try loaded("1.2.0"))
        try reg.add(try loaded("1.10.0"))
        try reg.add(try loaded("1.9.0-rc.1"))
        try reg.add(try loaded("1.2.0"))  // identical content: fine
        #expect(try reg.lookup("t.policy").policy.version.text == "1.10.0")
        #expect(try reg.lookup("t.policy", version: "1.2.0").policy.version.text == "1.2.0")
        do { try reg.add(try loaded("1.2.0", reason: "other")); Issue.record("accepted") } catch { #expect(error.code == .policyVersionConflict) }
        do { _ = try reg.lookup("nope"); Issue.record("found") } catch { #expect(error.code == .policyNotFound) }
        do { _ = try reg.lookup("t.policy", version: "9.9.9"); Issue.record("found") } catch { #expect(error.code == .policyNotFound) }
    }

    // MARK: signal schema

    @Test func signalTypesAreEnforcedWithPointers() throws {
        let p = try Self.compile(Self.doc(rules: []))
        do {
            _ = try p.evaluate(["x": "1", "s": 1, "b": 0, "i": 1.5, "tags": ["a", 1], "list": 3])
            Issue.record("accepted")
        } catch {
            #expect(error.code == .invalidSignals)
            #expect(Set(error.details.map(\.pointer)) == ["/x", "/s", "/b", "/i", "/tags/1", "/list"])
        }
        _ = try p.evaluate(["x": 1.5, "s": "a", "b": true, "i": 9007199254740991, "tags": [], "list": [1, 2.5]])
        do { _ = try p.evaluate(["x": .null]); Issue.record("accepted null") } catch { #expect(error.code == .invalidSignals) }
        do { _ = try p.evaluate(["x": ["nested": 1]]); Issue.record("accepted object") } catch { #expect(error.code == .invalidSignals) }
        do { _ = try p.evaluate([1, 2]); Issue.record("accepted array") } catch { #expect(error.code == .invalidSignals) }
    }

    @Test func constraints() throws {
        let signals: JSONValue = [
            "req": ["type": "string", "required": true],
            "cur": ["type": "string", "enum": ["EUR", "USD"]],
            "amt": ["type": "number", "minimum": 0, "maximum": 100],
            "code": ["type": "string", "min_length": 2, "max_length": 3],
            "tags": ["type": "array", "items": "integer", "min_length": 1, "max_length": 2, "enum": [1, 2, 3]],
        ]
        let p = try Self.compile(Self.doc(signals: signals, rules: []))
        _ = try p.evaluate(["req": "x", "cur": "EUR", "amt": 100, "code": "éé", "tags": [3]])
        do {
            _ = try p.evaluate(["cur": "GBP", "amt": 100.5, "code": "x", "tags": [1, 2, 4]])
            Issue.record("accepted")
        } catch {
            #expect(error.code == .invalidSignals)
            #expect(Set(error.details.map(\.pointer)) == ["/req", "/cur", "/amt", "/code", "/tags", "/tags/2"])
        }
        do { _ = try p.evaluate(["req": "x", "amt": -0.1, "code": "abcd", "tags": []]); Issue.record("accepted") } catch {
            #expect(Set(error.details.map(\.pointer)) == ["/amt", "/code", "/tags"])
        }
    }

    @Test func undeclaredSignalsUnlessAllowed() throws {
        let strict = try Self.compile(Self.doc(rules: []))
        do { _ = try strict.evaluate(["x": 1, "zzz": 1]); Issue.record("accepted") } catch {
            #expect(error.code == .undeclaredSignal && error.details.map(\.pointer) == ["/zzz"])
        }
        let open = try Self.compile(Self.doc(rules: [], extra: [("additional_signals", "allow")]))
        #expect(try open.evaluate(["x": 1, "zzz": ["anything", 1]]).ruleID == "default")
    }

    @Test func schemaErrorsAtLoad() {
        #expect(Self.invalidPointer(Self.doc(signals: ["a": ["type": "float"]], rules: [])) == "/signals/a/type")
        #expect(Self.invalidPointer(Self.doc(signals: ["a": ["type": "array"]], rules: [])) == "/signals/a/items")
        #expect(Self.invalidPointer(Self.doc(signals: ["a": ["type": "string", "minimum": 1]], rules: [])) == "/signals/a/minimum")
        #expect(Self.invalidPointer(Self.doc(signals: ["a": ["type": "number", "enum": ["x"]]], rules: [])) == "/signals/a/enum/0")
        #expect(Self.invalidPointer(Self.doc(signals: ["a": ["type": "number", "bogus": 1]], rules: [])) == "/signals/a/bogus")
        #expect(Self.invalidPointer(Self.doc(signals: ["a": ["type": "number", "minimum": 5, "maximum": 1]], rules: [])) == "/signals/a/minimum")
    }

    // MARK: operators and operands

    @Test func everyOperator() throws {
        let s: JSONValue = ["x": 5, "y": 7, "s": "hello", "b": true, "i": 3, "tags": ["a", "b"], "list": [5, 6]]
        let cases: [(JSONValue, Bool)] = [
            (["signal": "x", "equals": 5], true), (["signal": "x", "equals": 5.0], true), (["signal": "s", "equals": "hello"], true),
            (["signal": "b", "equals": false], false), (["signal": "x", "not_equals": 5], false), (["signal": "s", "not_equals": "x"], true),
            (["signal": "x", "gt": 5], false), (["signal": "x", "gte": 5], true), (["signal": "x", "lt": 5.5], true), (["signal": "x", "lte": 4], false),
            (["signal": "s", "in": ["a", "hello"]], true), (["signal": "x", "in": [1, 2]], false), (["signal": "i", "not_in": [1, 2]], true),
            (["signal": "b", "in": [true]], true),
            (["signal": "tags", "contains": "b"], true), (["signal": "tags", "contains": "c"], false),
            (["signal": "s", "starts_with": "he"], true), (["signal": "s", "starts_with": "lo"], false),
            (["signal": "s", "ends_with": "llo"], true), (["signal": "s", "ends_with": "hello!"], false),
            (["signal": "x", "exists": true], true), (["signal": "x", "exists": false], false),
            (["signal": "missing", "exists": false], true), (["signal": "missing", "exists": true], false),
            // Operands naming another signal.
            (["signal": "x", "lt": ["signal": "y"]], true), (["signal": "x", "equals": ["signal": "i"]], false),
            (["signal": "x", "in": ["signal": "list"]], true), (["signal": "s", "starts_with": ["signal": "s"]], true),
            (["signal": "list", "contains": ["signal": "x"]], true), (["signal": "list", "contains": 6], true), (["signal": "list", "contains": 7], false),
        ]
        let signals: JSONValue = ["x": ["type": "number"], "y": ["type": "number"], "s": ["type": "string"], "b": ["type": "boolean"],
                                  "i": ["type": "integer"], "tags": ["type": "array", "items": "string"],
                                  "list": ["type": "array", "items": "number"], "missing": ["type": "string"]]
        for (when, expected) in cases {
            let p = try Self.compile(Self.doc(signals: signals, rules: [Self.rule("r1", when)]))
            #expect((try p.evaluate(s).ruleID == "r1") == expected, "\(CanonicalJSON.string(when))")
        }
    }

    @Test func stringComparisonIsByCodePoints() throws {
        #expect(try !Self.matches(["signal": "s", "equals": "\u{00E9}"], ["s": "e\u{0301}"]))
        #expect(try Self.matches(["signal": "s", "equals": "\u{00E9}"], ["s": "\u{00E9}"]))
        #expect(try !Self.matches(["signal": "s", "in": ["\u{00E9}"]], ["s": "e\u{0301}"]))
        #expect(try !Self.matches(["signal": "s", "starts_with": "e"], ["s": "\u{00E9}"]))
    }

    @Test func combinatorsAndEmptyLists() throws {
        #expect(try Self.matches(["all": []], [:]))
        #expect(try !Self.matches(["any": []], [:]))
        #expect(try Self.matches(["not": ["any": []]], [:]))
        #expect(try Self.matches(["all": [["signal": "x", "gt": 1], ["signal": "s", "equals": "a"]]], ["x": 2, "s": "a"]))
        #expect(try !Self.matches(["all": [["signal": "x", "gt": 1], ["signal": "s", "equals": "a"]]], ["x": 2, "s": "b"]))
        #expect(try Self.matches(["any": [["signal": "x", "gt": 1], ["signal": "s", "equals": "a"]]], ["x": 0, "s": "a"]))
    }

    // MARK: three-valued logic

    @Test func absentSignalIsUnknownAndNeverMatches() throws {
        let leaf: JSONValue = ["signal": "x", "gt": 1]
        #expect(try !Self.matches(leaf, [:]))
        #expect(try !Self.matches(["not": leaf], [:]))  // not unknown = unknown
        #expect(try !Self.matches(["signal": "x", "not_equals": 1], [:]))
        #expect(try !Self.matches(["signal": "x", "not_in": [1]], [:]))
        #expect(try !Self.matches(["all": [["all": []], leaf]], [:]))  // true ∧ unknown = unknown
        #expect(try Self.matches(["any": [["all": []], leaf]], [:]))  // true ∨ unknown = true
        #expect(try !Self.matches(["not": ["all": [["any": []], leaf]]], [:]) == false)  // ¬(false ∧ unknown) = true
        #expect(try !Self.matches(["any": [["any": []], leaf]], [:]))  // false ∨ unknown = unknown
        // An operand signal that is absent is unknown too.
        #expect(try !Self.matches(["signal": "x", "lt": ["signal": "y"]], ["x": 1]))
        #expect(try !Self.matches(["not": ["signal": "x", "lt": ["signal": "y"]]], ["x": 1]))
    }

    // MARK: static validation

    @Test func operatorMustFitTypes() {
        let bad: [JSONValue] = [
            ["signal": "s", "gt": 1], ["signal": "x", "starts_with": "a"], ["signal": "x", "equals": "5"],
            ["signal": "tags", "equals": "a"], ["signal": "x", "contains": 1], ["signal": "tags", "contains": 1],
            ["signal": "x", "in": [1, "a"]], ["signal": "x", "in": 1], ["signal": "b", "exists": 1],
            ["signal": "x", "lt": ["signal": "s"]], ["signal": "s", "in": ["signal": "list"]], ["signal": "i", "equals": 1.5],
            ["signal": "x", "exists": ["signal": "b"]], ["signal": "x", "gt": ["signal": "x", "extra": 1]],
        ]
        for when in bad {
            let ptr = Self.invalidPointer(Self.doc(rules: [Self.rule("r1", when)]))
            #expect(ptr?.hasPrefix("/rules/0/when") == true, "\(CanonicalJSON.string(when)) → \(ptr ?? "accepted")")
        }
    }

    @Test func staticErrorsCarryPointers() {
        #expect(Self.invalidPointer(Self.doc(rules: [Self.rule("r1", ["signal": "nope", "equals": 1])])) == "/rules/0/when/signal")
        #expect(Self.invalidPointer(Self.doc(rules: [Self.rule("r1", ["signal": "x", "lt": ["signal": "nope"]])])) == "/rules/0/when/lt/signal")
        #expect(Self.invalidPointer(Self.doc(rules: [Self.rule("r1", ["all": []]), Self.rule("r1", ["all": []])])) == "/rules/1/id")
        #expect(Self.invalidPointer(Self.doc(rules: [Self.rule("r1", ["signal": "x"])])) == "/rules/0/when")
        #expect(Self.invalidPointer(Self.doc(rules: [Self.rule("r1", ["signal": "x", "gt": 1, "lt": 2])])) == "/rules/0/when")
        #expect(Self.invalidPointer(Self.doc(rules: [Self.rule("r1", ["any": [["signal": "x", "between": 1]]])])) == "/rules/0/when/any/0/between")
        #expect(Self.invalidPointer(Self.doc(rules: [Self.rule("r1", ["all": []], "allow")])) == "/rules/0/then/action")
        #expect(Self.invalidPointer(Self.doc(rules: [["id": "r1", "when": ["all": []], "then": ["action": "approve", "reason": "Bad Reason"]]])) == "/rules/0/then/reason")
        #expect(Self.invalidPointer(Self.doc(rules: [], default: ["action": "maybe", "reason": "r"])) == "/default/action")
        #expect(Self.invalidPointer(Self.doc(rules: [Self.rule("default", ["all": []])])) == "/rules/0/id")
        #expect(Self.invalidPointer(Self.doc(rules: [], extra: [("surprise", 1)])) == "/surprise")
        #expect(Self.invalidPointer(Self.doc(rules: [Self.rule("r1", ["all": [], "any": []])])) == "/rules/0/when")
    }

    /// SPEC §19.1: the override block is validated statically.
    @Test func overrideBlocks() throws {
        func withOverride(_ o: JSONValue, requires: Bool = true) -> JSONValue {
            Self.doc(rules: [["id": "big", "when": ["signal": "x", "gt": 100],
                              "then": ["action": "approve", "requires_override": .bool(requires), "reason": "review", "override": o]]])
        }
        let ok = try Policy(json: withOverride(["approvals": 3, "expires_after_seconds": 3600]))
        #expect(ok.rules[0].then.override == OverrideRule(approvals: 3, expiresAfterSeconds: 3600))
        #expect(try Policy(json: withOverride([:])).rules[0].then.override == OverrideRule(approvals: 1, expiresAfterSeconds: nil))
        for (bad, pointer) in [(withOverride(["approvals": 0]), "/rules/0/then/override/approvals"),
                               (withOverride(["approvals": 10]), "/rules/0/then/override/approvals"),
                               (withOverride(["approvals": 1.5]), "/rules/0/then/override/approvals"),
                               (withOverride(["expires_after_seconds": 59]), "/rules/0/then/override/expires_after_seconds"),
                               (withOverride(["expires_after_seconds": 31_536_001]), "/rules/0/then/override/expires_after_seconds"),
                               (withOverride(["approvals": 2, "quorum": 2]), "/rules/0/then/override/quorum"),
                               (withOverride(["approvals": 2], requires: false), "/rules/0/then/override")] {
            #expect(Self.invalidPointer(bad) == pointer, "\(CanonicalJSON.string(bad))")
        }
    }

    @Test func shadowedRulesAreWarned() throws {
        let p = try Policy(json: Self.doc(rules: [
            Self.rule("big", ["signal": "x", "gt": 100]),
            Self.rule("bigger", ["signal": "x", "gt": 200]),                                             // shadowed by big
            Self.rule("same", ["signal": "x", "gt": 100]),                                               // shadowed by big
            Self.rule("conj", ["all": [["signal": "x", "gt": 100], ["signal": "s", "equals": "a"]]]),   // shadowed by big
            Self.rule("small", ["signal": "x", "lt": 10]),                                              // fine
            Self.rule("catch-all", ["all": []]),                                                        // fine
            Self.rule("after-all", ["signal": "b", "equals": true]),                                    // shadowed by catch-all
        ]))
        #expect(p.warnings.map(\.pointer) == ["/rules/1", "/rules/2", "/rules/3", "/rules/6"])
        #expect(p.warnings.allSatisfy { $0.code == "shadowed_rule" })
    }

    // MARK: evaluation

    @Test func firstMatchWinsAndDefaults() throws {
        let p = try Self.compile(Self.doc(rules: [
            Self.rule("a", ["signal": "x", "gt": 10], "reject"),
            Self.rule("b", ["signal": "x", "gt": 5], "approve", requiresOverride: true),
        ], default: ["action": "approve", "reason": "fallback"]))
        #expect(try p.evaluate(["x": 11]) == Decision(action: .reject, requiresOverride: false, reason: "r", ruleID: "a"))
        #expect(try p.evaluate(["x": 6]) == Decision(action: .approve, requiresOverride: true, reason: "r", ruleID: "b"))
        #expect(try p.evaluate(["x": 1]) == Decision(action: .approve, requiresOverride: false, reason: "fallback", ruleID: "default"))
        let implicit = try Self.compile(Self.doc(rules: []))
        #expect(try implicit.evaluate([:]) == Decision(action: .reject, requiresOverride: false, reason: "no_rule_matched", ruleID: "default"))
    }

    @Test func explanationTrace() throws {
        let p = try Self.compile(Self.doc(rules: [
            Self.rule("a", ["signal": "x", "gt": 10]),
            Self.rule("b", ["any": [["signal": "y", "gt": 1], ["signal": "x", "gt": 1]]]),
            Self.rule("c", ["all": []]),
        ]))
        let (d, e) = try p.explain(["x": 5])
        #expect(d.ruleID == "b" && e.decidingRule == "b")
        #expect(e.rules.map(\.id) == ["a", "b"] && e.rules.map(\.value) == [.false, .true])
        #expect(e.leaves.map(\.path) == ["/rules/1/when/any/0", "/rules/1/when/any/1"])
        #expect(e.leaves.map(\.value) == [.unknown, .true])
        #expect(try p.evaluate(["x": 5]) == d)
        let (_, e2) = try Self.compile(Self.doc(rules: [Self.rule("a", ["signal": "x", "gt": 10])])).explain(["x": 1])
        #expect(e2.decidingRule == "default" && e2.leaves.isEmpty && e2.rules.count == 1)
    }

    @Test func examplePoliciesValidate() throws {
        for name in ["payments.release", "clinical.escalation", "claims.triage"] {
            let bytes = try readFile(RepoPaths.root + "/examples/policies/\(name).json")
            let p = try Policy(json: try JSONParser().parse(bytes))
            #expect(p.policyID == name)
            #expect(p.warnings.isEmpty, "\(name): \(p.warnings)")
        }
    }

    // MARK: signed policies

    @Test func signedPolicies() throws {
        let f = Fixture()
        let policy = try Policy(json: Self.doc(rules: []))
        let env = LoadedPolicy.sign(policy, with: f.policyKey)
        let loaded = try LoadedPolicy(json: env.json, trust: f.trust, requireSigned: true)
        #expect(loaded.policy.hash == policy.hash)  // signing never changes identity
        // Unsigned refused when signatures are required.
        do { _ = try LoadedPolicy(json: Self.doc(rules: []), trust: f.trust, requireSigned: true); Issue.record("accepted") } catch { #expect(error.code == .unsignedPolicy) }
        // Badly signed.
        var sig = env.signature
        sig[3] ^= 1
        do { _ = try LoadedPolicy(json: Envelope(payload: env.payload, signature: sig).json, trust: f.trust, requireSigned: true); Issue.record("accepted") } catch { #expect(error.code == .invalidSignature) }
        // Signed by a key without the policy role.
        let wrong = LoadedPolicy.sign(policy, with: f.attestationKey)
        do { _ = try LoadedPolicy(json: wrong.json, trust: f.trust, requireSigned: true); Issue.record("accepted") } catch { #expect(error.code == .untrustedKey) }
        // Tampered content.
        guard case .object(var p) = env.payload else { return }
        p["version"] = "1.0.1"
        do { _ = try LoadedPolicy(json: Envelope(payload: .object(p), signature: env.signature).json, trust: f.trust, requireSigned: true); Issue.record("accepted") } catch { #expect(error.code == .invalidSignature) }
    }

    @Test func malformedInputNeverCrashes() throws {
        let garbage: [JSONValue] = [.null, 1, "x", [], ["type": "parmana.policy/v1"], Self.doc(rules: [1]),
                                    Self.doc(rules: [["id": "r", "when": 1, "then": 1]]), Self.doc(signals: [], rules: [])]
        for g in garbage {
            do { _ = try Policy(json: g); Issue.record("accepted \(CanonicalJSON.string(g))") } catch { #expect(error.code == .invalidPolicy) }
        }
    }
}

func readFile(_ path: String) throws -> [UInt8] {
    guard let f = fopen(path, "rb") else { throw ParmanaError(.io, "cannot open \(path)") }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n <= 0 { break }
        out.append(contentsOf: buf[0..<n])
    }
    return out
}
