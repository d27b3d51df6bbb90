/// One-pass strict parse + RFC 8785 output, with no intermediate tree. It drives the
/// same ``Cursor`` scanning code as ``JSONParser`` for literals, strings, numbers,
/// depth and UTF-8 checks, so both accept and refuse exactly the same inputs
/// (a test holds them to that). Members are written as they come and reordered in
/// place when an object ends.
struct CanonicalWriter {
    var c: Cursor
    var out: ByteWriter
    /// Member segments of the objects being written (a stack across nesting levels).
    var segments: [Segment] = []
    var temp: ByteWriter
    /// Reused for numbers and escaped strings.
    var scratch: [UInt8] = []

    struct Segment {
        /// Where `"key":value` starts and ends in `out`.
        var start: Int
        var end: Int
        /// The canonical key bytes (quotes excluded) in `out`, when the key needed no escaping.
        var keyStart: Int
        var keyEnd: Int
        /// Index of the decoded key in `decodedKeys` when it had escapes or non-ASCII
        /// text (compared by UTF-16 as strings), else -1. Keeps segments trivially copyable.
        var decoded: Int32
    }

    /// Decoded names of members whose raw bytes are not their canonical bytes.
    var decodedKeys: [String] = []

    init(buf: UnsafeBufferPointer<UInt8>) {
        c = Cursor(buf: buf)
        out = ByteWriter(capacity: buf.count + 16)
        temp = ByteWriter(capacity: buf.count + 16)
        segments.reserveCapacity(16)
    }

    /// Releases the buffers; the result must have been copied out first.
    func free() {
        out.free()
        temp.free()
    }

    /// Parses and writes the whole document into `out`.
    mutating func document() throws(ParmanaError) {
        let buf = c.buf
        if buf.count >= 3, buf[0] == 0xEF, buf[1] == 0xBB, buf[2] == 0xBF {
            throw c.fail(.invalidJSON, "byte order mark is not allowed")
        }
        c.skipWhitespace()
        try value()
        c.skipWhitespace()
        if c.i != buf.count { throw c.fail(.invalidJSON, "trailing data after the JSON value") }
    }

    mutating func literal(_ word: StaticString) throws(ParmanaError) {
        try c.literal(word)
        out.append(UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount))
    }

    mutating func number() throws(ParmanaError) {
        let start = c.i
        if let end = CanonicalWriter.plainDecimalEnd(c.buf, start) {
            // Already canonical: copy it (see plainDecimalEnd).
            c.i = end
            out.append(UnsafeBufferPointer(rebasing: c.buf[start..<end]))
            return
        }
        let d = try c.number()
        scratch.removeAll(keepingCapacity: true)
        ECMAScriptNumber.append(d, to: &scratch)
        out.append(scratch)
    }

    mutating func value() throws(ParmanaError) {
        guard c.i < c.buf.count else { throw c.fail(.invalidJSON, "unexpected end of input") }
        switch c.buf[c.i] {
        case UInt8(ascii: "{"): try object()
        case UInt8(ascii: "["): try array()
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
        default: throw c.fail(.invalidJSON, "unexpected character")
        }
    }

    /// The end of a number literal at `start` when its text is already its ECMAScript
    /// form, else nil. That holds for `-?(0|[1-9]d*)(.d*[1-9])?` (no exponent) with at
    /// most 15 significant digits and at most 5 zeros after "0.": 15 digits always
    /// round-trip through a double, so the shortest digits are these, and ES prints
    /// such values in plain decimal. Integer literals qualify when |x| < 2^53 (15 digits).
    static func plainDecimalEnd(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int? {
        var i = start
        let n = buf.count
        if i < n, buf[i] == UInt8(ascii: "-") { i += 1 }
        guard i < n else { return nil }
        var significant = 0
        var leadingZeroInt = false
        if buf[i] == UInt8(ascii: "0") {
            leadingZeroInt = true
            i += 1
            if i < n, buf[i] >= 0x30, buf[i] <= 0x39 { return nil }  // leading zero: let the parser refuse it
        } else if buf[i] >= 0x31, buf[i] <= 0x39 {
            while i < n, buf[i] >= 0x30, buf[i] <= 0x39 { i += 1; significant += 1 }
        } else {
            return nil
        }
        var sawFraction = false
        if i < n, buf[i] == UInt8(ascii: ".") {
            sawFraction = true
            i += 1
            let fracStart = i
            var zerosBeforeFirst = 0
            var seenNonZero = false
            while i < n, buf[i] >= 0x30, buf[i] <= 0x39 {
                if buf[i] != 0x30 { seenNonZero = true } else if !seenNonZero { zerosBeforeFirst += 1 }
                if seenNonZero || !leadingZeroInt { significant += 1 }
                i += 1
            }
            guard i > fracStart, buf[i - 1] != 0x30 else { return nil }  // "1." or trailing zero
            if leadingZeroInt, zerosBeforeFirst > 5 { return nil }       // below 1e-6: exponent form
        }
        if i < n, buf[i] == UInt8(ascii: "e") || buf[i] == UInt8(ascii: "E") { return nil }
        guard significant <= 15 else { return nil }
        if !sawFraction && leadingZeroInt { return start + 1 == i ? i : nil }  // "0" yes, "-0" → "0": no
        return i
    }

    /// Writes a string; returns its decoded form only when it had escapes or was not
    /// plain printable text (so raw bytes are not its canonical bytes).
    @discardableResult
    mutating func string(isKey: Bool = false) throws(ParmanaError) -> String? {
        let buf = c.buf
        let start = c.i + 1
        var k = start
        var ascii = true
        // Fast path: no escapes or controls, valid UTF-8: the raw bytes are canonical.
        while k < buf.count {
            let b = buf[k]
            if b == UInt8(ascii: "\"") {
                out.append(UInt8(ascii: "\""))
                out.append(UnsafeBufferPointer(rebasing: buf[start..<k]))
                out.append(UInt8(ascii: "\""))
                c.i = k + 1
                // Non-ASCII names are compared as strings when sorting.
                return isKey && !ascii ? String(decoding: UnsafeBufferPointer(rebasing: buf[start..<k]), as: UTF8.self) : nil
            }
            if b == UInt8(ascii: "\\") || b < 0x20 { break }
            if b >= 0x80 {
                guard let len = Cursor.validUTF8Length(buf, k) else { break }  // the slow path reports it
                ascii = false
                k += len
                continue
            }
            k += 1
        }
        let s = try c.string()
        scratch.removeAll(keepingCapacity: true)
        CanonicalJSON.writeString(s, to: &scratch)
        out.append(scratch)
        return s
    }

    mutating func array() throws(ParmanaError) {
        try c.enter()
        c.i += 1
        out.append(UInt8(ascii: "["))
        c.skipWhitespace()
        if c.i < c.buf.count, c.buf[c.i] == UInt8(ascii: "]") {
            c.i += 1
            c.depth -= 1
            out.append(UInt8(ascii: "]"))
            return
        }
        var first = true
        while true {
            c.skipWhitespace()
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            try value()
            c.skipWhitespace()
            guard c.i < c.buf.count else { throw c.fail(.invalidJSON, "unterminated array") }
            if c.buf[c.i] == UInt8(ascii: ",") { c.i += 1; continue }
            if c.buf[c.i] == UInt8(ascii: "]") { c.i += 1; break }
            throw c.fail(.invalidJSON, "expected ',' or ']'")
        }
        c.depth -= 1
        out.append(UInt8(ascii: "]"))
    }

    mutating func object() throws(ParmanaError) {
        try c.enter()
        c.i += 1
        let objectStart = out.count
        out.append(UInt8(ascii: "{"))
        let base = segments.count
        c.skipWhitespace()
        if c.i < c.buf.count, c.buf[c.i] == UInt8(ascii: "}") {
            c.i += 1
            c.depth -= 1
            out.append(UInt8(ascii: "}"))
            return
        }
        while true {
            c.skipWhitespace()
            guard c.i < c.buf.count, c.buf[c.i] == UInt8(ascii: "\"") else {
                throw c.fail(.invalidJSON, "expected a member name")
            }
            if segments.count > base { out.append(UInt8(ascii: ",")) }
            let keyPos = c.i
            let segStart = out.count
            var decoded: Int32 = -1
            if let d = try string(isKey: true) {
                decoded = Int32(decodedKeys.count)
                decodedKeys.append(d)
            }
            var seg = Segment(start: segStart, end: 0, keyStart: segStart + 1, keyEnd: out.count - 1, decoded: decoded)
            for k in base..<segments.count where sameKey(segments[k], seg) {
                c.i = keyPos
                throw c.fail(.duplicateKey, "duplicate member name \"\(keyText(seg))\"")
            }
            c.skipWhitespace()
            guard c.i < c.buf.count, c.buf[c.i] == UInt8(ascii: ":") else { throw c.fail(.invalidJSON, "expected ':'") }
            c.i += 1
            out.append(UInt8(ascii: ":"))
            c.skipWhitespace()
            try value()
            seg.end = out.count
            segments.append(seg)
            c.skipWhitespace()
            guard c.i < c.buf.count else { throw c.fail(.invalidJSON, "unterminated object") }
            if c.buf[c.i] == UInt8(ascii: ",") { c.i += 1; continue }
            if c.buf[c.i] == UInt8(ascii: "}") { c.i += 1; break }
            throw c.fail(.invalidJSON, "expected ',' or '}'")
        }
        c.depth -= 1
        reorder(base: base, objectStart: objectStart)
        segments.removeSubrange(base...)
        out.append(UInt8(ascii: "}"))
    }

    func keyText(_ s: Segment) -> String {
        s.decoded >= 0 ? decodedKeys[Int(s.decoded)] : String(decoding: UnsafeBufferPointer(rebasing: out.buffer[s.keyStart..<s.keyEnd]), as: UTF8.self)
    }

    func sameKey(_ a: Segment, _ b: Segment) -> Bool {
        if a.decoded < 0, b.decoded < 0 {
            let p = out.buffer
            return a.keyEnd - a.keyStart == b.keyEnd - b.keyStart && p[a.keyStart..<a.keyEnd].elementsEqual(p[b.keyStart..<b.keyEnd])
        }
        return keyText(a).utf8.elementsEqual(keyText(b).utf8)
    }

    /// UTF-16 code unit order of two members' decoded names.
    static func precedes(_ a: Segment, _ b: Segment, _ p: UnsafeBufferPointer<UInt8>, _ keys: [String]) -> Bool {
        if a.decoded < 0, b.decoded < 0 {
            var i = a.keyStart, j = b.keyStart
            while i < a.keyEnd && j < b.keyEnd {
                let x = p[i], y = p[j]
                if x != y { return x < y }  // plain printable ASCII: bytes are code units
                i += 1
                j += 1
            }
            return i == a.keyEnd && j < b.keyEnd
        }
        let ka = a.decoded >= 0 ? keys[Int(a.decoded)] : String(decoding: UnsafeBufferPointer(rebasing: p[a.keyStart..<a.keyEnd]), as: UTF8.self)
        let kb = b.decoded >= 0 ? keys[Int(b.decoded)] : String(decoding: UnsafeBufferPointer(rebasing: p[b.keyStart..<b.keyEnd]), as: UTF8.self)
        return CanonicalJSON.utf16Precedes(ka, kb)
    }

    /// Sorts this object's members (segments[base...]) in place in `out`.
    mutating func reorder(base: Int, objectStart: Int) {
        let n = segments.count - base
        guard n > 1 else { return }
        let segs = segments
        let keys = decodedKeys
        let p = out.buffer
        var sorted = true
        for k in (base + 1)..<segs.count where CanonicalWriter.precedes(segs[k], segs[k - 1], p, keys) {
            sorted = false
            break
        }
        if sorted { return }
        withUnsafeTemporaryAllocation(of: Int.self, capacity: n) { order in
            for k in 0..<n { order[k] = base + k }
            // Insertion sort: objects are small.
            for x in 1..<n {
                var y = x
                while y > 0, CanonicalWriter.precedes(segs[order[y]], segs[order[y - 1]], p, keys) {
                    order.swapAt(y, y - 1)
                    y -= 1
                }
            }
            temp.truncate(to: 0)
            for k in 0..<n {
                if k > 0 { temp.append(UInt8(ascii: ",")) }
                temp.appendOwn(segs[order[k]].start, segs[order[k]].end, from: out)
            }
        }
        out.truncate(to: objectStart + 1)
        out.append(temp.buffer)
    }
}
