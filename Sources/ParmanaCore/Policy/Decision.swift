/// What a policy recommends (SPEC §5).
public enum Action: String, Sendable, Hashable, Codable {
    case approve, reject

    static let names = ["approve", "reject"]
}

/// A decision: action, whether a human must resolve it, reason and deciding rule.
public struct Decision: Sendable, Hashable {
    public var action: Action
    public var requiresOverride: Bool
    public var reason: String
    /// The deciding rule's id, or `"default"`.
    public var ruleID: String

    public init(action: Action, requiresOverride: Bool, reason: String, ruleID: String) {
        self.action = action
        self.requiresOverride = requiresOverride
        self.reason = reason
        self.ruleID = ruleID
    }

    public var json: JSONValue {
        ["action": .string(action.rawValue), "requires_override": .bool(requiresOverride),
         "reason": .string(reason), "rule_id": .string(ruleID)]
    }

    /// Appends JCS(json) in canonical member order.
    func writeCanonical(to out: inout [UInt8]) {
        out.append(contentsOf: #"{"action":"#.utf8)
        CanonicalJSON.writeString(action.rawValue, to: &out)
        CanonicalJSON.member("reason", reason, to: &out)
        out.append(contentsOf: (requiresOverride ? #","requires_override":true"# : #","requires_override":false"#).utf8)
        CanonicalJSON.member("rule_id", ruleID, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    init(reading r: inout FieldReader) throws(ParmanaError) {
        action = Action(rawValue: try r.oneOf("action", Action.names))!
        requiresOverride = try r.bool("requires_override")
        reason = try r.string("reason")
        ruleID = try r.string("rule_id")
        try r.finish()
    }
}
