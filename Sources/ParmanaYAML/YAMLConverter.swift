import ParmanaCore
import Yams

/// Converts YAML (an authoring format for policies and test cases) into the JSON data
/// model. The policy hash is always over the JCS of that model, so YAML layout never
/// changes a hash.
///
/// Guards against YAML's traps (docs/policy-language.md): YAML 1.1 booleans such as
/// `yes`/`no`/`on`/`off` are refused rather than guessed, as are anchors, aliases and
/// merge keys (`<<`), non-JSON numbers (`0x1F`, `1_000`, `.inf`, `012`), non-string
/// keys, duplicate keys and multi-document streams. Quoted scalars are always strings.
public enum YAMLConverter {
    public static func json(from text: String) throws(ParmanaError) -> JSONValue {
        try refuseAnchorsAndAliases(text)
        let nodes: [Node]
        do {
            nodes = Array(try Yams.compose_all(yaml: text))
        } catch {
            throw ParmanaError(.invalidYAML, "not valid YAML: \(error)")
        }
        guard nodes.count == 1 else {
            throw ParmanaError(.invalidYAML, nodes.isEmpty ? "the YAML document is empty" : "exactly one YAML document is expected, found \(nodes.count)")
        }
        return try convert(nodes[0], pointer: "")
    }

    /// The composer resolves aliases silently, so anchors (`&a`) and aliases (`*a`) are
    /// found in the text: an `&` or `*` where a node starts (line start, or after
    /// `:`, `-`, `,`, `[`, `{`, `?`), outside quotes and comments.
    static func refuseAnchorsAndAliases(_ text: String) throws(ParmanaError) {
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var quote: Character?
            var lastSignificant: Character? = nil
            var previous: Character = " "
            for c in line {
                if let q = quote {
                    if c == q { quote = nil }
                } else if c == "\"" || c == "'" {
                    if lastSignificant == nil || ":-,[{?".contains(lastSignificant!) { quote = c }
                } else if c == "#" && (previous == " " || previous == "\t" || lastSignificant == nil) {
                    break
                } else if (c == "&" || c == "*") && (lastSignificant == nil || ":-,[{?".contains(lastSignificant!)) && (previous == " " || previous == "\t" || lastSignificant == nil || "[{,".contains(previous)) {
                    throw ParmanaError(.invalidYAML, "line \(n + 1): anchors and aliases are not allowed; write the value out")
                }
                if c != " " && c != "\t" { lastSignificant = c }
                previous = c
            }
        }
    }

    static func fail(_ pointer: String, _ message: String) -> ParmanaError {
        ParmanaError(.invalidYAML, "\(pointer.isEmpty ? "/" : pointer): \(message)",
                     details: [.init(pointer: pointer.isEmpty ? "/" : pointer, message: message)])
    }

    static func convert(_ node: Node, pointer: String) throws(ParmanaError) -> JSONValue {
        if node.anchor != nil {
            throw fail(pointer, "anchors and aliases are not allowed; write the value out")
        }
        switch node {
        case .scalar(let s):
            return try scalar(s, pointer: pointer)
        case .sequence(let seq):
            var items: [JSONValue] = []
            for (i, n) in seq.enumerated() { items.append(try convert(n, pointer: pointer + "/\(i)")) }
            return .array(items)
        case .mapping(let map):
            var members: [(String, JSONValue)] = []
            for (k, v) in map {
                guard case .scalar(let ks) = k, k.anchor == nil else { throw fail(pointer, "mapping keys must be plain strings") }
                let key = ks.string
                if key == "<<" && ks.style == .plain { throw fail(pointer, "merge keys (<<) are not allowed") }
                if ks.style == .plain, case .string = try scalar(ks, pointer: pointer) {} else if ks.style == .plain {
                    throw fail(pointer + "/" + JSONPointer.escape(key), "mapping key \"\(key)\" would not be a string in YAML; quote it")
                }
                if members.contains(where: { $0.0.utf8.elementsEqual(key.utf8) }) {
                    throw ParmanaError(.duplicateKey, "\(pointer)/\(JSONPointer.escape(key)): duplicate key")
                }
                members.append((key, try convert(v, pointer: pointer + "/" + JSONPointer.escape(key))))
            }
            return .object(JSONObject(members))
        case .alias:
            throw fail(pointer, "anchors and aliases are not allowed; write the value out")
        }
    }

    static let ambiguousBooleans: Set<String> = ["y", "n", "yes", "no", "on", "off"]

    static func scalar(_ s: Node.Scalar, pointer: String) throws(ParmanaError) -> JSONValue {
        guard s.style == .plain else { return .string(s.string) }
        let t = s.string
        switch t {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "null", "~", "": return .null
        default: break
        }
        let lower = t.lowercased()
        if ambiguousBooleans.contains(lower) || ["true", "false", "null"].contains(lower) {
            throw fail(pointer, "'\(t)' is ambiguous in YAML (a boolean in YAML 1.1); write true/false, or quote it for a string")
        }
        if let first = t.utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".") || (first >= 0x30 && first <= 0x39) {
            if let v = try? JSONParser().parse(t), case .number = v {
                return v
            }
            // A JSON-style number that does not parse as a double (overflow, > 2^53 integer).
            do { _ = try JSONParser().parse(t) } catch where error.code == .numberOutOfRange {
                throw ParmanaError(error.code, "\(pointer): \(error.message)")
            } catch {}
            if looksNumeric(lower) {
                throw fail(pointer, "'\(t)' is not a JSON number (YAML would read it as one); write it in JSON form, or quote it for a string")
            }
        }
        return .string(t)
    }

    /// Whether YAML 1.1 or 1.2 would resolve a plain scalar to a number.
    static func looksNumeric(_ t: String) -> Bool {
        let patterns = [
            #"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$"#,  // decimal, 1_000, 012
            #"^[-+]?0(x[0-9a-fA-F_]+|o?[0-7_]+|b[01_]+)$"#,                    // hex, octal, binary
            #"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$"#,                  // sexagesimal 1:30
            #"^[-+]?\.(inf|Inf|INF)$"#, #"^\.(nan|NaN|NAN)$"#,
        ]
        return patterns.contains { t.wholeMatch(of: try! Regex($0)) != nil }
    }
}
