/// Strict reader of a JSON object's fields: a missing field, a field of the wrong
/// type or a field nobody asked for (see ``finish()``) throws with a JSON pointer.
public struct FieldReader {
    public let object: JSONObject
    public let pointer: String
    public let code: ErrorCode
    /// Which members were read: a bit per member index (first 64), then a list.
    private var readMask: UInt64 = 0
    private var readBeyond: [Int] = []

    public init(_ value: JSONValue, pointer: String = "", code: ErrorCode = .malformedPayload) throws(ParmanaError) {
        guard let o = value.objectValue else {
            throw ParmanaError(code, "expected an object", details: [.init(pointer: pointer.isEmpty ? "/" : pointer, message: "expected an object, found \(value.typeName)")])
        }
        self.object = o
        self.pointer = pointer
        self.code = code
    }

    public func path(_ key: String) -> String { pointer + "/" + JSONPointer.escape(key) }

    public func error(_ key: String, _ message: String) -> ParmanaError {
        ParmanaError(code, "\(path(key)): \(message)", details: [.init(pointer: path(key), message: message)])
    }

    /// The raw value of an optional field, marking it as read.
    public mutating func optional(_ key: String) -> JSONValue? {
        let members = object.members
        for i in members.indices where members[i].key.sameBytes(key) {
            if i < 64 { readMask |= 1 << UInt64(i) } else { readBeyond.append(i) }
            return members[i].value
        }
        return nil
    }

    /// The raw value of a required field.
    public mutating func required(_ key: String) throws(ParmanaError) -> JSONValue {
        guard let v = optional(key) else { throw error(key, "missing field") }
        return v
    }

    public mutating func string(_ key: String) throws(ParmanaError) -> String {
        let v = try required(key)
        guard let s = v.stringValue else { throw error(key, "expected a string, found \(v.typeName)") }
        return s
    }

    public mutating func optionalString(_ key: String) throws(ParmanaError) -> String? {
        guard let v = optional(key), !v.isNull else { return nil }
        guard let s = v.stringValue else { throw error(key, "expected a string, found \(v.typeName)") }
        return s
    }

    public mutating func bool(_ key: String) throws(ParmanaError) -> Bool {
        let v = try required(key)
        guard let b = v.boolValue else { throw error(key, "expected a boolean, found \(v.typeName)") }
        return b
    }

    /// An optional boolean (absent or null means none).
    public mutating func optionalBool(_ key: String) throws(ParmanaError) -> Bool? {
        guard let v = optional(key), !v.isNull else { return nil }
        guard let b = v.boolValue else { throw error(key, "expected a boolean, found \(v.typeName)") }
        return b
    }

    public mutating func array(_ key: String) throws(ParmanaError) -> [JSONValue] {
        let v = try required(key)
        guard let a = v.arrayValue else { throw error(key, "expected an array, found \(v.typeName)") }
        return a
    }

    /// A non-negative integer field (|x| ≤ 2^53−1).
    public mutating func integer(_ key: String) throws(ParmanaError) -> Int {
        let v = try required(key)
        guard let d = v.numberValue, d >= 0, d == d.rounded(), d <= 9_007_199_254_740_991 else {
            throw error(key, "expected a non-negative integer, found \(v.typeName)")
        }
        return Int(d)
    }

    /// A nested object read with its own strict reader.
    public mutating func object(_ key: String) throws(ParmanaError) -> FieldReader {
        try FieldReader(try required(key), pointer: path(key), code: code)
    }

    /// A required string that must satisfy `check`, described by `what`.
    public mutating func string(_ key: String, _ what: @autoclosure () -> String, where check: (String) -> Bool) throws(ParmanaError) -> String {
        let s = try string(key)
        guard check(s) else { throw error(key, "expected \(what())") }
        return s
    }

    /// A required string that must be one of `values`.
    public mutating func oneOf(_ key: String, _ values: [String]) throws(ParmanaError) -> String {
        try string(key, "one of \(values.joined(separator: ", "))") { v in values.contains { $0.sameBytes(v) } }
    }

    /// A required timestamp in the exact SPEC §6 form.
    public mutating func timestamp(_ key: String) throws(ParmanaError) -> Timestamp {
        let s = try string(key)
        guard let t = Timestamp(s) else { throw error(key, "expected an RFC 3339 UTC time like 2026-01-01T00:00:00.000Z") }
        return t
    }

    /// An optional timestamp (absent or null means none).
    public mutating func optionalTimestamp(_ key: String) throws(ParmanaError) -> Timestamp? {
        guard let s = try optionalString(key) else { return nil }
        guard let t = Timestamp(s) else { throw error(key, "expected an RFC 3339 UTC time like 2026-01-01T00:00:00.000Z") }
        return t
    }

    /// A 64-character lowercase hex hash.
    public mutating func hash(_ key: String) throws(ParmanaError) -> String {
        try string(key, "64 lowercase hex characters", where: Hashing.isHashHex)
    }

    /// A 32-character lowercase hex key id.
    public mutating func keyID(_ key: String = "key_id") throws(ParmanaError) -> String {
        try string(key, "32 lowercase hex characters") { Hex.isLowercaseHex($0, length: 32) }
    }

    /// Throws if the object has a field that was never read.
    /// Throws if the object has a field that was never read.
    public func finish() throws(ParmanaError) {
        for i in object.members.indices {
            let read = i < 64 ? readMask & (1 << UInt64(i)) != 0 : readBeyond.contains(i)
            if !read { throw error(object.members[i].key, "unknown field") }
        }
    }
}

/// RFC 6901 JSON pointer helpers.
public enum JSONPointer {
    /// Escapes one reference token (`~` → `~0`, `/` → `~1`).
    public static func escape(_ token: String) -> String {
        guard token.utf8.contains(where: { $0 == 0x7E || $0 == 0x2F }) else { return token }
        return token.replacing("~", with: "~0").replacing("/", with: "~1")
    }
}

/// Identifier syntax checks shared by payloads.
public enum Syntax {
    /// A lowercase UUID version 4 (SPEC §6).
    public static func isUUIDv4(_ s: String) -> Bool {
        let u = s.utf8
        guard u.count == 36 else { return false }
        var v14: UInt8 = 0, v19: UInt8 = 0
        for (i, c) in u.enumerated() {
            if i == 14 { v14 = c }
            if i == 19 { v19 = c }
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard c == 0x2D else { return false }
            } else {
                guard (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) else { return false }
            }
        }
        return v14 == UInt8(ascii: "4") && (v19 == UInt8(ascii: "8") || v19 == UInt8(ascii: "9") || v19 == UInt8(ascii: "a") || v19 == UInt8(ascii: "b"))
    }

    /// `[a-z0-9][a-z0-9._-]{0,127}` (policy ids).
    public static func isPolicyID(_ s: String) -> Bool { isToken(s, extra: (0x2E, 0x5F, 0x2D)) }

    /// `[a-z0-9][a-z0-9_.-]{0,127}` (reasons).
    public static func isReason(_ s: String) -> Bool { isToken(s, extra: (0x5F, 0x2E, 0x2D)) }

    private static func isToken(_ s: String, extra: (UInt8, UInt8, UInt8)) -> Bool {
        let u = s.utf8
        guard (1...128).contains(u.count) else { return false }
        for (i, c) in u.enumerated() {
            let alnum = (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39)
            guard alnum || (i > 0 && (c == extra.0 || c == extra.1 || c == extra.2)) else { return false }
        }
        return true
    }
}
