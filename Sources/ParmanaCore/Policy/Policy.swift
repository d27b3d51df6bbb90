/// A validated `parmana.policy/v1` document (SPEC §4).
///
/// Construction performs the full static validation: every error is `invalid_policy`
/// with a JSON pointer. Shadowed rules are reported as ``warnings``.
public struct Policy: Sendable {
    public let policyID: String
    public let version: SemanticVersion
    public let description: String?
    /// Declared signals, in document order.
    public let signals: [SignalSpec]
    public let rules: [Rule]
    public let defaultOutcome: Outcome
    public let additionalSignalsAllowed: Bool
    /// The document without `key_id`: the content the hash identifies.
    public let document: JSONValue
    /// `policy_hash = hex(sha256(JCS(document without key_id)))`.
    public let hash: String
    public let warnings: [PolicyWarning]

    /// Deepest nesting of a policy document. Its signed envelope adds one level and every
    /// JSON input is read with the 64-level limit (SPEC §1.2), so a policy that validates
    /// can always be signed, added and loaded.
    public static let maxDepth = JSONParser.maxDepth - 1
    /// Largest JCS size of a policy document: its signed envelope (key_id, signature and
    /// wrapping add under 200 bytes) must stay within the default 1 MiB input limit.
    public static let maxCanonicalBytes = JSONParser.defaultMaxBytes - 1024

    /// The decision used when a policy has no `default`.
    public static let implicitDefault = Outcome(action: .reject, requiresOverride: false, reason: "no_rule_matched")

    /// Parses and statically validates a policy document (a bare document or the
    /// payload of a signed policy, whose `key_id` is ignored for identity).
    public init(json: JSONValue) throws(ParmanaError) {
        let depth = json.depth
        guard depth <= Policy.maxDepth else {
            throw ParmanaError(.tooDeep, "the policy nests \(depth) levels; at most \(Policy.maxDepth) are allowed, so that its signed envelope stays within the \(JSONParser.maxDepth)-level limit")
        }
        // The document's size, without `key_id`: the same figure at every stage (validate
        // and sign see the bare document, add and load the signed payload).
        var bare = json
        if case .object(var o) = json, o["key_id"] != nil {
            o["key_id"] = nil
            bare = .object(o)
        }
        let size = CanonicalJSON.bytes(bare).count
        guard size <= Policy.maxCanonicalBytes else {
            throw ParmanaError(.tooLarge, "the policy is \(size) bytes in canonical form; at most \(Policy.maxCanonicalBytes) are allowed, so that its signed envelope stays within the input limit")
        }
        var r = try FieldReader(json, code: .invalidPolicy)
        _ = try r.oneOf("type", [PayloadType.policy])
        policyID = try r.string("policy_id", "a policy id matching [a-z0-9][a-z0-9._-]{0,127}", where: Syntax.isPolicyID)
        let v = try r.string("version", "a semantic version such as 1.2.0") { SemanticVersion($0) != nil }
        version = SemanticVersion(v)!
        description = try r.optionalString("description")
        _ = try r.optionalString("key_id")
        let additional = try r.optionalString("additional_signals")
        guard additional == nil || additional == "allow" || additional == "reject" else {
            throw r.error("additional_signals", "expected \"allow\" or \"reject\"")
        }
        additionalSignalsAllowed = additional == "allow"

        // Signals.
        var specs: [SignalSpec] = []
        let sigReader = try r.object("signals")
        for member in sigReader.object.members {
            specs.append(try Policy.parseSignal(member.key, member.value, pointer: sigReader.path(member.key)))
        }
        signals = specs

        // Rules.
        var parsedRules: [Rule] = []
        for (n, rv) in try r.array("rules").enumerated() {
            let p = "/rules/\(n)"
            var rr = try FieldReader(rv, pointer: p, code: .invalidPolicy)
            let id = try rr.string("id", "a rule id matching [a-z0-9][a-z0-9_.-]{0,127}", where: Syntax.isReason)
            if id == "default" { throw rr.error("id", "\"default\" is reserved for the default decision") }
            if parsedRules.contains(where: { $0.id == id }) { throw rr.error("id", "rule id \"\(id)\" repeats") }
            let when = try Policy.parseCondition(try rr.required("when"), pointer: p + "/when", specs: specs)
            let then = try Policy.parseOutcome(try rr.required("then"), pointer: p + "/then")
            try rr.finish()
            parsedRules.append(Rule(id: id, when: when, then: then))
        }
        rules = parsedRules
        if let d = r.optional("default") {
            defaultOutcome = try Policy.parseOutcome(d, pointer: "/default")
        } else {
            defaultOutcome = Policy.implicitDefault
        }
        try r.finish()

        var doc = r.object
        doc["key_id"] = nil
        document = .object(doc)
        hash = Hashing.canonicalHash(document)
        warnings = ShadowAnalysis.warnings(rules: parsedRules)
    }

    /// The spec of a declared signal.
    public func spec(_ name: String) -> SignalSpec? {
        signals.first { $0.name.utf8.elementsEqual(name.utf8) }
    }

    public var reference: PolicyReference {
        PolicyReference(policyID: policyID, version: version.text, hash: hash)
    }

    static func invalid(_ pointer: String, _ message: String) -> ParmanaError {
        ParmanaError(.invalidPolicy, "\(pointer): \(message)", details: [.init(pointer: pointer, message: message)])
    }

    static func parseOutcome(_ v: JSONValue, pointer: String) throws(ParmanaError) -> Outcome {
        var r = try FieldReader(v, pointer: pointer, code: .invalidPolicy)
        let action = Action(rawValue: try r.oneOf("action", ["approve", "reject"]))!
        let reason = try r.string("reason", "a reason matching [a-z0-9][a-z0-9_.-]{0,127}", where: Syntax.isReason)
        var requires = false
        if let ro = r.optional("requires_override") {
            guard let b = ro.boolValue else { throw r.error("requires_override", "expected a boolean") }
            requires = b
        }
        var rule: OverrideRule?
        if let ov = r.optional("override") {
            guard requires else { throw r.error("override", "an override block needs requires_override: true") }
            var o = try FieldReader(ov, pointer: r.path("override"), code: .invalidPolicy)
            var approvals = 1
            if let a = o.optional("approvals") {
                guard let d = a.numberValue, d == d.rounded(), OverrideRequirement.approvalRange.contains(Int(exactly: d) ?? 0) else {
                    throw o.error("approvals", "expected an integer from 1 to 9")
                }
                approvals = Int(d)
            }
            var seconds: Int?
            if let e = o.optional("expires_after_seconds") {
                guard let d = e.numberValue, d == d.rounded(), OverrideRule.expiryRange.contains(Int(exactly: d) ?? 0) else {
                    throw o.error("expires_after_seconds", "expected an integer from 60 to 31536000")
                }
                seconds = Int(d)
            }
            try o.finish()
            rule = OverrideRule(approvals: approvals, expiresAfterSeconds: seconds)
        }
        try r.finish()
        return Outcome(action: action, requiresOverride: requires, reason: reason, override: rule)
    }

    static func parseSignal(_ name: String, _ v: JSONValue, pointer: String) throws(ParmanaError) -> SignalSpec {
        guard !name.isEmpty else { throw invalid(pointer, "a signal name must not be empty") }
        var r = try FieldReader(v, pointer: pointer, code: .invalidPolicy)
        let type = SignalType(rawValue: try r.oneOf("type", SignalType.allCases.map(\.rawValue)))!
        var items: SignalType?
        if type == .array {
            items = SignalType(rawValue: try r.oneOf("items", SignalType.scalars.map(\.rawValue)))!
        }
        var required = false
        if let q = r.optional("required") {
            guard let b = q.boolValue else { throw r.error("required", "expected a boolean") }
            required = b
        }
        let scalar = items ?? type
        func number(_ key: String) throws(ParmanaError) -> Double? {
            guard let x = r.optional(key) else { return nil }
            guard let d = x.numberValue else { throw r.error(key, "expected a number") }
            guard scalar == .number || scalar == .integer else { throw r.error(key, "applies only to number or integer signals") }
            return d
        }
        func length(_ key: String) throws(ParmanaError) -> Int? {
            guard let x = r.optional(key) else { return nil }
            guard let d = x.numberValue, d >= 0, d == d.rounded(), d <= 9_007_199_254_740_991 else {
                throw r.error(key, "expected a non-negative integer")
            }
            guard type == .string || type == .array else { throw r.error(key, "applies only to string or array signals") }
            return Int(d)
        }
        let minimum = try number("minimum"), maximum = try number("maximum")
        let minLength = try length("min_length"), maxLength = try length("max_length")
        if let a = minimum, let b = maximum, a > b { throw r.error("minimum", "minimum is greater than maximum") }
        if let a = minLength, let b = maxLength, a > b { throw r.error("min_length", "min_length is greater than max_length") }
        var enumValues: [JSONValue]?
        if let e = r.optional("enum") {
            guard let list = e.arrayValue, !list.isEmpty else { throw r.error("enum", "expected a non-empty array of literals") }
            for (i, item) in list.enumerated() where !SignalBinder.fits(item, scalar) {
                throw invalid(r.path("enum") + "/\(i)", "expected a \(scalar.rawValue) literal, found \(item.typeName)")
            }
            enumValues = list
        }
        try r.finish()
        return SignalSpec(name: name, type: type, items: items, required: required, enumValues: enumValues,
                          minimum: minimum, maximum: maximum, minLength: minLength, maxLength: maxLength)
    }

    static func parseCondition(_ v: JSONValue, pointer: String, specs: [SignalSpec]) throws(ParmanaError) -> Condition {
        guard let o = v.objectValue else { throw invalid(pointer, "expected a condition object, found \(v.typeName)") }
        if o["signal"] == nil {
            guard o.count == 1, let m = o.members.first else {
                throw invalid(pointer, "a combinator has exactly one of all, any, not (or a leaf names a signal)")
            }
            let p = pointer + "/" + JSONPointer.escape(m.key)
            switch m.key {
            case "all", "any":
                guard let list = m.value.arrayValue else { throw invalid(p, "expected an array of conditions") }
                var cs: [Condition] = []
                for (i, c) in list.enumerated() { cs.append(try parseCondition(c, pointer: p + "/\(i)", specs: specs)) }
                return m.key == "all" ? .all(cs) : .any(cs)
            case "not":
                return .not(try parseCondition(m.value, pointer: p, specs: specs))
            default:
                throw invalid(p, "unknown combinator \"\(m.key)\"; a leaf needs \"signal\"")
            }
        }
        guard let name = o["signal"]?.stringValue else { throw invalid(pointer + "/signal", "expected a signal name") }
        var ops: [(Operator, JSONValue)] = []
        for m in o.members where m.key != "signal" {
            guard let op = Operator(rawValue: m.key) else {
                throw invalid(pointer + "/" + JSONPointer.escape(m.key), "unknown operator \"\(m.key)\"")
            }
            ops.append((op, m.value))
        }
        guard ops.count == 1 else {
            throw invalid(pointer, ops.isEmpty ? "a leaf needs exactly one operator, found none" : "a leaf needs exactly one operator, found \(ops.count)")
        }
        let (op, raw) = ops[0]
        let opPointer = pointer + "/" + op.rawValue
        guard let spec = specs.first(where: { $0.name.utf8.elementsEqual(name.utf8) }) else {
            throw invalid(pointer + "/signal", "rule references undeclared signal \"\(name)\"")
        }
        var operand = Operand.literal(raw)
        if let ro = raw.objectValue {
            guard ro.count == 1, let other = ro["signal"]?.stringValue else {
                throw invalid(opPointer, "an operand is a literal or {\"signal\": NAME}")
            }
            guard let otherSpec = specs.first(where: { $0.name.utf8.elementsEqual(other.utf8) }) else {
                throw invalid(opPointer + "/signal", "operand references undeclared signal \"\(other)\"")
            }
            operand = .signal(other)
            try TypeCheck.signalOperand(op, spec, otherSpec, pointer: opPointer)
        } else {
            try TypeCheck.literalOperand(op, spec, raw, pointer: opPointer)
        }
        return .leaf(Leaf(signal: name, op: op, operand: operand))
    }
}

/// Static type rules: which operators fit which signal and operand types.
enum TypeCheck {
    enum Kind: Equatable { case string, numeric, boolean, array(SignalType) }

    static func kind(_ t: SignalType) -> Kind {
        switch t {
        case .string: .string
        case .number, .integer: .numeric
        case .boolean: .boolean
        case .array: .array(.string)
        }
    }

    static func kind(_ s: SignalSpec) -> Kind {
        s.type == .array ? .array(s.items ?? .string) : kind(s.type)
    }

    static func scalarKind(_ t: SignalType) -> Kind { kind(t) }

    static func literalKind(_ v: JSONValue) -> Kind? {
        switch v {
        case .string: .string
        case .number: .numeric
        case .bool: .boolean
        default: nil
        }
    }

    static func fail(_ pointer: String, _ message: String) -> ParmanaError { Policy.invalid(pointer, message) }

    static func literalOperand(_ op: Operator, _ s: SignalSpec, _ v: JSONValue, pointer: String) throws(ParmanaError) {
        let k = kind(s)
        let name = s.name
        switch op {
        case .exists:
            guard v.boolValue != nil else { throw fail(pointer, "exists takes true or false") }
        case .equals, .notEquals:
            guard !isArray(k) else { throw fail(pointer, "\(op.rawValue) does not apply to array signal \"\(name)\"; use contains") }
            guard literalKind(v) == k else { throw fail(pointer, "\(op.rawValue) on \(s.type.rawValue) signal \"\(name)\" needs a \(s.type.rawValue) literal, found \(v.typeName)") }
            if s.type == .integer, let d = v.numberValue, d != d.rounded() {
                throw fail(pointer, "integer signal \"\(name)\" never equals the fraction \(ECMAScriptNumber.string(d))")
            }
        case .gt, .gte, .lt, .lte:
            guard k == .numeric else { throw fail(pointer, "\(op.rawValue) needs a number or integer signal; \"\(name)\" is \(s.type.rawValue)") }
            guard v.numberValue != nil else { throw fail(pointer, "\(op.rawValue) needs a number literal, found \(v.typeName)") }
        case .in, .notIn:
            guard !isArray(k) else { throw fail(pointer, "\(op.rawValue) does not apply to array signal \"\(name)\"") }
            guard let list = v.arrayValue else { throw fail(pointer, "\(op.rawValue) needs an array of literals") }
            for (i, item) in list.enumerated() where literalKind(item) != k {
                throw fail(pointer + "/\(i)", "expected a \(s.type.rawValue) literal, found \(item.typeName)")
            }
        case .contains:
            guard case .array(let item) = k else { throw fail(pointer, "contains needs an array signal; \"\(name)\" is \(s.type.rawValue)") }
            guard literalKind(v) == scalarKind(item) else { throw fail(pointer, "contains on array of \(item.rawValue) needs a \(item.rawValue) literal, found \(v.typeName)") }
        case .startsWith, .endsWith:
            guard k == .string else { throw fail(pointer, "\(op.rawValue) needs a string signal; \"\(name)\" is \(s.type.rawValue)") }
            guard v.stringValue != nil else { throw fail(pointer, "\(op.rawValue) needs a string literal, found \(v.typeName)") }
        }
    }

    static func signalOperand(_ op: Operator, _ s: SignalSpec, _ o: SignalSpec, pointer: String) throws(ParmanaError) {
        let k = kind(s), ko = kind(o)
        let mismatch = "\(op.rawValue) cannot compare \(s.type.rawValue) signal \"\(s.name)\" with \(o.type.rawValue) signal \"\(o.name)\""
        switch op {
        case .exists:
            throw fail(pointer, "exists takes true or false, not a signal")
        case .equals, .notEquals:
            guard !isArray(k), k == ko else { throw fail(pointer, mismatch) }
        case .gt, .gte, .lt, .lte:
            guard k == .numeric, ko == .numeric else { throw fail(pointer, mismatch) }
        case .in, .notIn:
            guard !isArray(k), case .array(let item) = ko, scalarKind(item) == k else { throw fail(pointer, mismatch) }
        case .contains:
            guard case .array(let item) = k, scalarKind(item) == ko else { throw fail(pointer, mismatch) }
        case .startsWith, .endsWith:
            guard k == .string, ko == .string else { throw fail(pointer, mismatch) }
        }
    }

    static func isArray(_ k: Kind) -> Bool {
        if case .array = k { return true }
        return false
    }
}
