/// Validates signals against a policy's schema and binds them to slots (SPEC §4).
/// Reports every violation at once, each with a JSON pointer.
struct SignalBinder: Sendable {
    /// A signal's checks as plain values (no reference counting on the hot path).
    struct Check: Sendable {
        var type: SignalType
        var scalar: SignalType
        var required: Bool
        var minimum: Double?
        var maximum: Double?
        var minLength: Int?
        var maxLength: Int?
        /// Index into `enums`, or -1.
        var enumIndex: Int
    }

    let specs: [SignalSpec]
    let checks: [Check]
    let enums: [[JSONValue]]
    let names: NameIndex
    let additionalAllowed: Bool
    let anyRequired: Bool

    init(policy: Policy) {
        specs = policy.signals
        var e: [[JSONValue]] = []
        checks = policy.signals.map { s in
            var idx = -1
            if let values = s.enumValues { idx = e.count; e.append(values) }
            return Check(type: s.type, scalar: s.items ?? s.type, required: s.required, minimum: s.minimum,
                         maximum: s.maximum, minLength: s.minLength, maxLength: s.maxLength, enumIndex: idx)
        }
        enums = e
        names = NameIndex(policy.signals.map(\.name))
        additionalAllowed = policy.additionalSignalsAllowed
        anyRequired = policy.signals.contains { $0.required }
    }

    /// One slot per declared signal (nil when absent).
    func bind(_ signals: JSONValue) throws(ParmanaError) -> [JSONValue?] {
        guard case .object(let o) = signals else {
            throw ParmanaError(.invalidSignals, "signals must be a JSON object, found \(signals.typeName)",
                               details: [.init(pointer: "", message: "expected an object")])
        }
        var slots = [JSONValue?](repeating: nil, count: checks.count)
        var problems: [ParmanaError.Detail] = []
        var undeclared = false
        for m in o.members {
            guard let i = names.index(of: m.key) else {
                if !additionalAllowed {
                    undeclared = true
                    problems.append(.init(pointer: "/" + JSONPointer.escape(m.key), message: "signal \"\(m.key)\" is not declared by the policy"))
                }
                continue
            }
            if check(m.value, checks[i]) {
                slots[i] = m.value
            } else {
                SignalBinder.describe(m.value, checks[i], enums, pointer: "/" + JSONPointer.escape(m.key), into: &problems)
            }
        }
        if anyRequired {
            for i in checks.indices where checks[i].required && slots[i] == nil && o[specs[i].name] == nil {
                problems.append(.init(pointer: "/" + JSONPointer.escape(specs[i].name), message: "required signal is missing"))
            }
        }
        if !problems.isEmpty {
            let code: ErrorCode = undeclared ? .undeclaredSignal : .invalidSignals
            let summary = problems.count == 1 ? "\(problems[0].pointer): \(problems[0].message)" : "\(problems.count) problems, first \(problems[0].pointer): \(problems[0].message)"
            throw ParmanaError(code, summary, details: problems)
        }
        return slots
    }

    /// Fast yes/no check; the slow path (``describe``) explains a failure.
    @inline(__always)
    func check(_ v: JSONValue, _ c: Check) -> Bool {
        if c.type == .array {
            guard case .array(let items) = v else { return false }
            if let min = c.minLength, items.count < min { return false }
            if let max = c.maxLength, items.count > max { return false }
            for item in items where !checkScalar(item, c) { return false }
            return true
        }
        guard checkScalar(v, c) else { return false }
        if c.minLength != nil || c.maxLength != nil, case .string(let str) = v {
            let n = str.unicodeScalars.count
            if let min = c.minLength, n < min { return false }
            if let max = c.maxLength, n > max { return false }
        }
        return true
    }

    @inline(__always)
    func checkScalar(_ v: JSONValue, _ c: Check) -> Bool {
        switch (c.scalar, v) {
        case (.string, .string), (.boolean, .bool): break
        case (.number, .number(let d)):
            if let min = c.minimum, d < min { return false }
            if let max = c.maximum, d > max { return false }
        case (.integer, .number(let d)):
            guard d == d.rounded(.towardZero), d.magnitude <= 9_007_199_254_740_991 else { return false }
            if let min = c.minimum, d < min { return false }
            if let max = c.maximum, d > max { return false }
        default: return false
        }
        return c.enumIndex < 0 || enums[c.enumIndex].contains(v)
    }

    /// Whether a literal fits a scalar type.
    static func fits(_ v: JSONValue, _ t: SignalType) -> Bool {
        switch (t, v) {
        case (.string, .string), (.boolean, .bool): return true
        case (.number, .number(let d)): return d.isFinite
        case (.integer, .number(let d)): return d == d.rounded(.towardZero) && d.magnitude <= 9_007_199_254_740_991
        default: return false
        }
    }

    /// Every reason `v` fails `c`, each with a pointer.
    static func describe(_ v: JSONValue, _ c: Check, _ enums: [[JSONValue]], pointer: String, into problems: inout [ParmanaError.Detail]) {
        if c.type == .array {
            guard case .array(let items) = v else {
                problems.append(.init(pointer: pointer, message: "expected an array of \(c.scalar.rawValue), found \(v.typeName)"))
                return
            }
            if let min = c.minLength, items.count < min { problems.append(.init(pointer: pointer, message: "fewer than \(min) items")) }
            if let max = c.maxLength, items.count > max { problems.append(.init(pointer: pointer, message: "more than \(max) items")) }
            for (i, item) in items.enumerated() {
                describeScalar(item, c, enums, pointer: pointer + "/\(i)", into: &problems)
            }
        } else {
            describeScalar(v, c, enums, pointer: pointer, into: &problems)
            if case .string(let str) = v {
                let n = str.unicodeScalars.count
                if let min = c.minLength, n < min { problems.append(.init(pointer: pointer, message: "shorter than \(min) characters")) }
                if let max = c.maxLength, n > max { problems.append(.init(pointer: pointer, message: "longer than \(max) characters")) }
            }
        }
    }

    static func describeScalar(_ v: JSONValue, _ c: Check, _ enums: [[JSONValue]], pointer: String, into problems: inout [ParmanaError.Detail]) {
        let t = c.scalar
        guard fits(v, t) else {
            problems.append(.init(pointer: pointer, message: "expected \(t == .integer ? "an integer" : "a \(t.rawValue)"), found \(v.typeName)"))
            return
        }
        if case .number(let d) = v {
            if let min = c.minimum, d < min { problems.append(.init(pointer: pointer, message: "below the minimum \(ECMAScriptNumber.string(min))")) }
            if let max = c.maximum, d > max { problems.append(.init(pointer: pointer, message: "above the maximum \(ECMAScriptNumber.string(max))")) }
        }
        if c.enumIndex >= 0, !enums[c.enumIndex].contains(v) {
            problems.append(.init(pointer: pointer, message: "not one of the allowed values"))
        }
    }
}

/// Finds a name's position without allocating, comparing by exact code points.
struct NameIndex: Sendable {
    let names: [String]
    /// For larger sets: candidates by Swift string equality (canonical equivalence),
    /// then confirmed byte for byte.
    let buckets: [String: [Int]]

    init(_ names: [String]) {
        self.names = names
        var b: [String: [Int]] = [:]
        if names.count > 12 {
            for (i, n) in names.enumerated() { b[n, default: []].append(i) }
        }
        buckets = b
    }

    @inline(__always)
    func index(of name: String) -> Int? {
        if buckets.isEmpty {
            let count = name.utf8.count
            for i in names.indices where names[i].utf8.count == count && names[i].utf8.elementsEqual(name.utf8) { return i }
            return nil
        }
        guard let candidates = buckets[name] else { return nil }
        for i in candidates where names[i].utf8.elementsEqual(name.utf8) { return i }
        return nil
    }
}
