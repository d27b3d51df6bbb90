import ParmanaCore
import ParmanaTesting
import PropertyBased
import Testing

/// Property-based evidence for SPEC §4: spelling invariance, Kleene laws, first match.
@Suite struct PolicyPropertyTests {
    static let payments: CompiledPolicy = {
        let bytes = try! readFile(RepoPaths.root + "/examples/policies/payments.release.json")
        return CompiledPolicy(try! Policy(json: try! JSONParser().parse(bytes)))
    }()

    /// A SplitMix64 stream, so one generated seed drives a whole layout.
    /// Other spellings of the same double: exponent forms, trailing zeros.
    static func spellings(_ d: Double) -> [String] {
        let s = ECMAScriptNumber.string(d)
        var out = [s, s + "e0", s + "E+0"]
        if s.contains("e") { return out }
        if s.contains(".") { out.append(s + "0"); out.append(s + "000e-0") } else { out += [s + ".0", s + "0e-1", s + ".00E0"] }
        return out
    }

    static func render(_ members: [(String, Double?, JSONValue?)], _ rng: inout SplitMix64) -> String {
        let ws = ["", " ", "\n", "\t", "  \r\n "]
        let parts = members.shuffled(using: &rng).map { (k, d, v) -> String in
            let value = d.map { spellings($0).randomElement(using: &rng)! } ?? CanonicalJSON.string(v!)
            return ws.randomElement(using: &rng)! + "\"\(k)\"" + ws.randomElement(using: &rng)! + ":" + ws.randomElement(using: &rng)! + value + ws.randomElement(using: &rng)!
        }
        return ws.randomElement(using: &rng)! + "{" + parts.joined(separator: ",") + "}" + ws.randomElement(using: &rng)!
    }

    @Test func sameDecisionWhateverKeyOrderWhitespaceOrNumberSpelling() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...4_000_000), Gen.int(in: 0...100), Gen.int(in: 0...Int.max)) { quarterCents, risk, seed in
            var rng = SplitMix64(state: UInt64(seed))
            let amount = Double(quarterCents) / 4
            let members: [(String, Double?, JSONValue?)] = [
                ("payment_id", nil, "pay-1"), ("amount", amount, nil), ("currency", nil, "EUR"),
                ("kyc_verified", nil, .bool(seed % 7 != 0)), ("risk_score", Double(risk), nil),
            ]
            let a = Self.render(members, &rng), b = Self.render(members, &rng)
            let va = try JSONParser().parse(a), vb = try JSONParser().parse(b)
            #expect(Hashing.fingerprint(va) == Hashing.fingerprint(vb), "\(a) vs \(b)")
            #expect(try Self.payments.evaluate(va) == Self.payments.evaluate(vb))
        }
    }

    // MARK: Kleene laws over boolean signals p, q, r that are true, false or absent.

    static let kleene: JSONValue = ["p": ["type": "boolean"], "q": ["type": "boolean"], "r": ["type": "boolean"]]

    static func truth(_ c: JSONValue, _ signals: JSONValue) throws -> Truth {
        func matches(_ when: JSONValue) throws -> Bool {
            let doc = PolicyTests.doc(signals: kleene, rules: [PolicyTests.rule("r1", when)])
            return try CompiledPolicy(Policy(json: doc)).evaluate(signals).ruleID == "r1"
        }
        if try matches(c) { return .true }
        if try matches(["not": c]) { return .false }
        return .unknown
    }

    static func assignment(_ values: [Int]) -> JSONValue {
        var o = JSONObject()
        for (name, v) in zip(["p", "q", "r"], values) where v < 2 { o[name] = .bool(v == 1) }
        return .object(o)
    }

    @Test func kleeneLaws() async {
        let tri = Gen.int(in: 0...2)
        await propertyCheck(count: 200, input: tri, tri, tri) { p, q, r in
            let s = Self.assignment([p, q, r])
            let a: JSONValue = ["signal": "p", "equals": true], b: JSONValue = ["signal": "q", "equals": true], c: JSONValue = ["signal": "r", "equals": true]
            // nil only if evaluation threw, which fails the first expectation.
            let t = { (x: JSONValue) -> Truth? in try? Self.truth(x, s) }
            #expect(t(a) != nil)
            #expect(t(a) == (p == 2 ? .unknown : p == 1 ? .true : .false))
            #expect(t(["not": ["not": a]]) == t(a))
            #expect(t(["not": ["all": [a, b]]]) == t(["any": [["not": a], ["not": b]]]))
            #expect(t(["not": ["any": [a, b]]]) == t(["all": [["not": a], ["not": b]]]))
            #expect(t(["all": [a, b]]) == t(["all": [b, a]]))
            #expect(t(["any": [a, b]]) == t(["any": [b, a]]))
            #expect(t(["all": [a, ["any": [b, c]]]]) == t(["any": [["all": [a, b]], ["all": [a, c]]]]))
            #expect(t(["any": [a, ["all": [b, c]]]]) == t(["all": [["any": [a, b]], ["any": [a, c]]]]))
            #expect(t(["all": [a, ["all": []]]]) == t(a))
            #expect(t(["any": [a, ["any": []]]]) == t(a))
            #expect(t(["all": [a, ["any": []]]]) == .false)
            #expect(t(["any": [a, ["all": []]]]) == .true)
            // Unknown never matches: a rule on an absent signal is not true.
            if p == 2 { #expect(t(a) != .true && t(["not": a]) != .true) }
        }
    }

    @Test func firstMatchOrder() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = SplitMix64(state: UInt64(seed))
            let ops = ["gt", "gte", "lt", "lte", "equals", "not_equals"]
            let rules: [JSONValue] = (0..<6).map { i in
                PolicyTests.rule("r\(i)", ["signal": "x", .init(stringLiteral: ops.randomElement(using: &rng)!): .number(Double(Int.random(in: 0...10, using: &rng)))])
            }
            let x = Double(Int.random(in: 0...10, using: &rng))
            let signals: JSONValue = Bool.random(using: &rng) ? ["x": .number(x)] : [:]
            let decided = try CompiledPolicy(Policy(json: PolicyTests.doc(rules: rules))).evaluate(signals).ruleID
            var expected = "default"
            for (i, r) in rules.enumerated() {
                let alone = try CompiledPolicy(Policy(json: PolicyTests.doc(rules: [r]))).evaluate(signals)
                if alone.ruleID != "default" { expected = "r\(i)"; break }
            }
            #expect(decided == expected)
        }
    }
}
