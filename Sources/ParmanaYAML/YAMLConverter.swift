import CYaml
import ParmanaCore

/// Reads YAML (an authoring format for policies and test cases) into the JSON data
/// model, which then goes through exactly the same validation as JSON. The policy hash
/// is always over the JCS of that model, so YAML layout never changes a hash.
///
/// The reader is libyaml's event parser (the C library inside Yams), composed here so
/// that nothing a standard YAML reader keeps distinct is merged, changed or dropped
/// (docs/policy-language.md, "YAML"):
/// - explicit tags are read as the tag says (`!!str true` is the string "true",
///   `!!null x` is null); tags outside the YAML core schema are `invalid_yaml`;
/// - mapping keys compare by Unicode code points, like JSON keys; a duplicate key is
///   `invalid_yaml` naming the key and its line;
/// - nesting deeper than ``JSONParser/maxDepth`` is `too_deep`, and more than
///   `maxBytes` of input is `too_large`, as in JSON;
/// - YAML's traps are refused rather than guessed: YAML 1.1 booleans (`yes`, `off`…),
///   numbers JSON does not have (`0x1F`, `1_000`, `.inf`, `012`), anchors, aliases and
///   merge keys, non-string keys, several documents.
///
/// Errors: `invalid_yaml` (with the line), `too_deep`, `too_large`,
/// `number_out_of_range`.
public enum YAMLConverter {
    /// Reads exactly one YAML document.
    public static func json(from text: String, maxBytes: Int = JSONParser.defaultMaxBytes) throws(ParmanaError) -> JSONValue {
        try document(Array(text.utf8), maxBytes: maxBytes)   // a String is valid UTF-8 already
    }

    /// Reads exactly one YAML document from its bytes, which must be UTF-8: an invalid
    /// sequence (a stray byte, an overlong form, an encoded surrogate) is `invalid_yaml`
    /// with its byte offset, as a standard YAML reader refuses it — never replaced by
    /// U+FFFD, which would make two different files one policy.
    public static func json(from bytes: [UInt8], maxBytes: Int = JSONParser.defaultMaxBytes) throws(ParmanaError) -> JSONValue {
        if bytes.count <= maxBytes, let offset = firstInvalidUTF8(bytes) {
            throw ParmanaError(.invalidYAML, "invalid UTF-8 at byte \(offset): a YAML policy is UTF-8 text")
        }
        return try document(bytes, maxBytes: maxBytes)
    }

    static func document(_ bytes: [UInt8], maxBytes: Int) throws(ParmanaError) -> JSONValue {
        guard bytes.count <= maxBytes else {
            throw ParmanaError(.tooLarge, "input is \(bytes.count) bytes; the limit is \(maxBytes)")
        }
        var reader = EventReader(bytes)
        return try reader.document()
    }

    /// The offset of the first byte that does not start a valid UTF-8 sequence, if any.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    static let coreTag = "tag:yaml.org,2002:"

    static func fail(_ line: Int, _ pointer: String, _ message: String) -> ParmanaError {
        let p = pointer.isEmpty ? "/" : pointer
        return ParmanaError(.invalidYAML, "line \(line): \(p): \(message)", details: [.init(pointer: p, message: message)])
    }

    static let ambiguousBooleans: Set<String> = ["y", "n", "yes", "no", "on", "off"]

    /// A plain (unquoted, untagged) scalar, resolved as JSON would read it, or refused
    /// where YAML 1.1 or 1.2 would read it as something JSON does not have.
    static func plain(_ t: String, line: Int, pointer: String) throws(ParmanaError) -> JSONValue {
        switch t {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "null", "~", "": return .null
        default: break
        }
        let lower = t.lowercased()
        if ambiguousBooleans.contains(lower) || ["true", "false", "null"].contains(lower) {
            throw fail(line, pointer, "'\(t)' is ambiguous in YAML (a boolean or null in YAML 1.1 or 1.2); write true/false/null, or quote it for a string")
        }
        if let first = t.utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".") || (first >= 0x30 && first <= 0x39) {
            if let v = try? JSONParser().parse(t), case .number = v {
                return v
            }
            // A JSON-style number that does not fit a double or the integer range.
            do { _ = try JSONParser().parse(t) } catch where error.code == .numberOutOfRange {
                throw ParmanaError(error.code, "line \(line): \(pointer.isEmpty ? "/" : pointer): \(error.message)")
            } catch {}
            if looksNumeric(t) {
                throw fail(line, pointer, "'\(t)' is not a JSON number (YAML would read it as one); write it in JSON form, or quote it for a string")
            }
        }
        return .string(t)
    }

    /// Whether YAML 1.1 or YAML 1.2 (core schema) would resolve a plain scalar to a
    /// number: the union of both versions' forms, case-sensitive as the specs are.
    static func looksNumeric(_ t: String) -> Bool {
        let patterns = [
            // YAML 1.2 core: int, octal, hex, float, inf, nan
            #"^[-+]?[0-9]+$"#, #"^0o[0-7]+$"#, #"^0x[0-9a-fA-F]+$"#,
            #"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$"#,
            #"^[-+]?\.(inf|Inf|INF)$"#, #"^\.(nan|NaN|NAN)$"#,
            // YAML 1.1: binary, octal (leading 0), decimal and hex with _, sexagesimal, floats with _
            #"^[-+]?0b[0-1_]+$"#, #"^[-+]?0[0-7_]+$"#, #"^[-+]?(0|[1-9][0-9_]*)$"#, #"^[-+]?0x[0-9a-fA-F_]+$"#,
            #"^[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+$"#,
            // (floats as PyYAML's resolver reads them: one dot, so 1.0.0 stays a string)
            #"^[-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)?$"#, #"^\.[0-9][0-9_]*([eE][-+][0-9]+)?$"#,
            #"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*$"#,
        ]
        return patterns.contains { t.wholeMatch(of: try! Regex($0)) != nil }
    }

    /// A scalar with an explicit core-schema tag, read as the tag says.
    static func tagged(_ tag: String, _ t: String, line: Int, pointer: String) throws(ParmanaError) -> JSONValue {
        switch tag {
        case coreTag + "str":
            return .string(t)
        case coreTag + "null":
            // As a standard YAML reader constructs it: null, whatever the text.
            return .null
        case coreTag + "bool":
            switch t {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: throw fail(line, pointer, "'\(t)' is not a boolean (!!bool takes true or false)")
            }
        case coreTag + "int" where t.wholeMatch(of: try! Regex(#"^-?(0|[1-9][0-9]*)$"#)) == nil:
            throw fail(line, pointer, "'\(t)' is not an integer in JSON form (!!int takes digits only)")
        case coreTag + "int", coreTag + "float":
            let v: JSONValue
            do { v = try JSONParser().parse(t) } catch where error.code == .numberOutOfRange {
                throw ParmanaError(error.code, "line \(line): \(pointer.isEmpty ? "/" : pointer): \(error.message)")
            } catch {
                throw fail(line, pointer, "'\(t)' is not a number in JSON form")
            }
            guard case .number(let d) = v, t.utf8.first != UInt8(ascii: " ") else {
                throw fail(line, pointer, "'\(t)' is not a number in JSON form")
            }
            _ = d
            return v
        default:
            throw fail(line, pointer, "the tag \(shortTag(tag)) is not allowed on a scalar; only the core tags !!str, !!int, !!float, !!bool, !!null are")
        }
    }

    static func shortTag(_ tag: String) -> String {
        tag.hasPrefix(coreTag) ? "!!" + tag.dropFirst(coreTag.count) : tag
    }
}

/// Pulls libyaml events and composes one document into the JSON data model.
private struct EventReader {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// One event's data, copied out of libyaml.
    enum Event {
        case streamStart, streamEnd, documentStart, documentEnd
        case scalar(value: String, tag: String?, plain: Bool)
        case sequenceStart(tag: String?), sequenceEnd
        case mappingStart(tag: String?), mappingEnd
        case alias
    }

    struct Located {
        var event: Event
        var line: Int
        var anchored: Bool
    }

    mutating func document() throws(ParmanaError) -> JSONValue {
        var events: [Located] = []
        try parseAll(into: &events)
        var index = 0
        func next() -> Located { defer { index += 1 }; return events[index] }
        guard case .streamStart = next().event else { throw YAMLConverter.fail(1, "", "not a YAML stream") }
        var documents = 0
        var result: JSONValue?
        while true {
            let e = next()
            switch e.event {
            case .streamEnd:
                guard let result else { throw YAMLConverter.fail(e.line, "", "the YAML document is empty") }
                return result
            case .documentStart:
                documents += 1
                guard documents == 1 else {
                    throw YAMLConverter.fail(e.line, "", "exactly one YAML document is expected; found a second one")
                }
                result = try node(next(), depth: 1, pointer: "", next: next)
                guard case .documentEnd = next().event else { throw YAMLConverter.fail(e.line, "", "unexpected YAML event") }
            default:
                throw YAMLConverter.fail(e.line, "", "unexpected YAML event")
            }
        }
    }

    func node(_ e: Located, depth: Int, pointer: String, next: () -> Located) throws(ParmanaError) -> JSONValue {
        let p = pointer.isEmpty ? "/" : pointer
        if e.anchored { throw YAMLConverter.fail(e.line, pointer, "anchors and aliases are not allowed; write the value out") }
        guard depth <= JSONParser.maxDepth || { if case .scalar = e.event { return true } else { return false } }() else {
            throw ParmanaError(.tooDeep, "line \(e.line): \(p): nesting deeper than \(JSONParser.maxDepth) levels", details: [.init(pointer: p, message: "too deep")])
        }
        switch e.event {
        case .scalar(let value, let tag, let plain):
            if let tag, tag != "!" { return try YAMLConverter.tagged(tag, value, line: e.line, pointer: pointer) }
            return plain && tag == nil ? try YAMLConverter.plain(value, line: e.line, pointer: pointer) : .string(value)
        case .alias:
            throw YAMLConverter.fail(e.line, pointer, "anchors and aliases are not allowed; write the value out")
        case .sequenceStart(let tag):
            if let tag, tag != YAMLConverter.coreTag + "seq" {
                throw YAMLConverter.fail(e.line, pointer, "the tag \(YAMLConverter.shortTag(tag)) is not allowed on a sequence")
            }
            var items: [JSONValue] = []
            while true {
                let item = next()
                if case .sequenceEnd = item.event { return .array(items) }
                items.append(try node(item, depth: depth + 1, pointer: pointer + "/\(items.count)", next: next))
            }
        case .mappingStart(let tag):
            if let tag, tag != YAMLConverter.coreTag + "map" {
                throw YAMLConverter.fail(e.line, pointer, "the tag \(YAMLConverter.shortTag(tag)) is not allowed on a mapping")
            }
            var members: [(String, JSONValue)] = []
            var seen: [[UInt8]: Int] = [:]
            while true {
                let k = next()
                if case .mappingEnd = k.event { return .object(JSONObject(members)) }
                let key = try self.key(k, pointer: pointer)
                let keyBytes = Array(key.utf8)
                let childPointer = pointer + "/" + JSONPointer.escape(key)
                if let first = seen[keyBytes] {
                    throw YAMLConverter.fail(k.line, childPointer, "duplicate key \"\(key)\" (first on line \(first))")
                }
                seen[keyBytes] = k.line
                members.append((key, try node(next(), depth: depth + 1, pointer: childPointer, next: next)))
            }
        default:
            throw YAMLConverter.fail(e.line, pointer, "unexpected YAML event")
        }
    }

    /// A mapping key: a scalar that reads as a string.
    func key(_ k: Located, pointer: String) throws(ParmanaError) -> String {
        if k.anchored { throw YAMLConverter.fail(k.line, pointer, "anchors and aliases are not allowed; write the value out") }
        switch k.event {
        case .scalar(let value, let tag, let plain):
            if plain && tag == nil {
                if value == "<<" { throw YAMLConverter.fail(k.line, pointer, "merge keys (<<) are not allowed") }
                guard case .string = try YAMLConverter.plain(value, line: k.line, pointer: pointer) else {
                    throw YAMLConverter.fail(k.line, pointer + "/" + JSONPointer.escape(value), "mapping key \"\(value)\" would not be a string in YAML; quote it")
                }
                return value
            }
            if let tag, tag != "!", tag != YAMLConverter.coreTag + "str" {
                throw YAMLConverter.fail(k.line, pointer, "mapping keys must be strings; the tag \(YAMLConverter.shortTag(tag)) is not allowed on a key")
            }
            return value
        case .alias:
            throw YAMLConverter.fail(k.line, pointer, "anchors and aliases are not allowed; write the value out")
        default:
            throw YAMLConverter.fail(k.line, pointer, "mapping keys must be plain strings, not collections")
        }
    }

    /// Runs libyaml over the whole input (it is iterative, so deep input cannot exhaust
    /// the stack) and copies each event out.
    func parseAll(into events: inout [Located]) throws(ParmanaError) {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw ParmanaError(.invalidYAML, "cannot start the YAML parser") }
        defer { yaml_parser_delete(&parser) }
        var failure: ParmanaError?
        bytes.withUnsafeBufferPointer { buf in
            yaml_parser_set_input_string(&parser, buf.baseAddress, buf.count)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            var depth = 0
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    let problem = parser.problem.map { String(cString: $0) } ?? "syntax error"
                    let line = Int(parser.problem_mark.line) + 1
                    if problem.contains("Maximum nesting level") {
                        failure = ParmanaError(.tooDeep, "line \(line): nesting deeper than \(JSONParser.maxDepth) levels")
                    } else {
                        failure = ParmanaError(.invalidYAML, "line \(line): not valid YAML: \(problem)")
                    }
                    return
                }
                defer { yaml_event_delete(&event) }
                let line = Int(event.start_mark.line) + 1
                var anchored = false
                let located: Event
                switch event.type {
                case YAML_STREAM_START_EVENT: located = .streamStart
                case YAML_STREAM_END_EVENT: located = .streamEnd
                case YAML_DOCUMENT_START_EVENT:
                    if let v = event.data.document_start.version_directive, v.pointee.major != 1 || v.pointee.minor != 2 {
                        failure = ParmanaError(.invalidYAML, "line \(line): %YAML \(v.pointee.major).\(v.pointee.minor): only YAML 1.2 is read (a 1.1 document could mean something else); remove the directive")
                        return
                    }
                    located = .documentStart
                case YAML_DOCUMENT_END_EVENT: located = .documentEnd
                case YAML_ALIAS_EVENT: located = .alias
                case YAML_SCALAR_EVENT:
                    let s = event.data.scalar
                    anchored = s.anchor != nil
                    let value = String(decoding: UnsafeBufferPointer(start: s.value, count: s.length), as: UTF8.self)
                    located = .scalar(value: value, tag: s.tag.map { String(cString: $0) },
                                      plain: s.style == YAML_PLAIN_SCALAR_STYLE)
                case YAML_SEQUENCE_START_EVENT:
                    depth += 1
                    anchored = event.data.sequence_start.anchor != nil
                    located = .sequenceStart(tag: event.data.sequence_start.tag.map { String(cString: $0) })
                case YAML_SEQUENCE_END_EVENT:
                    depth -= 1
                    located = .sequenceEnd
                case YAML_MAPPING_START_EVENT:
                    depth += 1
                    anchored = event.data.mapping_start.anchor != nil
                    located = .mappingStart(tag: event.data.mapping_start.tag.map { String(cString: $0) })
                case YAML_MAPPING_END_EVENT:
                    depth -= 1
                    located = .mappingEnd
                default:
                    continue
                }
                if depth > JSONParser.maxDepth {
                    failure = ParmanaError(.tooDeep, "line \(line): nesting deeper than \(JSONParser.maxDepth) levels")
                    return
                }
                events.append(Located(event: located, line: line, anchored: anchored))
                if case .streamEnd = located { return }
            }
        }
        if let failure { throw failure }
    }
}
