/// Indented JSON for people (member order kept, numbers and strings as in JCS).
/// Never hashed or signed: only ``CanonicalJSON`` output is.
public enum PrettyJSON {
    public static func bytes(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        write(value, indent: 0, to: &out)
        out.append(0x0A)
        return out
    }

    public static func string(_ value: JSONValue) -> String { String(decoding: bytes(value), as: UTF8.self) }

    static func newline(_ indent: Int, _ out: inout [UInt8]) {
        out.append(0x0A)
        out.append(contentsOf: repeatElement(0x20, count: indent))
    }

    static func write(_ value: JSONValue, indent: Int, to out: inout [UInt8]) {
        switch value {
        case .array(let items) where !items.isEmpty:
            out.append(UInt8(ascii: "["))
            for (n, item) in items.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 2, &out)
                write(item, indent: indent + 2, to: &out)
            }
            newline(indent, &out)
            out.append(UInt8(ascii: "]"))
        case .object(let o) where o.count > 0:
            out.append(UInt8(ascii: "{"))
            for (n, m) in o.members.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 2, &out)
                CanonicalJSON.writeString(m.key, to: &out)
                out.append(contentsOf: [UInt8(ascii: ":"), 0x20])
                write(m.value, indent: indent + 2, to: &out)
            }
            newline(indent, &out)
            out.append(UInt8(ascii: "}"))
        default:
            CanonicalJSON.write(value, to: &out)
        }
    }
}
