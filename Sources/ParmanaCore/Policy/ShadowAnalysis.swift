/// Finds rules that can never decide because an earlier rule with the same or a weaker
/// condition is always true first. Sound but incomplete: a warning is always right,
/// some shadowed rules go unreported.
enum ShadowAnalysis {
    static func warnings(rules: [Rule]) -> [PolicyWarning] {
        var out: [PolicyWarning] = []
        for (j, later) in rules.enumerated() {
            if let i = rules[..<j].firstIndex(where: { implies(later.when, $0.when) }) {
                out.append(PolicyWarning(
                    code: "shadowed_rule", pointer: "/rules/\(j)",
                    message: "rule \"\(later.id)\" can never decide: whenever it is true, earlier rule \"\(rules[i].id)\" is true first"))
            }
        }
        return out
    }

    /// Whether `b` being true guarantees `a` is true.
    static func implies(_ b: Condition, _ a: Condition) -> Bool {
        if a == b { return true }
        switch (a, b) {
        case (.all(let cs), _) where cs.allSatisfy({ implies(b, $0) }):
            return true  // includes `all: []`, which is always true
        case (.any(let cs), _) where cs.contains(where: { implies(b, $0) }):
            return true
        default:
            break
        }
        switch b {
        case .all(let cs) where cs.contains(where: { implies($0, a) }): return true
        case .any(let cs) where !cs.isEmpty && cs.allSatisfy({ implies($0, a) }): return true
        case .any(let cs) where cs.isEmpty: return true  // never true: vacuous
        default: break
        }
        guard case .leaf(let la) = a, case .leaf(let lb) = b, la.signal.utf8.elementsEqual(lb.signal.utf8) else { return false }
        return leafImplies(lb, la)
    }

    static func leafImplies(_ b: Leaf, _ a: Leaf) -> Bool {
        // Any true leaf other than `exists: false` means the signal is present.
        if a.op == .exists, case .literal(.bool(true)) = a.operand {
            if b.op == .exists, case .literal(.bool(false)) = b.operand { return false }
            return true
        }
        guard case .literal(let va) = a.operand, case .literal(let vb) = b.operand else { return false }
        if let x = va.numberValue, let y = vb.numberValue {
            switch (a.op, b.op) {
            case (.gt, .gt), (.gte, .gte), (.gte, .gt): return y >= x
            case (.gt, .gte), (.gt, .equals): return y > x
            case (.gte, .equals): return y >= x
            case (.lt, .lt), (.lte, .lte), (.lte, .lt): return y <= x
            case (.lt, .lte), (.lt, .equals): return y < x
            case (.lte, .equals): return y <= x
            default: break
            }
        }
        switch (a.op, b.op) {
        case (.in, .equals):
            return va.arrayValue?.contains(vb) ?? false
        case (.in, .in):
            guard let sa = va.arrayValue, let sb = vb.arrayValue else { return false }
            return sb.allSatisfy { sa.contains($0) }
        case (.notEquals, .equals):
            return va != vb && va.typeName == vb.typeName
        default:
            return false
        }
    }
}
