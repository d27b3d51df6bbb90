import Foundation
import ParmanaCore
import ParmanaTesting
import ParmanaYAML
import Testing

@Suite struct YAMLConverterTests {
    @Test func policyInYAMLHasTheSameHashAsJSON() throws {
        let yaml = """
            # comments and layout never change the hash
            type: parmana.policy/v1
            policy_id: payments.release
            version: "1.2.0"
            signals:
              amount: {type: number, required: true, minimum: 0}
              note:
                type: string
            rules:
              - id: standard
                when: {signal: amount, lte: 1e4}
                then:
                  action: approve
                  reason: within_limits
            """
        let json = #"{"type":"parmana.policy/v1","policy_id":"payments.release","version":"1.2.0","signals":{"amount":{"type":"number","required":true,"minimum":0},"note":{"type":"string"}},"rules":[{"id":"standard","when":{"signal":"amount","lte":10000},"then":{"action":"approve","reason":"within_limits"}}]}"#
        let fromYAML = try Policy(json: try YAMLConverter.json(from: yaml))
        let fromJSON = try Policy(json: try JSONParser().parse(json))
        #expect(fromYAML.hash == fromJSON.hash)
    }

    @Test(arguments: ["flag: yes", "flag: No", "flag: on", "flag: OFF", "flag: y", "flag: True"])
    func ambiguousBooleansAreRefused(_ yaml: String) {
        do { _ = try YAMLConverter.json(from: yaml); Issue.record("accepted \(yaml)") } catch { #expect(error.code == .invalidYAML) }
    }

    @Test(arguments: ["n: 0x1F", "n: 1_000", "n: .inf", "n: -.nan", "n: 012", "n: 0o17", "n: 1:30"])
    func nonJSONNumbersAreRefused(_ yaml: String) {
        do { _ = try YAMLConverter.json(from: yaml); Issue.record("accepted \(yaml)") } catch { #expect(error.code == .invalidYAML) }
    }

    /// Invalid UTF-8 is refused with its offset, never replaced by U+FFFD (which would
    /// make two different files one policy): a stray byte, an overlong form, an encoded
    /// surrogate (CESU-8), a truncated sequence.
    @Test(arguments: [[0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82]] as [[UInt8]])
    func invalidUTF8IsRefused(_ bad: [UInt8]) {
        let bytes = Array("note: \"ok".utf8) + bad + Array("\"\n".utf8)
        do {
            _ = try YAMLConverter.json(from: bytes)
            Issue.record("accepted \(bad)")
        } catch {
            #expect(error.code == .invalidYAML && error.message.contains("invalid UTF-8 at byte 9"), "\(error.message)")
        }
        #expect(throws: ParmanaError.self) { try YAMLConverter.json(from: Array("k\u{FFFD}: 1\n".utf8) + [0x6B] + bad + Array(": 2\n".utf8)) }
    }

    @Test func anchorsAliasesAndMergeKeysAreRefused() {
        for yaml in ["a: &x 1\nb: *x", "base: &b {k: 1}\nother:\n  <<: *b", "a: &x [1]"] {
            do { _ = try YAMLConverter.json(from: yaml); Issue.record("accepted \(yaml)") } catch { #expect(error.code == .invalidYAML) }
        }
    }

    @Test func quotedScalarsStayStrings() throws {
        let v = try YAMLConverter.json(from: "a: 'yes'\nb: \"1.0\"\nc: 1.0\nd: true\ne: null\nf: hello")
        #expect(v["a"] == "yes" && v["b"] == "1.0" && v["c"] == 1.0 && v["d"] == true && v["e"] == .null && v["f"] == "hello")
    }

    @Test func duplicateKeysAndBigIntegersFailClosed() {
        do { _ = try YAMLConverter.json(from: "a: 1\na: 2"); Issue.record("accepted") } catch { #expect(error.code == .invalidYAML) }
        do { _ = try YAMLConverter.json(from: "a: 9007199254740993"); Issue.record("accepted") } catch { #expect(error.code == .numberOutOfRange) }
        do { _ = try YAMLConverter.json(from: "a: 1\n---\nb: 2"); Issue.record("accepted") } catch { #expect(error.code == .invalidYAML) }
    }
}

/// The YAML path yields exactly what a standard YAML reader yields (issue 9).
@Suite struct YAMLDataModelTests {
    func code(_ yaml: String) -> ErrorCode? {
        do { _ = try YAMLConverter.json(from: yaml); return nil } catch { return error.code }
    }

    @Test func explicitTagsAreReadAsTheTagSays() throws {
        let v = try YAMLConverter.json(from: "a: !!str true\nb: !!null 1000\nc: !!str 100\nd: !!int 7\ne: !!float 2.5\nf: !!bool false\ng: ! 12\nh: !!null")
        #expect(v["a"] == "true" && v["b"] == .null && v["c"] == "100" && v["d"] == 7 && v["e"] == 2.5 && v["f"] == false)
        #expect(v["g"] == "12" && v["h"] == .null)
        let m = try YAMLConverter.json(from: "x: !!map {k: !!seq [1]}")
        #expect(m["x"]?["k"] == [1])
    }

    @Test(arguments: ["a: !custom 1000", "a: !!bool 1000", "a: !!int 1.5", "a: !!int 0x10", "a: !!float .inf",
                      "a: !!timestamp 2001-12-14", "a: !!binary aGk=", "a: !!set {x}", "a: !!seq {k: 1}", "a: !!map [1]",
                      "!!int 1: x", "a: !<tag:example.com,2000:x> 1"])
    func unknownOrContradictingTagsAreRefused(_ yaml: String) {
        #expect(code(yaml) == .invalidYAML)
    }

    /// Found by interop/yaml_differential.py against ruamel.yaml (YAML 1.2) and PyYAML (1.1).
    @Test func differentialFindings() throws {
        for yaml in ["a: !!int 1e3", "a: !!int 100.0", "a: !!int 1.5E+3", "a: !!int 1e308", "a: !!int 1e-400", "a: !!int 0x1F",
                     "%YAML 1.1\n---\na: 1\n"] {
            #expect(code(yaml) != nil, "accepted \(yaml)")
        }
        #expect(code("a: !!int 9007199254740993") == .numberOutOfRange)
        // Strings in both YAML 1.1 and 1.2: kept as strings.
        for s in [".Nan", "+0o7", "0X1F", "0O17", "0B1"] {
            #expect(try YAMLConverter.json(from: "a: \(s)")["a"] == .string(s), "\(s)")
        }
        #expect(try YAMLConverter.json(from: "%YAML 1.2\n---\na: 1\n")["a"] == 1)
    }

    @Test func duplicateKeysNameTheKeyAndTheLine() {
        do {
            _ = try YAMLConverter.json(from: "type: x\nrules: []\nversion: 1\nrules: [1]\n")
            Issue.record("accepted")
        } catch {
            #expect(error.code == .invalidYAML)
            #expect(error.message.contains("line 4") && error.message.contains("\"rules\""))
        }
    }

    @Test func keysCompareByCodePoints() throws {
        let v = try YAMLConverter.json(from: "\u{E9}: 1\ne\u{301}: 2\n")
        #expect(v.objectValue?.members.count == 2)
        #expect(code("\u{E9}: 1\n\"\u{E9}\": 2\n") == .invalidYAML)
    }

    @Test func nestingIsLimitedAsInJSON() throws {
        func nested(_ n: Int) -> String { String(repeating: "[", count: n) + String(repeating: "]", count: n) }
        _ = try YAMLConverter.json(from: "a: " + nested(63))
        #expect(code("a: " + nested(64)) == .tooDeep)
        #expect(code(nested(65)) == .tooDeep)
        // Far deeper than any stack: refused, never a crash.
        #expect(code(nested(200_000)) == .tooDeep)
        var block = ""
        for i in 0..<70 { block += String(repeating: "  ", count: i) + "k:\n" }
        #expect(code(block) == .tooDeep)
    }

    @Test func sizeIsLimitedAsInJSON() {
        let text = "a: \"" + String(repeating: "x", count: 2000) + "\""
        do { _ = try YAMLConverter.json(from: text, maxBytes: 1000); Issue.record("accepted") } catch { #expect(error.code == .tooLarge) }
    }

    @Test func errorsCarryALine() {
        do { _ = try YAMLConverter.json(from: "a: 1\nb: [1, 2\n"); Issue.record("accepted") } catch {
            #expect(error.code == .invalidYAML && error.message.hasPrefix("line "))
        }
        #expect(code("") == .invalidYAML)
        #expect(code("# only a comment\n") == .invalidYAML)
    }

    @Test func anchorsInsideBlockScalarsAreText() throws {
        // Anchors are found by the parser, not by scanning text: these are plain strings.
        let v = try YAMLConverter.json(from: "a: |\n  - &x not an anchor\n  b: *y\nc: 'x *y'\n")
        #expect(v["a"] == "- &x not an anchor\nb: *y\n" && v["c"] == "x *y")
    }

    /// Vectors/yaml/policy_twins.json: each YAML fixture and its JSON twin give the same
    /// policy_hash, or the stated error codes.
    @Test func policyTwinVectors() throws {
        let data = try #require(FileManager.default.contents(atPath: RepoPaths.vector("yaml/policy_twins.json")))
        let cases = try #require(try JSONParser().parse(Array(data))["cases"]?.arrayValue)
        #expect(cases.count >= 20)
        func outcome(_ read: () throws(ParmanaError) -> JSONValue) -> JSONValue {
            do {
                let p = try Policy(json: try read())
                return ["policy_hash": .string(p.hash)]
            } catch {
                return ["error": .string(error.code.rawValue)]
            }
        }
        for c in cases {
            let name = c["name"]!.stringValue!
            let yaml = c["yaml"]!.stringValue!
            #expect(outcome { () throws(ParmanaError) in try YAMLConverter.json(from: yaml) } == c["yaml_expect"]!, "\(name) (YAML)")
            if let json = c["json"]?.stringValue {
                #expect(outcome { () throws(ParmanaError) in try JSONParser().parse(json) } == c["json_expect"]!, "\(name) (JSON)")
            }
        }
    }
}

@Suite struct YAMLScanTests {
    @Test func starsAndAmpersandsInsideScalarsAreFine() throws {
        let v = try YAMLConverter.json(from: "a: 'x *y'\nb: \"&z\"\nc: a *b & c # *comment\nd: [1, 2]")
        #expect(v["a"] == "x *y" && v["b"] == "&z" && v["c"] == "a *b & c")
    }
}
