/// Conditions compiled into flat arrays of plain values, so evaluation walks indices
/// and touches no reference counts on the hot path.
struct Program: Sendable {
    enum NodeKind: UInt8, Sendable { case leaf, all, any, not }

    struct Node: Sendable {
        var kind: NodeKind
        /// Leaf index, or the first child's position in `children`.
        var a: Int32
        /// Number of children.
        var b: Int32
    }

    enum RhsKind: UInt8, Sendable { case exists, number, string, bool, set, slot, value }

    struct LeafCode: Sendable {
        var slot: Int32
        var op: Operator
        var rhs: RhsKind
        var slot2: Int32 = -1
        var number: Double = 0
        var flag = false
        /// Index into `strings`, `sets` or `values`.
        var index: Int32 = -1
    }

    var nodes: [Node] = []
    var children: [Int32] = []
    var leaves: [LeafCode] = []
    var roots: [Int32] = []
    var strings: [String] = []
    var sets: [LiteralSet] = []
    var values: [JSONValue] = []
    /// JSON pointer and source of every leaf, by leaf index (explanations).
    var leafPaths: [String] = []
    var leafSources: [Leaf] = []

    init(policy: Policy, names: NameIndex) {
        for (i, rule) in policy.rules.enumerated() {
            roots.append(compile(rule.when, pointer: "/rules/\(i)/when", names: names))
        }
    }

    private mutating func compile(_ c: Condition, pointer: String, names: NameIndex) -> Int32 {
        switch c {
        case .all(let cs), .any(let cs):
            let tag = { if case .all = c { return "all" } else { return "any" } }()
            let ids = cs.enumerated().map { compile($1, pointer: pointer + "/\(tag)/\($0)", names: names) }
            let start = Int32(children.count)
            children.append(contentsOf: ids)
            nodes.append(Node(kind: tag == "all" ? .all : .any, a: start, b: Int32(ids.count)))
        case .not(let inner):
            let id = compile(inner, pointer: pointer + "/not", names: names)
            let start = Int32(children.count)
            children.append(id)
            nodes.append(Node(kind: .not, a: start, b: 1))
        case .leaf(let l):
            let index = Int32(leaves.count)
            leafPaths.append(pointer)
            leafSources.append(l)
            // Validation guarantees every referenced signal is declared.
            var code = LeafCode(slot: Int32(names.index(of: l.signal)!), op: l.op, rhs: .value)
            switch l.operand {
            case .signal(let other):
                code.rhs = .slot
                code.slot2 = Int32(names.index(of: other)!)
            case .literal(let v):
                switch (l.op, v) {
                case (.exists, _):
                    code.rhs = .exists
                    code.flag = v.boolValue ?? true
                case (.in, _), (.notIn, _):
                    code.rhs = .set
                    code.index = Int32(sets.count)
                    sets.append(LiteralSet(v.arrayValue ?? []))
                case (.contains, .number), (.contains, .bool):
                    code.index = Int32(values.count)
                    values.append(v)
                case (_, .number(let d)):
                    code.rhs = .number
                    code.number = d
                case (_, .bool(let b)):
                    code.rhs = .bool
                    code.flag = b
                case (_, .string(let str)):
                    code.rhs = .string
                    code.index = Int32(strings.count)
                    strings.append(str)
                default:
                    code.index = Int32(values.count)
                    values.append(v)
                }
            }
            leaves.append(code)
            nodes.append(Node(kind: .leaf, a: index, b: 0))
        }
        return Int32(nodes.count - 1)
    }

    /// Index of the first rule whose condition is true.
    func firstTrue(_ slots: [JSONValue?]) -> Int? {
        slots.withUnsafeBufferPointer { s in
            nodes.withUnsafeBufferPointer { n in
                children.withUnsafeBufferPointer { ch in
                    leaves.withUnsafeBufferPointer { lv in
                        for (i, root) in roots.enumerated() where eval(root, s, n, ch, lv) == .true { return i }
                        return nil
                    }
                }
            }
        }
    }

    func evaluate(rule: Int, _ slots: [JSONValue?]) -> Truth {
        slots.withUnsafeBufferPointer { s in
            nodes.withUnsafeBufferPointer { n in
                children.withUnsafeBufferPointer { ch in
                    leaves.withUnsafeBufferPointer { lv in eval(roots[rule], s, n, ch, lv) }
                }
            }
        }
    }

    /// Every leaf's value under `rule`, in document order (no short-circuit).
    func leafValues(rule: Int, _ slots: [JSONValue?]) -> [(Int, Truth)] {
        var out: [(Int, Truth)] = []
        func walk(_ id: Int32) {
            let node = nodes[Int(id)]
            if node.kind == .leaf {
                out.append((Int(node.a), slots.withUnsafeBufferPointer { leaf(leaves[Int(node.a)], $0) }))
            } else {
                for k in 0..<Int(node.b) { walk(children[Int(node.a) + k]) }
            }
        }
        walk(roots[rule])
        return out
    }

    /// Kleene evaluation with short-circuit.
    private func eval(_ id: Int32, _ s: UnsafeBufferPointer<JSONValue?>, _ n: UnsafeBufferPointer<Node>,
                      _ ch: UnsafeBufferPointer<Int32>, _ lv: UnsafeBufferPointer<LeafCode>) -> Truth {
        let node = n[Int(id)]
        switch node.kind {
        case .leaf:
            return leaf(lv[Int(node.a)], s)
        case .all:
            var unknown = false
            for k in 0..<Int(node.b) {
                switch eval(ch[Int(node.a) + k], s, n, ch, lv) {
                case .false: return .false
                case .unknown: unknown = true
                case .true: break
                }
            }
            return unknown ? .unknown : .true
        case .any:
            var unknown = false
            for k in 0..<Int(node.b) {
                switch eval(ch[Int(node.a) + k], s, n, ch, lv) {
                case .true: return .true
                case .unknown: unknown = true
                case .false: break
                }
            }
            return unknown ? .unknown : .false
        case .not:
            switch eval(ch[Int(node.a)], s, n, ch, lv) {
            case .true: return .false
            case .false: return .true
            case .unknown: return .unknown
            }
        }
    }

    @inline(__always)
    private func leaf(_ c: LeafCode, _ s: UnsafeBufferPointer<JSONValue?>) -> Truth {
        let present = s[Int(c.slot)] != nil
        if c.rhs == .exists { return .of(present == c.flag) }
        guard present else { return .unknown }
        switch c.rhs {
        case .number:
            guard case .number(let x)? = s[Int(c.slot)] else { return .unknown }
            let b = c.number
            switch c.op {
            case .gt: return .of(x > b)
            case .gte: return .of(x >= b)
            case .lt: return .of(x < b)
            case .lte: return .of(x <= b)
            case .equals: return .of(x == b)
            case .notEquals: return .of(x != b)
            default: return .unknown
            }
        case .bool:
            guard case .bool(let x)? = s[Int(c.slot)] else { return .unknown }
            return .of((x == c.flag) == (c.op == .equals))
        case .string:
            return stringLeaf(c, s[Int(c.slot)]!, strings[Int(c.index)])
        case .set:
            let hit = sets[Int(c.index)].contains(s[Int(c.slot)]!)
            return .of(c.op == .in ? hit : !hit)
        case .slot:
            guard let b = s[Int(c.slot2)] else { return .unknown }
            return Program.compare(s[Int(c.slot)]!, c.op, b)
        case .value:
            return Program.compare(s[Int(c.slot)]!, c.op, values[Int(c.index)])
        case .exists:
            return .unknown  // handled above
        }
    }

    private func stringLeaf(_ c: LeafCode, _ a: JSONValue, _ b: String) -> Truth {
        switch a {
        case .string(let x):
            switch c.op {
            case .equals, .notEquals:
                let same = x.utf8.count == b.utf8.count && x.utf8.elementsEqual(b.utf8)
                return .of(same == (c.op == .equals))
            case .startsWith, .endsWith:
                return Program.compare(a, c.op, .string(b))
            default:
                return .unknown
            }
        case .array(let items):
            for item in items {
                if case .string(let x) = item, x.utf8.elementsEqual(b.utf8) { return .true }
            }
            return .false
        default:
            return .unknown
        }
    }

    static func compare(_ a: JSONValue, _ op: Operator, _ b: JSONValue) -> Truth {
        switch op {
        case .equals: return .of(a == b)
        case .notEquals: return .of(a != b)
        case .gt, .gte, .lt, .lte:
            guard case .number(let x) = a, case .number(let y) = b else { return .unknown }
            switch op {
            case .gt: return .of(x > y)
            case .gte: return .of(x >= y)
            case .lt: return .of(x < y)
            default: return .of(x <= y)
            }
        case .in, .notIn:
            guard case .array(let items) = b else { return .unknown }
            let hit = items.contains(a)
            return .of(op == .in ? hit : !hit)
        case .contains:
            guard case .array(let items) = a else { return .unknown }
            return .of(items.contains(b))
        case .startsWith, .endsWith:
            guard case .string(let s) = a, case .string(let t) = b else { return .unknown }
            let su = s.utf8, tu = t.utf8
            guard tu.count <= su.count else { return .false }
            return .of(op == .startsWith ? su.starts(with: tu) : su.reversed().starts(with: tu.reversed()))
        case .exists:
            return .unknown
        }
    }
}
