/// A policy compiled for evaluation: signal names resolved to slots, `in`/`not_in`
/// literal lists turned into sets. Evaluation is total and pure (SPEC §4): no clock,
/// no I/O, no randomness, and no floating-point arithmetic (only comparisons).
public struct CompiledPolicy: Sendable {
    public let policy: Policy
    let binder: SignalBinder
    let conditions: [Node]
    /// JSON pointer of every leaf, by leaf index (for explanations).
    let leafPaths: [String]
    let leafSources: [Leaf]

    public init(_ policy: Policy) {
        self.policy = policy
        binder = SignalBinder(policy: policy)
        var paths: [String] = []
        var sources: [Leaf] = []
        var nodes: [Node] = []
        for (i, rule) in policy.rules.enumerated() {
            nodes.append(Node.compile(rule.when, pointer: "/rules/\(i)/when", binder: binder, paths: &paths, sources: &sources))
        }
        conditions = nodes
        leafPaths = paths
        leafSources = sources
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
        for (i, c) in conditions.enumerated() {
            let v = c.eval(slots)
            traces.append(.init(id: policy.rules[i].id, value: v))
            if v == .true { deciding = i; break }
        }
        var leaves: [Explanation.LeafTrace] = []
        if let d = deciding {
            var values: [(Int, Truth)] = []
            _ = conditions[d].evalAll(slots, into: &values)
            for (index, value) in values {
                let l = leafSources[index]
                let operand: JSONValue = switch l.operand {
                case .literal(let v): v
                case .signal(let s): ["signal": .string(s)]
                }
                leaves.append(.init(path: leafPaths[index], signal: l.signal, op: l.op, operand: operand, value: value))
            }
        }
        let decision = decision(for: deciding)
        return (decision, Explanation(rules: traces, decidingRule: decision.ruleID, leaves: leaves))
    }

    /// Index of the first rule whose condition is true, or nil for the default.
    func decidingRule(_ slots: [JSONValue?]) -> Int? {
        for (i, c) in conditions.enumerated() where c.eval(slots) == .true { return i }
        return nil
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
    var strings = Set<CodePointKey>()
    var numbers = Set<Double>()
    var bools = Set<Bool>()

    init(_ values: [JSONValue]) {
        for v in values {
            switch v {
            case .string(let s): strings.insert(CodePointKey(s))
            case .number(let d): numbers.insert(d == 0 ? 0 : d)
            case .bool(let b): bools.insert(b)
            default: break
            }
        }
    }

    func contains(_ v: JSONValue) -> Bool {
        switch v {
        case .string(let s): strings.contains(CodePointKey(s))
        case .number(let d): numbers.contains(d == 0 ? 0 : d)
        case .bool(let b): bools.contains(b)
        default: false
        }
    }
}

/// A compiled condition.
indirect enum Node: Sendable {
    enum Rhs: Sendable {
        case value(JSONValue)
        case number(Double)
        case set(LiteralSet)
        case slot(Int)
        case exists(Bool)
    }

    case leaf(index: Int, slot: Int, op: Operator, rhs: Rhs)
    case all([Node])
    case any([Node])
    case not(Node)

    static func compile(_ c: Condition, pointer: String, binder: SignalBinder, paths: inout [String], sources: inout [Leaf]) -> Node {
        switch c {
        case .all(let cs):
            return .all(cs.enumerated().map { compile($1, pointer: pointer + "/all/\($0)", binder: binder, paths: &paths, sources: &sources) })
        case .any(let cs):
            return .any(cs.enumerated().map { compile($1, pointer: pointer + "/any/\($0)", binder: binder, paths: &paths, sources: &sources) })
        case .not(let inner):
            return .not(compile(inner, pointer: pointer + "/not", binder: binder, paths: &paths, sources: &sources))
        case .leaf(let l):
            let index = paths.count
            paths.append(pointer)
            sources.append(l)
            // Validation guarantees every referenced signal is declared.
            let slot = binder.slotByName[CodePointKey(l.signal)]!
            let rhs: Rhs
            switch l.operand {
            case .signal(let other): rhs = .slot(binder.slotByName[CodePointKey(other)]!)
            case .literal(let v):
                switch l.op {
                case .exists: rhs = .exists(v.boolValue ?? true)
                case .in, .notIn: rhs = .set(LiteralSet(v.arrayValue ?? []))
                case .gt, .gte, .lt, .lte: rhs = .number(v.numberValue ?? 0)
                default: rhs = .value(v)
                }
            }
            return .leaf(index: index, slot: slot, op: l.op, rhs: rhs)
        }
    }

    /// Kleene evaluation with short-circuit.
    func eval(_ slots: [JSONValue?]) -> Truth {
        switch self {
        case .leaf(_, let slot, let op, let rhs):
            return Node.leaf(slots, slot, op, rhs)
        case .all(let cs):
            var unknown = false
            for c in cs {
                switch c.eval(slots) {
                case .false: return .false
                case .unknown: unknown = true
                case .true: break
                }
            }
            return unknown ? .unknown : .true
        case .any(let cs):
            var unknown = false
            for c in cs {
                switch c.eval(slots) {
                case .true: return .true
                case .unknown: unknown = true
                case .false: break
                }
            }
            return unknown ? .unknown : .false
        case .not(let c):
            switch c.eval(slots) {
            case .true: return .false
            case .false: return .true
            case .unknown: return .unknown
            }
        }
    }

    /// Evaluation without short-circuit, recording every leaf's value (explanations).
    func evalAll(_ slots: [JSONValue?], into values: inout [(Int, Truth)]) -> Truth {
        switch self {
        case .leaf(let index, let slot, let op, let rhs):
            let v = Node.leaf(slots, slot, op, rhs)
            values.append((index, v))
            return v
        case .all(let cs):
            let vs = cs.map { $0.evalAll(slots, into: &values) }
            return vs.contains(.false) ? .false : vs.contains(.unknown) ? .unknown : .true
        case .any(let cs):
            let vs = cs.map { $0.evalAll(slots, into: &values) }
            return vs.contains(.true) ? .true : vs.contains(.unknown) ? .unknown : .false
        case .not(let c):
            switch c.evalAll(slots, into: &values) {
            case .true: return .false
            case .false: return .true
            case .unknown: return .unknown
            }
        }
    }

    @inline(__always)
    static func leaf(_ slots: [JSONValue?], _ slot: Int, _ op: Operator, _ rhs: Rhs) -> Truth {
        let lhs = slots[slot]
        if case .exists(let want) = rhs { return .of((lhs != nil) == want) }
        guard let a = lhs else { return .unknown }
        switch rhs {
        case .number(let b):
            guard case .number(let x) = a else { return .unknown }
            switch op {
            case .gt: return .of(x > b)
            case .gte: return .of(x >= b)
            case .lt: return .of(x < b)
            default: return .of(x <= b)
            }
        case .set(let set):
            let hit = set.contains(a)
            return .of(op == .in ? hit : !hit)
        case .value(let b):
            return compare(a, op, b)
        case .slot(let j):
            guard let b = slots[j] else { return .unknown }
            switch op {
            case .in, .notIn:
                guard case .array(let items) = b else { return .unknown }
                let hit = items.contains(a)
                return .of(op == .in ? hit : !hit)
            case .gt, .gte, .lt, .lte:
                guard case .number(let x) = a, case .number(let y) = b else { return .unknown }
                switch op {
                case .gt: return .of(x > y)
                case .gte: return .of(x >= y)
                case .lt: return .of(x < y)
                default: return .of(x <= y)
                }
            default:
                return compare(a, op, b)
            }
        case .exists:
            return .unknown  // handled above
        }
    }

    @inline(__always)
    static func compare(_ a: JSONValue, _ op: Operator, _ b: JSONValue) -> Truth {
        switch op {
        case .equals: return .of(a == b)
        case .notEquals: return .of(a != b)
        case .contains:
            guard case .array(let items) = a else { return .unknown }
            return .of(items.contains(b))
        case .startsWith, .endsWith:
            guard case .string(let s) = a, case .string(let t) = b else { return .unknown }
            let su = s.utf8, tu = t.utf8
            guard tu.count <= su.count else { return .false }
            return .of(op == .startsWith ? su.starts(with: tu) : su.reversed().starts(with: tu.reversed()))
        default:
            return .unknown
        }
    }
}
