/// Validates signals against a policy's schema and binds them to slots (SPEC §4).
/// Reports every violation at once, each with a JSON pointer.
struct SignalBinder: Sendable {
    let specs: [SignalSpec]
    let slotByName: [CodePointKey: Int]
    let additionalAllowed: Bool

    init(policy: Policy) {
        specs = policy.signals
        var map: [CodePointKey: Int] = [:]
        for (i, s) in policy.signals.enumerated() { map[CodePointKey(s.name)] = i }
        slotByName = map
        additionalAllowed = policy.additionalSignalsAllowed
    }

    /// One slot per declared signal (nil when absent).
    func bind(_ signals: JSONValue) throws(ParmanaError) -> [JSONValue?] {
        guard case .object(let o) = signals else {
            throw ParmanaError(.invalidSignals, "signals must be a JSON object, found \(signals.typeName)",
                               details: [.init(pointer: "", message: "expected an object")])
        }
        var slots = [JSONValue?](repeating: nil, count: specs.count)
        var problems: [ParmanaError.Detail] = []
        var undeclared = false
        for m in o.members {
            let pointer = "/" + JSONPointer.escape(m.key)
            guard let i = slotByName[CodePointKey(m.key)] else {
                if !additionalAllowed {
                    undeclared = true
                    problems.append(.init(pointer: pointer, message: "signal \"\(m.key)\" is not declared by the policy"))
                }
                continue
            }
            let before = problems.count
            SignalBinder.check(m.value, specs[i], pointer: pointer, into: &problems)
            if problems.count == before { slots[i] = m.value }
        }
        for (i, s) in specs.enumerated() where s.required && slots[i] == nil && o[s.name] == nil {
            problems.append(.init(pointer: "/" + JSONPointer.escape(s.name), message: "required signal is missing"))
        }
        if !problems.isEmpty {
            let code: ErrorCode = undeclared ? .undeclaredSignal : .invalidSignals
            let summary = problems.count == 1 ? "\(problems[0].pointer): \(problems[0].message)" : "\(problems.count) problems, first \(problems[0].pointer): \(problems[0].message)"
            throw ParmanaError(code, summary, details: problems)
        }
        return slots
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

    static func check(_ v: JSONValue, _ s: SignalSpec, pointer: String, into problems: inout [ParmanaError.Detail]) {
        if s.type == .array {
            guard case .array(let items) = v else {
                problems.append(.init(pointer: pointer, message: "expected an array of \(s.items!.rawValue), found \(v.typeName)"))
                return
            }
            if let min = s.minLength, items.count < min { problems.append(.init(pointer: pointer, message: "fewer than \(min) items")) }
            if let max = s.maxLength, items.count > max { problems.append(.init(pointer: pointer, message: "more than \(max) items")) }
            for (i, item) in items.enumerated() {
                checkScalar(item, s, s.items!, pointer: pointer + "/\(i)", into: &problems)
            }
        } else {
            checkScalar(v, s, s.type, pointer: pointer, into: &problems)
            if case .string(let str) = v {
                let n = str.unicodeScalars.count
                if let min = s.minLength, n < min { problems.append(.init(pointer: pointer, message: "shorter than \(min) characters")) }
                if let max = s.maxLength, n > max { problems.append(.init(pointer: pointer, message: "longer than \(max) characters")) }
            }
        }
    }

    static func checkScalar(_ v: JSONValue, _ s: SignalSpec, _ t: SignalType, pointer: String, into problems: inout [ParmanaError.Detail]) {
        guard fits(v, t) else {
            problems.append(.init(pointer: pointer, message: "expected \(t == .integer ? "an integer" : "a \(t.rawValue)"), found \(v.typeName)"))
            return
        }
        if case .number(let d) = v {
            if let min = s.minimum, d < min { problems.append(.init(pointer: pointer, message: "below the minimum \(ECMAScriptNumber.string(min))")) }
            if let max = s.maximum, d > max { problems.append(.init(pointer: pointer, message: "above the maximum \(ECMAScriptNumber.string(max))")) }
        }
        if let e = s.enumValues, !e.contains(v) {
            problems.append(.init(pointer: pointer, message: "not one of the allowed values"))
        }
    }
}

/// A dictionary key that compares strings by code points (UTF-8 bytes), never by
/// Unicode canonical equivalence.
struct CodePointKey: Hashable, Sendable {
    let bytes: [UInt8]
    init(_ s: String) { bytes = Array(s.utf8) }
}
