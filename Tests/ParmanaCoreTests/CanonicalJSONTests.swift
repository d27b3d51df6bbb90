import Foundation
import ParmanaCore
import ParmanaTesting
import Testing

@Suite struct CanonicalJSONTests {
    static let pairs = ["arrays", "french", "structures", "unicode"]

    @Test(arguments: pairs)
    func referenceVector(_ name: String) throws {
        let input = try Data(contentsOf: URL(fileURLWithPath: RepoPaths.vector("jcs/\(name).input.json")))
        let expected = try Data(contentsOf: URL(fileURLWithPath: RepoPaths.vector("jcs/\(name).output.json")))
        let out = try CanonicalJSON.canonicalize(Array(input))
        #expect(out == Array(expected))
    }

    @Test func everyNumberVector() throws {
        let text = try String(contentsOfFile: RepoPaths.vector("jcs/numbers.txt"), encoding: .utf8)
        var checked = 0, refused = 0
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ",", maxSplits: 1)
            let bits = UInt64(parts[0], radix: 16)!
            let expected = String(parts[1])
            let value = Double(bitPattern: bits)
            // The formatter.
            #expect(ECMAScriptNumber.string(value) == expected, "bits \(parts[0])")
            // Parse → serialize round trip of the expected text.
            let isIntegerLiteral = !expected.contains(".") && !expected.contains("e")
            let magnitude = expected.hasPrefix("-") ? String(expected.dropFirst()) : expected
            if isIntegerLiteral, magnitude.count > 16 || UInt64(magnitude).map({ $0 > 9_007_199_254_740_991 }) ?? true {
                #expect(throws: ParmanaError.self) { try JSONParser().parse(expected) }
                do { _ = try JSONParser().parse(expected) } catch { #expect(error.code == .numberOutOfRange) }
                refused += 1
            } else {
                let round = try CanonicalJSON.canonicalize(Array(expected.utf8))
                #expect(String(decoding: round, as: UTF8.self) == expected, "round trip \(expected)")
            }
            checked += 1
        }
        #expect(checked > 20_000)
        #expect(refused > 0)
    }

    /// The accepted values are closed under JCS: whatever parses, its canonical bytes parse
    /// again to the same bytes (fuzzing found `1e20` breaking this; Vectors/fuzz).
    @Test(arguments: ["9007199254740991.0", "9.007199254740991e15", "1e21", "-1e21", "1.5e300", "1e-7",
                      "4503599627370495.5", "123456789.125", "1e16"])
    func canonicalBytesParseAgain(_ input: String) throws {
        if input == "1e16" {
            // 10^16 is an integer beyond 2^53−1 below 1e21: refused, like its canonical form.
            #expect(throws: ParmanaError.self) { try JSONParser().parse(input) }
            return
        }
        let once = try CanonicalJSON.canonicalize(Array(input.utf8))
        let twice = try CanonicalJSON.canonicalize(once)
        #expect(once == twice, "\(input)")
    }

    @Test func randomDoublesAreClosedUnderJCS() throws {
        var rng = SystemRandomNumberGenerator()
        var accepted = 0
        for _ in 0..<20_000 {
            let d = Double(bitPattern: rng.next() as UInt64)
            guard d.isFinite else { continue }
            let text = ECMAScriptNumber.string(d)
            guard let once = try? CanonicalJSON.canonicalize(Array("[\(text)]".utf8)) else { continue }
            accepted += 1
            #expect(try CanonicalJSON.canonicalize(once) == once, "\(text)")
        }
        #expect(accepted > 10_000)
    }

    @Test func negativeZeroIsZero() throws {
        #expect(ECMAScriptNumber.string(-0.0) == "0")
        #expect(CanonicalJSON.string(try JSONParser().parse("[-0, -0.0, 0e5]")) == "[0,0,0]")
    }

    @Test func keysSortByUTF16CodeUnits() throws {
        // U+1F600 (surrogates D83D DE00) sorts before U+FB01 in UTF-16, after it in code points.
        let json = #"{"\uFB01":1,"😀":2,"a":3,"\u00e9":4,"A":5}"#
        let out = CanonicalJSON.string(try JSONParser().parse(json))
        #expect(out == #"{"A":5,"a":3,"é":4,"😀":2,"ﬁ":1}"#)
    }

    @Test func keysAreNeverNormalized() throws {
        // "é" precomposed (U+00E9) and decomposed (e + U+0301) are distinct keys.
        let json = "{\"e\\u0301\":1,\"\\u00e9\":2}"
        let value = try JSONParser().parse(json)
        let out = CanonicalJSON.bytes(value)
        #expect(out == Array("{\"e\u{0301}\":1,\"\u{00E9}\":2}".utf8))
        #expect(out.count == 16)
        // And they are not equal as values either.
        #expect(JSONValue.string("e\u{0301}") != JSONValue.string("\u{00E9}"))
    }

    @Test func controlCharactersUseJCSEscapes() throws {
        let value = try JSONParser().parse(#"["\u0000\u0008\u0009\u000a\u000c\u000d\u001f\u007f\/\"\\"]"#)
        #expect(CanonicalJSON.string(value) == #"["\u0000\b\t\n\f\r\u001f"# + "\u{7f}" + #"/\"\\"]"#)
    }

    @Test(arguments: [
        ("{\"a\":1,}", ErrorCode.invalidJSON), ("[1,]", .invalidJSON), ("01", .invalidJSON), ("1.", .invalidJSON),
        ("NaN", .invalidJSON), ("'a'", .invalidJSON), ("[1] x", .invalidJSON), ("", .invalidJSON),
        ("\"\u{01}\"", .invalidJSON), ("{\"a\" 1}", .invalidJSON), ("tru", .invalidJSON), ("\"\\x\"", .invalidJSON),
        ("{\"a\":1,\"a\":1}", .duplicateKey), ("{\"b\":{\"x\":1,\"x\":2}}", .duplicateKey),
        ("\"\\ud800\"", .invalidString), ("\"\\udc00\"", .invalidString), ("\"\\ud800\\u0041\"", .invalidString),
        ("1e309", .numberOutOfRange), ("-1e309", .numberOutOfRange), ("9007199254740992", .numberOutOfRange),
        ("-9007199254740992", .numberOutOfRange), ("123456789012345678901", .numberOutOfRange),
        // integer values outside ±(2^53−1) in other spellings: their JCS form is an
        // integer literal (Vectors/fuzz, root cause jcs-integer)
        ("1e20", .numberOutOfRange), ("-1e20", .numberOutOfRange), ("50e19", .numberOutOfRange),
        ("9007199254740992.0", .numberOutOfRange), ("9.007199254740992e15", .numberOutOfRange),
        ("1.5e20", .numberOutOfRange), ("{\"amount\":2e20}", .numberOutOfRange),
    ])
    func refusesWithCode(_ input: String, _ code: ErrorCode) {
        do {
            _ = try JSONParser().parse(input)
            Issue.record("accepted \(input)")
        } catch {
            #expect(error.code == code, "\(input)")
        }
    }

    @Test func refusesBOMAndInvalidUTF8() {
        for bytes: [UInt8] in [[0xEF, 0xBB, 0xBF, 0x31], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22],
                               [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22], [0x22, 0xFF, 0x22]] {
            do {
                _ = try JSONParser().parse(bytes)
                Issue.record("accepted \(bytes)")
            } catch {
                #expect(error.code == .invalidJSON)
            }
        }
    }

    @Test func boundaryIntegersAreAccepted() throws {
        #expect(CanonicalJSON.string(try JSONParser().parse("[9007199254740991,-9007199254740991]")) == "[9007199254740991,-9007199254740991]")
        // With a fraction or exponent the literal is a double, not an integer literal.
        #expect(CanonicalJSON.string(try JSONParser().parse("1e21")) == "1e+21")
    }

    @Test func depthLimit() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        _ = try JSONParser().parse(ok)
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        do { _ = try JSONParser().parse(deep); Issue.record("accepted depth 65") } catch { #expect(error.code == .tooDeep) }
        let deepObj = String(repeating: "{\"a\":", count: 65) + "1" + String(repeating: "}", count: 65)
        do { _ = try JSONParser().parse(deepObj); Issue.record("accepted depth 65") } catch { #expect(error.code == .tooDeep) }
    }

    @Test func sizeLimit() throws {
        let big = "\"" + String(repeating: "x", count: (1 << 20)) + "\""
        do { _ = try JSONParser().parse(big); Issue.record("accepted > 1 MiB") } catch { #expect(error.code == .tooLarge) }
        do { _ = try JSONParser(maxBytes: 4).parse("12345"); Issue.record("accepted") } catch { #expect(error.code == .tooLarge) }
        _ = try JSONParser(maxBytes: 5).parse("12345")
    }

    @Test func coreNeverUsesJSONSerialization() throws {
        for file in try swiftFiles(in: RepoPaths.root + "/Sources") {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(!text.contains("JSONSerialization"), "\(file) uses JSONSerialization")
        }
    }
}

func swiftFiles(in dir: String) throws -> [String] {
    let fm = FileManager.default
    guard let e = fm.enumerator(atPath: dir) else { return [] }
    var out: [String] = []
    while let f = e.nextObject() as? String {
        if f.hasSuffix(".swift") { out.append(dir + "/" + f) }
    }
    return out
}
