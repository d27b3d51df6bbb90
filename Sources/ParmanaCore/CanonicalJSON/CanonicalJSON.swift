/// RFC 8785 (JCS) serialization.
public enum CanonicalJSON {
    /// The canonical UTF-8 bytes of `value`.
    public static func bytes(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        write(value, to: &out)
        return out
    }

    /// The canonical text of `value`.
    public static func string(_ value: JSONValue) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    /// Parses `input` strictly and returns its canonical bytes.
    public static func canonicalize(_ input: some Collection<UInt8>, parser: JSONParser = JSONParser()) throws(ParmanaError) -> [UInt8] {
        try parser.canonicalize(input)
    }

    /// Appends the canonical form of `value` to `out`.
    public static func write(_ value: JSONValue, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(true): out.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
        case .bool(false): out.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])
        case .number(let d): ECMAScriptNumber.append(d, to: &out)
        case .string(let s): writeString(s, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (n, item) in items.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                write(item, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            let members = object.members
            let n = members.count
            withUnsafeTemporaryAllocation(of: Int.self, capacity: n) { order in
                for k in 0..<n { order[k] = k }
                // Insertion sort of indices: objects are small and often nearly sorted.
                if n > 1 {
                    for x in 1..<n {
                        var y = x
                        while y > 0, utf16Precedes(members[order[y]].key, members[order[y - 1]].key) {
                            order.swapAt(y, y - 1)
                            y -= 1
                        }
                    }
                }
                for k in 0..<n {
                    if k > 0 { out.append(UInt8(ascii: ",")) }
                    writeString(members[order[k]].key, to: &out)
                    out.append(UInt8(ascii: ":"))
                    write(members[order[k]].value, to: &out)
                }
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `,"name":` and the string `value`: one member of an object written
    /// directly in canonical order (`name` needs no escaping).
    @inline(__always)
    static func member(_ name: StaticString, _ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: ","))
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
        writeString(value, to: &out)
    }

    /// Whether `a` sorts before `b` by UTF-16 code units.
    @inline(__always)
    public static func utf16Precedes(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        let fast: Bool? = a.withUTF8 { pa in
            b.withUTF8 { pb in
                let n = min(pa.count, pb.count)
                var k = 0
                while k < n {
                    let x = pa[k], y = pb[k]
                    if x != y {
                        if x >= 0xEE || y >= 0xEE { return nil }
                        return x < y
                    }
                    k += 1
                }
                return pa.count < pb.count
            }
        }
        if let fast { return fast }
        return a.utf16.lexicographicallyPrecedes(b.utf16)
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static func writeString(_ s: String, to out: inout [UInt8]) {
        var s = s
        let clean = s.withUTF8 { p -> Bool in
            for c in p where c < 0x20 || c == 0x22 || c == 0x5C { return false }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: p)
            out.append(UInt8(ascii: "\""))
            return true
        }
        if clean { return }
        out.append(UInt8(ascii: "\""))
        for c in s.utf8 {
            switch c {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x08: out.append(0x5C); out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(0x5C); out.append(UInt8(ascii: "f"))
            case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
            case 0x00..<0x20:
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30])
                out.append(hexDigits[Int(c >> 4)])
                out.append(hexDigits[Int(c & 0xF)])
            default: out.append(c)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
