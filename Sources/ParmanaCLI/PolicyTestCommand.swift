import ArgumentParser
import ParmanaCore
import ParmanaWorkspace

extension PolicyCommand {
    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a file of test cases against a policy and report rule coverage.",
            discussion: """
                CASES is a JSON (or YAML) list of {"name", "signals", "expect": {"action", \
                "requires_override", "reason"?, "rule_id"?}}. A case may instead expect an error: \
                "expect": {"error": "invalid_signals"}. Exit 1 if any case fails. See docs/policy-language.md.
                """)
        @Argument(help: "Policy file.") var policy: String
        @Argument(help: "Cases file.") var cases: String
        @OptionGroup var common: CommonOptions

        func run() throws {
            var failed = 0
            try guarded(json: common.json) {
                let compiled = try PolicyFiles.loadUnchecked(policy).compiled
                let suite = try PolicyCases.parse(try PolicyFiles.readDocument(cases))
                let result = suite.run(compiled)
                failed = result.failed
                if common.json {
                    printJSON(result.json)
                } else {
                    for c in result.cases {
                        printLine("\(c.passed ? "pass" : "FAIL")  \(c.name)\(c.passed ? "" : " — \(c.problem)")")
                    }
                    printLine("\(result.cases.count - result.failed) passed, \(result.failed) failed")
                    let p = compiled.policy
                    printLine("coverage: \(p.rules.count - result.uncoveredRules.count)/\(p.rules.count) rules decided at least one case; default \(result.defaultCovered ? "decided at least one case" : "decided no case")")
                    for r in result.uncoveredRules { printLine("  rule \(r) decided no case") }
                }
            }
            if failed > 0 { throw ExitCode(1) }
        }
    }
}

/// A policy test suite: cases and their expectations.
struct PolicyCases {
    struct Case {
        var name: String
        var signals: JSONValue
        var expect: Expectation
    }

    enum Expectation {
        case decision(action: Action, requiresOverride: Bool, reason: String?, ruleID: String?)
        case error(ErrorCode)
    }

    struct CaseResult {
        var name: String
        var passed: Bool
        var problem: String
        var decidedBy: String?
    }

    struct Result {
        var cases: [CaseResult]
        var uncoveredRules: [String]
        var defaultCovered: Bool
        var failed: Int { cases.filter { !$0.passed }.count }

        var json: JSONValue {
            ["passed": .number(Double(cases.count - failed)), "failed": .number(Double(failed)),
             "cases": .array(cases.map { ["name": .string($0.name), "passed": .bool($0.passed), "problem": $0.passed ? .null : .string($0.problem)] }),
             "uncovered_rules": .array(uncoveredRules.map(JSONValue.string)), "default_covered": .bool(defaultCovered)]
        }
    }

    var cases: [Case]

    static func parse(_ doc: JSONValue) throws(ParmanaError) -> PolicyCases {
        guard let list = doc.arrayValue else { throw ParmanaError(.invalidRequest, "a cases file is a JSON array of cases") }
        var out: [Case] = []
        for (i, v) in list.enumerated() {
            var r = try FieldReader(v, pointer: "/\(i)", code: .invalidRequest)
            let name = try r.string("name")
            let signals = try r.required("signals")
            var e = try r.object("expect")
            try r.finish()
            if let code = try e.optionalString("error") {
                guard let c = ErrorCode(rawValue: code) else { throw e.error("error", "unknown error code") }
                try e.finish()
                out.append(Case(name: name, signals: signals, expect: .error(c)))
                continue
            }
            let action = Action(rawValue: try e.oneOf("action", ["approve", "reject"]))!
            let ro = try e.bool("requires_override")
            let reason = try e.optionalString("reason")
            let rule = try e.optionalString("rule_id")
            try e.finish()
            out.append(Case(name: name, signals: signals, expect: .decision(action: action, requiresOverride: ro, reason: reason, ruleID: rule)))
        }
        return PolicyCases(cases: out)
    }

    func run(_ policy: CompiledPolicy) -> Result {
        var results: [CaseResult] = []
        var decided = Set<String>()
        for c in cases {
            do {
                let d = try policy.evaluate(c.signals)
                decided.insert(d.ruleID)
                switch c.expect {
                case .error(let code):
                    results.append(.init(name: c.name, passed: false, problem: "expected error \(code.rawValue), got \(d.action.rawValue) by \(d.ruleID)", decidedBy: d.ruleID))
                case .decision(let action, let ro, let reason, let rule):
                    var problems: [String] = []
                    if d.action != action { problems.append("action \(d.action.rawValue), expected \(action.rawValue)") }
                    if d.requiresOverride != ro { problems.append("requires_override \(d.requiresOverride), expected \(ro)") }
                    if let reason, d.reason != reason { problems.append("reason \(d.reason), expected \(reason)") }
                    if let rule, d.ruleID != rule { problems.append("rule \(d.ruleID), expected \(rule)") }
                    results.append(.init(name: c.name, passed: problems.isEmpty, problem: problems.joined(separator: "; "), decidedBy: d.ruleID))
                }
            } catch {
                if case .error(let code) = c.expect, code == error.code {
                    results.append(.init(name: c.name, passed: true, problem: "", decidedBy: nil))
                } else {
                    results.append(.init(name: c.name, passed: false, problem: "\(error.code.rawValue): \(error.message)", decidedBy: nil))
                }
            }
        }
        let uncovered = policy.policy.rules.map(\.id).filter { !decided.contains($0) }
        return Result(cases: results, uncoveredRules: uncovered, defaultCovered: decided.contains("default"))
    }
}
