/// A strict RFC 8259 parser that fails closed with SPEC §1 error codes.
///
/// Refuses a byte order mark, trailing data, invalid UTF-8, duplicate member names
/// (compared by exact code points), lone surrogate escapes, numbers that overflow a
/// double, integer literals outside ±(2^53−1) and any other spelling of an integer value
/// outside ±(2^53−1) whose RFC 8785 form is an integer literal (below 1e21: `1e20`,
/// `9007199254740992.0`), nesting deeper than ``maxDepth`` and input larger than the
/// byte limit. So every accepted document's JCS bytes parse again to the same values.
public struct JSONParser: Sendable {
    /// Default input limit: 1 MiB.
    public static let defaultMaxBytes = 1 << 20
    /// Deepest nesting accepted (a top-level array or object is depth 1).
    public static let maxDepth = 64
    /// Largest integer literal magnitude accepted: 2^53 − 1.
    public static let maxSafeInteger: UInt64 = 9_007_199_254_740_991

    public var maxBytes: Int

    public init(maxBytes: Int = JSONParser.defaultMaxBytes) {
        self.maxBytes = maxBytes
    }

    /// Parses one JSON document.
    public func parse(_ bytes: some Collection<UInt8>) throws(ParmanaError) -> JSONValue {
        if bytes.count > maxBytes {
            throw ParmanaError(.tooLarge, "input is \(bytes.count) bytes; the limit is \(maxBytes)")
        }
        var result: Result<JSONValue, ParmanaError>?
        _ = bytes.withContiguousStorageIfAvailable { buf in
            var cursor = Cursor(buf: buf)
            do throws(ParmanaError) { result = .success(try cursor.document()) } catch { result = .failure(error) }
        }
        if result == nil {
            let array = Array(bytes)
            array.withUnsafeBufferPointer { buf in
                var cursor = Cursor(buf: buf)
                do throws(ParmanaError) { result = .success(try cursor.document()) } catch { result = .failure(error) }
            }
        }
        return try result!.get()
    }

    /// Strictly parses one document and writes its RFC 8785 form in the same pass,
    /// without building a tree. Accepts and refuses exactly what ``parse(_:)`` does.
    public func canonicalize(_ bytes: some Collection<UInt8>) throws(ParmanaError) -> [UInt8] {
        try withCanonicalBytes(bytes) { Array($0) }
    }

    /// Canonicalizes in one pass and hands the canonical bytes to `body` without copying
    /// them out (e.g. to hash them).
    public func withCanonicalBytes<R>(_ bytes: some Collection<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> R) throws(ParmanaError) -> R {
        if bytes.count > maxBytes {
            throw ParmanaError(.tooLarge, "input is \(bytes.count) bytes; the limit is \(maxBytes)")
        }
        var result: Result<R, ParmanaError>?
        func run(_ buf: UnsafeBufferPointer<UInt8>) {
            var w = CanonicalWriter(buf: buf)
            defer { w.free() }
            do throws(ParmanaError) {
                try w.document()
                result = .success(body(w.out.buffer))
            } catch { result = .failure(error) }
        }
        _ = bytes.withContiguousStorageIfAvailable { run($0) }
        if result == nil { Array(bytes).withUnsafeBufferPointer { run($0) } }
        return try result!.get()
    }

    /// Parses one JSON document from a string's UTF-8.
    public func parse(_ text: String) throws(ParmanaError) -> JSONValue {
        try parse(Array(text.utf8))
    }
}

struct Cursor {
    let buf: UnsafeBufferPointer<UInt8>
    var i = 0
    var depth = 0
    var scratch: [UInt8] = []

    init(buf: UnsafeBufferPointer<UInt8>) { self.buf = buf }

    func fail(_ code: ErrorCode, _ message: String) -> ParmanaError {
        ParmanaError(code, "\(message) at byte \(i)")
    }

    mutating func document() throws(ParmanaError) -> JSONValue {
        if buf.count >= 3, buf[0] == 0xEF, buf[1] == 0xBB, buf[2] == 0xBF {
            throw fail(.invalidJSON, "byte order mark is not allowed")
        }
        skipWhitespace()
        let v = try value()
        skipWhitespace()
        if i != buf.count { throw fail(.invalidJSON, "trailing data after the JSON value") }
        return v
    }

    @inline(__always) mutating func skipWhitespace() {
        while i < buf.count {
            let c = buf[i]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { return }
        }
    }

    mutating func value() throws(ParmanaError) -> JSONValue {
        guard i < buf.count else { throw fail(.invalidJSON, "unexpected end of input") }
        switch buf[i] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw fail(.invalidJSON, "unexpected character")
        }
    }

    mutating func literal(_ word: StaticString) throws(ParmanaError) {
        let n = word.utf8CodeUnitCount
        guard i + n <= buf.count else { throw fail(.invalidJSON, "invalid literal") }
        let p = word.utf8Start
        for k in 0..<n where buf[i + k] != p[k] { throw fail(.invalidJSON, "invalid literal") }
        i += n
    }

    mutating func enter() throws(ParmanaError) {
        depth += 1
        if depth > JSONParser.maxDepth {
            throw fail(.tooDeep, "nesting is deeper than \(JSONParser.maxDepth)")
        }
    }

    mutating func object() throws(ParmanaError) -> JSONValue {
        try enter()
        i += 1
        var members: [(key: String, value: JSONValue)] = []
        skipWhitespace()
        if i < buf.count, buf[i] == UInt8(ascii: "}") {
            i += 1
            depth -= 1
            return .object(JSONObject(labeled: members))
        }
        members.reserveCapacity(8)
        while true {
            skipWhitespace()
            guard i < buf.count, buf[i] == UInt8(ascii: "\"") else {
                throw fail(.invalidJSON, "expected a member name")
            }
            let keyStart = i
            let key = try string()
            for m in members where m.key.utf8.elementsEqual(key.utf8) {
                i = keyStart
                throw fail(.duplicateKey, "duplicate member name \"\(key)\"")
            }
            skipWhitespace()
            guard i < buf.count, buf[i] == UInt8(ascii: ":") else { throw fail(.invalidJSON, "expected ':'") }
            i += 1
            skipWhitespace()
            let v = try value()
            members.append((key: key, value: v))
            skipWhitespace()
            guard i < buf.count else { throw fail(.invalidJSON, "unterminated object") }
            if buf[i] == UInt8(ascii: ",") { i += 1; continue }
            if buf[i] == UInt8(ascii: "}") { i += 1; break }
            throw fail(.invalidJSON, "expected ',' or '}'")
        }
        depth -= 1
        return .object(JSONObject(labeled: members))
    }

    mutating func array() throws(ParmanaError) -> JSONValue {
        try enter()
        i += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if i < buf.count, buf[i] == UInt8(ascii: "]") {
            i += 1
            depth -= 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try value())
            skipWhitespace()
            guard i < buf.count else { throw fail(.invalidJSON, "unterminated array") }
            if buf[i] == UInt8(ascii: ",") { i += 1; continue }
            if buf[i] == UInt8(ascii: "]") { i += 1; break }
            throw fail(.invalidJSON, "expected ',' or ']'")
        }
        depth -= 1
        return .array(items)
    }

    // MARK: strings

    mutating func string() throws(ParmanaError) -> String {
        i += 1  // opening quote
        let start = i
        // Fast path: printable ASCII without escapes.
        while i < buf.count {
            let c = buf[i]
            if c == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<i]), as: UTF8.self)
                i += 1
                return s
            }
            if c == UInt8(ascii: "\\") || c < 0x20 || c >= 0x80 { break }
            i += 1
        }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: buf[start..<i]))
        while true {
            guard i < buf.count else { throw fail(.invalidJSON, "unterminated string") }
            let c = buf[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return String(decoding: scratch, as: UTF8.self)
            } else if c == UInt8(ascii: "\\") {
                try escape()
            } else if c < 0x20 {
                throw fail(.invalidJSON, "unescaped control character in string")
            } else if c < 0x80 {
                scratch.append(c)
                i += 1
            } else {
                try utf8Sequence()
            }
        }
    }

    mutating func escape() throws(ParmanaError) {
        i += 1
        guard i < buf.count else { throw fail(.invalidJSON, "unterminated escape") }
        let c = buf[i]
        i += 1
        switch c {
        case UInt8(ascii: "\""): scratch.append(0x22)
        case UInt8(ascii: "\\"): scratch.append(0x5C)
        case UInt8(ascii: "/"): scratch.append(0x2F)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = UInt32(try hex4())
            if (0xD800...0xDBFF).contains(scalar) {
                guard i + 1 < buf.count, buf[i] == UInt8(ascii: "\\"), buf[i + 1] == UInt8(ascii: "u") else {
                    throw fail(.invalidString, "lone high surrogate escape")
                }
                i += 2
                let low = UInt32(try hex4())
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw fail(.invalidString, "high surrogate not followed by a low surrogate")
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw fail(.invalidString, "lone low surrogate escape")
            }
            appendUTF8(scalar)
        default:
            throw fail(.invalidJSON, "invalid escape")
        }
    }

    mutating func hex4() throws(ParmanaError) -> UInt16 {
        guard i + 4 <= buf.count else { throw fail(.invalidJSON, "truncated \\u escape") }
        var v: UInt16 = 0
        for _ in 0..<4 {
            let c = buf[i]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw fail(.invalidJSON, "invalid hex digit in \\u escape")
            }
            v = v << 4 | UInt16(d)
            i += 1
        }
        return v
    }

    mutating func appendUTF8(_ s: UInt32) {
        switch s {
        case 0..<0x80:
            scratch.append(UInt8(s))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | (s >> 6)))
            scratch.append(UInt8(0x80 | (s & 0x3F)))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | (s >> 12)))
            scratch.append(UInt8(0x80 | ((s >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (s & 0x3F)))
        default:
            scratch.append(UInt8(0xF0 | (s >> 18)))
            scratch.append(UInt8(0x80 | ((s >> 12) & 0x3F)))
            scratch.append(UInt8(0x80 | ((s >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (s & 0x3F)))
        }
    }

    /// Length of the valid multi-byte UTF-8 sequence at `i`, or nil (same rules as
    /// ``utf8Sequence()``).
    static func validUTF8Length(_ buf: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int? {
        let b0 = buf[i]
        let len: Int
        var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: len = 2
        case 0xE0: len = 3; lo = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: len = 3
        case 0xED: len = 3; hi = 0x9F
        case 0xF0: len = 4; lo = 0x90
        case 0xF1...0xF3: len = 4
        case 0xF4: len = 4; hi = 0x8F
        default: return nil
        }
        guard i + len <= buf.count else { return nil }
        let b1 = buf[i + 1]
        guard b1 >= lo, b1 <= hi else { return nil }
        for k in 2..<max(len, 2) where buf[i + k] & 0xC0 != 0x80 { return nil }
        return len
    }

    /// Validates one multi-byte UTF-8 sequence (RFC 3629: no overlongs, no surrogates,
    /// nothing above U+10FFFF) and copies it.
    mutating func utf8Sequence() throws(ParmanaError) {
        guard let len = Cursor.validUTF8Length(buf, i) else { throw fail(.invalidJSON, "invalid UTF-8") }
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: buf[i..<(i + len)]))
        i += len
    }

    // MARK: numbers

    mutating func number() throws(ParmanaError) -> Double {
        let start = i
        var negative = false
        if buf[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        guard i < buf.count, isDigit(buf[i]) else { throw fail(.invalidJSON, "invalid number") }
        let intStart = i
        if buf[i] == UInt8(ascii: "0") {
            i += 1
            if i < buf.count, isDigit(buf[i]) { throw fail(.invalidJSON, "leading zero in number") }
        } else {
            while i < buf.count, isDigit(buf[i]) { i += 1 }
        }
        let intEnd = i
        var isInteger = true
        if i < buf.count, buf[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            guard i < buf.count, isDigit(buf[i]) else { throw fail(.invalidJSON, "digit expected after '.'") }
            while i < buf.count, isDigit(buf[i]) { i += 1 }
        }
        if i < buf.count, buf[i] == UInt8(ascii: "e") || buf[i] == UInt8(ascii: "E") {
            isInteger = false
            i += 1
            if i < buf.count, buf[i] == UInt8(ascii: "+") || buf[i] == UInt8(ascii: "-") { i += 1 }
            guard i < buf.count, isDigit(buf[i]) else { throw fail(.invalidJSON, "digit expected in exponent") }
            while i < buf.count, isDigit(buf[i]) { i += 1 }
        }
        if isInteger {
            let digits = intEnd - intStart
            var magnitude: UInt64 = 0
            if digits <= 16 {
                for k in intStart..<intEnd { magnitude = magnitude * 10 + UInt64(buf[k] - 0x30) }
            }
            if digits > 16 || magnitude > JSONParser.maxSafeInteger {
                throw ParmanaError(
                    .numberOutOfRange,
                    "integer literal at byte \(start) is outside ±(2^53−1); write it as a string")
            }
            let d = Double(magnitude)
            return negative ? -d : d
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<i]), as: UTF8.self)
        guard let d = Double(text), d.isFinite else {
            throw ParmanaError(.numberOutOfRange, "number at byte \(start) overflows a double")
        }
        // An integer value beyond ±(2^53−1) but below 1e21 is written by RFC 8785 §3.2.2.3
        // as a plain integer literal (1e20 → 100000000000000000000), which this parser
        // refuses: accept it here and its own canonical bytes could not be read back
        // (the fingerprinted signals, the verifier's re-evaluation). So the accepted
        // values are closed under JCS: refuse it whatever its spelling (docs/formats.md).
        let magnitude = d.magnitude
        if magnitude > Double(JSONParser.maxSafeInteger), magnitude < 1e21, magnitude.rounded(.towardZero) == magnitude {
            throw ParmanaError(
                .numberOutOfRange,
                "number at byte \(start) is the integer \(text) outside ±(2^53−1), which RFC 8785 writes as an integer literal; write it as a string")
        }
        return d
    }

    @inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
}
