/// The declared type of a signal (SPEC §4).
public enum SignalType: String, Sendable, Hashable, CaseIterable {
    case string, number, integer, boolean, array

    /// Scalar types an array may hold.
    static let scalars: [SignalType] = [.string, .number, .integer, .boolean]
}

/// One declared signal: type and constraints.
public struct SignalSpec: Sendable, Equatable {
    public var name: String
    public var type: SignalType
    /// The item type when `type` is `array`.
    public var items: SignalType?
    public var required: Bool
    public var enumValues: [JSONValue]?
    public var minimum: Double?
    public var maximum: Double?
    public var minLength: Int?
    public var maxLength: Int?
}

/// A condition operator (SPEC §4).
public enum Operator: String, Sendable, Hashable, CaseIterable {
    case equals, notEquals = "not_equals", gt, gte, lt, lte, `in`, notIn = "not_in", contains
    case startsWith = "starts_with", endsWith = "ends_with", exists
}

/// The right-hand side of a leaf: a literal or another signal.
public enum Operand: Sendable, Equatable {
    case literal(JSONValue)
    case signal(String)
}

/// A leaf condition `{"signal": NAME, OP: OPERAND}`.
public struct Leaf: Sendable, Equatable {
    public var signal: String
    public var op: Operator
    public var operand: Operand
}

/// A condition tree.
public indirect enum Condition: Sendable, Equatable {
    case leaf(Leaf)
    case all([Condition])
    case any([Condition])
    case not(Condition)
}

/// What a rule (or the default) decides.
public struct Outcome: Sendable, Equatable {
    public var action: Action
    public var requiresOverride: Bool
    public var reason: String
    /// Quorum and expiry of the override (SPEC §19.1); only with `requires_override`.
    public var override: OverrideRule?

    public init(action: Action, requiresOverride: Bool, reason: String, override: OverrideRule? = nil) {
        self.action = action
        self.requiresOverride = requiresOverride
        self.reason = reason
        self.override = override
    }
}

/// A rule's `override` block (SPEC §19.1): K distinct approvals (1–9, default 1) within
/// S seconds of `issued_at` (60–31,536,000, default none).
public struct OverrideRule: Sendable, Equatable {
    public var approvals: Int
    public var expiresAfterSeconds: Int?

    public static let expiryRange = 60...31_536_000

    public init(approvals: Int, expiresAfterSeconds: Int?) {
        self.approvals = approvals
        self.expiresAfterSeconds = expiresAfterSeconds
    }

    /// The requirement of an attestation issued at `issuedAt`.
    public func requirement(issuedAt: Timestamp) -> OverrideRequirement {
        OverrideRequirement(approvals: approvals,
                            expiresAt: expiresAfterSeconds.map { Timestamp(millisecondsSinceEpoch: issuedAt.millisecondsSinceEpoch + Int64($0) * 1000) })
    }
}

/// One rule: id, condition, outcome.
public struct Rule: Sendable, Equatable {
    public var id: String
    public var when: Condition
    public var then: Outcome
}

/// A non-fatal finding of static validation.
public struct PolicyWarning: Sendable, Equatable {
    public var code: String
    public var pointer: String
    public var message: String

    public var json: JSONValue {
        ["code": .string(code), "pointer": .string(pointer), "message": .string(message)]
    }
}

/// Three-valued (Kleene) truth.
public enum Truth: String, Sendable, Hashable {
    case `true`, `false`, unknown

    static func of(_ b: Bool) -> Truth { b ? .true : .false }
}
