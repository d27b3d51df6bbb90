/// How a decision was reached (SPEC §4): each rule tried with its value, and for the
/// deciding rule every leaf's value. Reproducible from policy and signals, so unsigned.
public struct Explanation: Sendable, Equatable {
    public struct RuleTrace: Sendable, Equatable {
        public var id: String
        public var value: Truth
    }

    public struct LeafTrace: Sendable, Equatable {
        /// JSON pointer of the leaf inside the policy document.
        public var path: String
        public var signal: String
        public var op: Operator
        public var operand: JSONValue
        public var value: Truth
    }

    public var rules: [RuleTrace]
    /// The deciding rule's id, or `"default"`.
    public var decidingRule: String
    public var leaves: [LeafTrace]

    public var json: JSONValue {
        [
            "rules": .array(rules.map { ["id": .string($0.id), "value": .string($0.value.rawValue)] }),
            "deciding_rule": .string(decidingRule),
            "leaves": .array(leaves.map {
                ["path": .string($0.path), "signal": .string($0.signal), "operator": .string($0.op.rawValue),
                 "operand": $0.operand, "value": .string($0.value.rawValue)]
            }),
        ]
    }

    /// A readable multi-line rendering for the command line.
    public var text: String {
        var lines: [String] = []
        for r in rules {
            lines.append("  rule \(r.id): \(r.value.rawValue)\(r.id == decidingRule ? "  ← decides" : "")")
        }
        if decidingRule == "default" { lines.append("  no rule was true: the default decides") }
        for l in leaves {
            lines.append("    \(l.signal) \(l.op.rawValue) \(CanonicalJSON.string(l.operand)) → \(l.value.rawValue)   (\(l.path))")
        }
        return lines.joined(separator: "\n")
    }
}
