/// A policy compiled for evaluation: signal names resolved to slots, `in`/`not_in`
/// literal lists turned into sets. Evaluation is total and pure (SPEC §4): no clock,
/// no I/O, no randomness, and no floating-point arithmetic (only comparisons).
public struct CompiledPolicy: Sendable {
    public let policy: Policy
    let binder: SignalBinder
    let program: Program

    public init(_ policy: Policy) {
        self.policy = policy
        binder = SignalBinder(policy: policy)
        program = Program(policy: policy, names: binder.names)
    }

    /// Validates `signals` and returns the decision. Throws `invalid_signals` or
    /// `undeclared_signal` (with a pointer per violation); no decision is made then.
    public func evaluate(_ signals: JSONValue) throws(ParmanaError) -> Decision {
        decision(for: decidingRule(try binder.bind(signals)))
    }

    /// Like ``evaluate(_:)``, with the explanation trace of SPEC §4.
    public func explain(_ signals: JSONValue) throws(ParmanaError) -> (Decision, Explanation) {
        let slots = try binder.bind(signals)
        var traces: [Explanation.RuleTrace] = []
        var deciding: Int?
        for i in policy.rules.indices {
            let v = program.evaluate(rule: i, slots)
            traces.append(.init(id: policy.rules[i].id, value: v))
            if v == .true { deciding = i; break }
        }
        var leaves: [Explanation.LeafTrace] = []
        if let d = deciding {
            for (index, value) in program.leafValues(rule: d, slots) {
                let l = program.leafSources[index]
                let operand: JSONValue = switch l.operand {
                case .literal(let v): v
                case .signal(let s): ["signal": .string(s)]
                }
                leaves.append(.init(path: program.leafPaths[index], signal: l.signal, op: l.op, operand: operand, value: value))
            }
        }
        let decision = decision(for: deciding)
        return (decision, Explanation(rules: traces, decidingRule: decision.ruleID, leaves: leaves))
    }

    /// Index of the first rule whose condition is true, or nil for the default.
    func decidingRule(_ slots: [JSONValue?]) -> Int? {
        program.firstTrue(slots)
    }

    /// The decision as an attestation issued at `issuedAt` carries it: with the deciding
    /// rule's override requirement, `expires_at = issued_at + S` (SPEC §19.1).
    public func attested(_ d: Decision, issuedAt: Timestamp) -> Decision {
        guard d.requiresOverride else { return d }
        let outcome = d.ruleID == "default" ? policy.defaultOutcome : policy.rules.first { $0.id == d.ruleID }?.then
        guard let rule = outcome?.override else { return d }
        var out = d
        out.override = rule.requirement(issuedAt: issuedAt)
        return out
    }

    func decision(for rule: Int?) -> Decision {
        guard let rule else {
            let d = policy.defaultOutcome
            return Decision(action: d.action, requiresOverride: d.requiresOverride, reason: d.reason, ruleID: "default")
        }
        let r = policy.rules[rule]
        return Decision(action: r.then.action, requiresOverride: r.then.requiresOverride, reason: r.then.reason, ruleID: r.id)
    }
}

/// A set of literals for `in` / `not_in`, comparing strings by code points.
struct LiteralSet: Sendable {
    var strings: NameIndex
    var numbers = Set<Double>()
    var bools = Set<Bool>()

    init(_ values: [JSONValue]) {
        strings = NameIndex(values.compactMap(\.stringValue))
        for v in values {
            switch v {
            case .string: break
            case .number(let d): numbers.insert(d == 0 ? 0 : d)
            case .bool(let b): bools.insert(b)
            default: break
            }
        }
    }

    func contains(_ v: JSONValue) -> Bool {
        switch v {
        case .string(let s): strings.index(of: s) != nil
        case .number(let d): numbers.contains(d == 0 ? 0 : d)
        case .bool(let b): bools.contains(b)
        default: false
        }
    }
}

