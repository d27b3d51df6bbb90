import ParmanaCore
import ParmanaTesting
import PropertyBased
import Testing

/// The one-pass canonicalizer must agree with parse-then-serialize on every input:
/// same bytes when accepted, same error code when refused.
@Suite struct CanonicalWriterTests {
    static let keys = ["a", "b", "A", "aa", "", "é", "e\\u0301", "\\u00e9", "😀", "\\ud83d\\ude00", "ﬁ", "\\n", "q\\\"", "\\u0000", "~", "zz"]
    static let scalars = ["0", "-0", "1", "-1.5", "1e21", "1E-7", "0.000001", "123456789012345680000", "9007199254740991",
                          "9007199254740992", "1e400", "true", "false", "null", "\"x\"", "\"\\u00e9\"", "\"\\ud800\"",
                          "\"é\"", "\"\\t\\\\\"", "3.0", "2.5e+3", "01", "\"\\/\""]

    static func random(_ rng: inout SplitMix64, depth: Int = 0) -> String {
        let ws = ["", " ", "\n", "\t"]
        let r = Int.random(in: 0..<10, using: &rng)
        if depth > 3 || r < 5 { return scalars.randomElement(using: &rng)! }
        if r < 7 {
            let items = (0..<Int.random(in: 0...4, using: &rng)).map { _ in random(&rng, depth: depth + 1) }
            return "[" + items.joined(separator: "," + ws.randomElement(using: &rng)!) + "]"
        }
        let members = (0..<Int.random(in: 0...5, using: &rng)).map { _ in
            "\"" + keys.randomElement(using: &rng)! + "\"" + ws.randomElement(using: &rng)! + ":" + random(&rng, depth: depth + 1)
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    /// Canonical text, or the error code prefixed with "error:".
    static func treePath(_ bytes: [UInt8]) -> String {
        do throws(ParmanaError) { return CanonicalJSON.string(try JSONParser().parse(bytes)) } catch { return "error:" + error.code.rawValue }
    }

    static func onePass(_ bytes: [UInt8]) -> String {
        do throws(ParmanaError) { return String(decoding: try JSONParser().canonicalize(bytes), as: UTF8.self) } catch { return "error:" + error.code.rawValue }
    }

    @Test func agreesWithTreePathOnGeneratedDocuments() async {
        await propertyCheck(count: 3000, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = SplitMix64(state: UInt64(seed))
            let text = Array(Self.random(&rng).utf8)
            #expect(Self.onePass(text) == Self.treePath(text), "\(String(decoding: text, as: UTF8.self))")
            // Mutations: drop, duplicate or replace one byte.
            var m = text
            if !m.isEmpty {
                let i = Int.random(in: 0..<m.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: m.remove(at: i)
                case 1: m.insert(m[i], at: i)
                default: m[i] = [0x22, 0x5C, 0x2C, 0x7D, 0x5D, 0x3A, 0xC3, 0xFF, 0x00, 0x31].randomElement(using: &rng)!
                }
            }
            #expect(Self.onePass(m) == Self.treePath(m), "\(m)")
        }
    }

    @Test func sortsNestedObjectsAndKeepsArrayOrder() throws {
        let text = #"{"b":{"z":1,"y":[{"d":1,"c":2}]},"a":[3,{"f":0,"e":-0}],"😀":1,"ﬁ":2}"#
        let out = String(decoding: try JSONParser().canonicalize(Array(text.utf8)), as: UTF8.self)
        #expect(out == #"{"a":[3,{"e":0,"f":0}],"b":{"y":[{"c":2,"d":1}],"z":1},"😀":1,"ﬁ":2}"#)
    }

    @Test func fingerprintFromBytesEqualsFingerprintFromTree() throws {
        let text = Array(#"{ "amount": 1.25e3, "payment_id": "p\u00e9", "tags": ["x"] }"#.utf8)
        #expect(try Hashing.fingerprint(json: text) == Hashing.fingerprint(try JSONParser().parse(text)))
    }
}
