/// What a policy recommends (SPEC §5).
public enum Action: String, Sendable, Hashable, Codable {
    case approve, reject

    static let names = ["approve", "reject"]
}

/// What resolving an execution takes (SPEC §19.1): `approvals` distinct approvers
/// (1–9) before `expires_at` (nil: no expiry). A v1 decision that requires an override
/// is read as one approval and no expiry.
public struct OverrideRequirement: Sendable, Hashable {
    public var approvals: Int
    public var expiresAt: Timestamp?

    public static let approvalRange = 1...9
    /// A v1 override requirement.
    public static let single = OverrideRequirement(approvals: 1, expiresAt: nil)

    public init(approvals: Int, expiresAt: Timestamp?) {
        self.approvals = approvals
        self.expiresAt = expiresAt
    }

    public var json: JSONValue {
        ["approvals": .number(Double(approvals)), "expires_at": expiresAt.map { .string($0.description) } ?? .null]
    }
}

/// A decision: action, whether a human must resolve it, reason and deciding rule, and
/// for v2 attestations the quorum and expiry of the override (SPEC §5, §19.1).
public struct Decision: Sendable, Hashable {
    public var action: Action
    public var requiresOverride: Bool
    public var reason: String
    /// The deciding rule's id, or `"default"`.
    public var ruleID: String
    /// Present only with `requires_override` and an `override` block in the rule; makes
    /// the attestation `parmana.attestation/v2`.
    public var override: OverrideRequirement?

    public init(action: Action, requiresOverride: Bool, reason: String, ruleID: String, override: OverrideRequirement? = nil) {
        self.action = action
        self.requiresOverride = requiresOverride
        self.reason = reason
        self.ruleID = ruleID
        self.override = override
    }

    /// What an override must achieve: the v2 requirement, or one approval (v1); nil when
    /// no override is required.
    public var overrideRequirement: OverrideRequirement? {
        requiresOverride ? (override ?? .single) : nil
    }

    public var json: JSONValue {
        var o = JSONObject([("action", .string(action.rawValue)), ("requires_override", .bool(requiresOverride)),
                            ("reason", .string(reason)), ("rule_id", .string(ruleID))])
        if let override { o["override"] = override.json }
        return .object(o)
    }

    /// Appends JCS(json) in canonical member order.
    func writeCanonical(to out: inout [UInt8]) {
        out.append(contentsOf: #"{"action":"#.utf8)
        CanonicalJSON.writeString(action.rawValue, to: &out)
        if let override {
            out.append(contentsOf: #","override":{"approvals":"#.utf8)
            ECMAScriptNumber.append(Double(override.approvals), to: &out)
            out.append(contentsOf: #","expires_at":"#.utf8)
            if let t = override.expiresAt { CanonicalJSON.writeString(t.description, to: &out) } else { out.append(contentsOf: "null".utf8) }
            out.append(UInt8(ascii: "}"))
        }
        CanonicalJSON.member("reason", reason, to: &out)
        out.append(contentsOf: (requiresOverride ? #","requires_override":true"# : #","requires_override":false"#).utf8)
        CanonicalJSON.member("rule_id", ruleID, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// Reads a decision; only `v2` allows the optional `override` member, and only with
    /// `requires_override`.
    init(reading r: inout FieldReader, v2: Bool) throws(ParmanaError) {
        action = Action(rawValue: try r.oneOf("action", Action.names))!
        requiresOverride = try r.bool("requires_override")
        reason = try r.string("reason")
        ruleID = try r.string("rule_id")
        if v2, let ov = r.optional("override") {
            var o = try FieldReader(ov, pointer: r.path("override"))
            let k = try o.integer("approvals")
            guard OverrideRequirement.approvalRange.contains(k) else { throw o.error("approvals", "must be 1 to 9") }
            _ = try o.required("expires_at")
            override = OverrideRequirement(approvals: k, expiresAt: try o.optionalTimestamp("expires_at"))
            try o.finish()
            guard requiresOverride else { throw r.error("override", "present only when requires_override is true") }
        } else {
            override = nil
        }
        try r.finish()
    }
}
