import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ParmanaCore
import ParmanaHTTP
import ParmanaRuntime
import ParmanaSQLite
import ParmanaTesting
import Testing

/// Replays every fuzzing regression vector (`Vectors/fuzz/*.json`, found by
/// scripts/fuzz.sh or scripts/api-fuzz.sh) through the public API and checks its
/// `expect`, so a fixed finding stays fixed in the normal test run, without libFuzzer.
/// A vector whose `status` is `open` is expected to fail (a known issue): once the
/// product is fixed the test says so, and the vector becomes `fixed`.
/// The format is in Vectors/fuzz/README.md; docs/fuzzing.md describes the targets.
@Suite struct FuzzVectorTests {
    static let directory = RepoPaths.vector("fuzz")

    static let files: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted()
    }()

    static func load(_ name: String) throws -> JSONValue {
        let data = try #require(FileManager.default.contents(atPath: directory + "/" + name), "cannot read \(name)")
        return try JSONParser().parse(Array(data))
    }

    /// Every vector is well-formed and listed in the README's table of findings.
    @Test func everyVectorIsWellFormedAndListed() throws {
        #expect(!Self.files.isEmpty, "no vectors in \(Self.directory)")
        let readme = try String(contentsOfFile: Self.directory + "/README.md", encoding: .utf8)
        for name in Self.files {
            let v = try Self.load(name)
            #expect(v["target"]?.stringValue?.hasPrefix("fuzz-") == true, "\(name): target")
            #expect(v["input_base64"]?.stringValue.flatMap { Data(base64Encoded: $0) } != nil, "\(name): input_base64")
            #expect(v["expect"]?.objectValue != nil, "\(name): expect")
            #expect(["open", "fixed"].contains(v["status"]?.stringValue ?? ""), "\(name): status is open or fixed")
            if let text = v["input_text"]?.stringValue, let b64 = v["input_base64"]?.stringValue, let data = Data(base64Encoded: b64) {
                #expect(Array(text.utf8) == Array(data), "\(name): input_text is input_base64 as text")
            }
            #expect(readme.contains("`\(name)`"), "\(name) is not in the table of Vectors/fuzz/README.md")
        }
    }

    @Test(arguments: files) func replay(_ name: String) async throws {
        let v = try Self.load(name)
        let input = Array(try #require(Data(base64Encoded: v["input_base64"]?.stringValue ?? "")))
        let expect = try #require(v["expect"])
        let run: @Sendable () async throws -> Void = {
            switch v["target"]?.stringValue {
            case "fuzz-json": try Self.replayJSON(name, input, expect)
            case "fuzz-evaluate": try Self.replayEvaluate(name, input, expect)
            case "fuzz-http": try await Self.replayHTTP(name, v, input, expect)
            case let other:
                Issue.record("\(name): no replay for target \(other ?? "nil"); add one to FuzzVectorTests")
            }
        }
        if v["status"]?.stringValue == "open" {
            await withKnownIssue("\(name) is an open finding") { try await run() }
        } else {
            try await run()
        }
    }

    // MARK: outcomes

    /// Whether `outcome` is what `expect` asks for: every member of `expect` equals the
    /// outcome's (`one_of`: any of the listed expectations).
    static func matches(_ outcome: JSONObject, _ expect: JSONValue) -> Bool {
        guard case .object(let e) = expect else { return false }
        if let alternatives = e["one_of"]?.arrayValue { return alternatives.contains { matches(outcome, $0) } }
        return e.members.allSatisfy { outcome[$0.key] == $0.value }
    }

    static func check(_ name: String, _ outcome: JSONObject, _ expect: JSONValue) {
        #expect(matches(outcome, expect),
                "\(name): expected \(CanonicalJSON.string(expect)), got \(CanonicalJSON.string(.object(outcome)))")
    }

    static func code(_ body: () throws(ParmanaError) -> Void) -> String? {
        do throws(ParmanaError) { try body(); return nil } catch { return error.code.rawValue }
    }

    // MARK: fuzz-json

    /// `canonical` (and its re-parse) or the `error` code; checks the target's
    /// properties on the way: the tree serializer and the one-pass canonicalizer agree,
    /// and canonical output canonicalizes to itself.
    static func replayJSON(_ name: String, _ input: [UInt8], _ expect: JSONValue) throws {
        let parser = JSONParser()
        var outcome = JSONObject()
        do throws(ParmanaError) {
            let canonical = try parser.canonicalize(input)
            outcome["canonical"] = .string(String(decoding: canonical, as: UTF8.self))
            let tree = CanonicalJSON.bytes(try parser.parse(input))
            #expect(tree == canonical, "\(name): the tree serializer disagrees")
            do throws(ParmanaError) {
                let again = try parser.canonicalize(canonical)
                outcome["canonical_reparses_to"] = .string(String(decoding: again, as: UTF8.self))
                #expect(again == canonical, "\(name): JCS output is not a fixed point")
            } catch {
                outcome["canonical_reparse_error"] = .string(error.code.rawValue)
                Issue.record("\(name): JCS output \(String(decoding: canonical.prefix(200), as: UTF8.self)) is refused: \(error)")
            }
        } catch {
            outcome["error"] = .string(error.code.rawValue)
            #expect(code { () throws(ParmanaError) in _ = try parser.parse(input) } == error.code.rawValue, "\(name): the tree parser disagrees")
        }
        check(name, outcome, expect)
    }

    // MARK: fuzz-evaluate

    static let examples: [(name: String, policy: CompiledPolicy)] = {
        let dir = RepoPaths.root + "/examples/policies"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".json") && !$0.hasSuffix(".cases.json") }.sorted().map { file in
            let doc = try! JSONParser().parse(Array(FileManager.default.contents(atPath: dir + "/" + file)!))
            return (String(file.dropLast(5)), CompiledPolicy(try! Policy(json: doc)))
        }
    }()

    /// The target's input: `K signals` (example policy K mod n, in name order) or
    /// `policy NUL signals`. Outcome: `decision` or the `error` code (of parsing the
    /// signals or the policy, or of evaluating); a decision must also be the decision of
    /// the signals' JCS bytes.
    static func replayEvaluate(_ name: String, _ input: [UInt8], _ expect: JSONValue) throws {
        let first = try #require(input.first, "\(name): empty input")
        let parts = input.split(separator: 0, omittingEmptySubsequences: false)
        var outcome = JSONObject()
        do throws(ParmanaError) {
            let policy: CompiledPolicy
            let signals: JSONValue
            if parts.count >= 2 {
                policy = CompiledPolicy(try Policy(json: try JSONParser().parse(parts[0])))
                signals = try JSONParser().parse(parts[1])
            } else {
                policy = examples[Int(first) % examples.count].policy
                signals = try JSONParser().parse(input.dropFirst())
            }
            let decision = try policy.evaluate(signals)
            outcome["decision"] = decision.json
            let again = try policy.evaluate(try JSONParser().parse(CanonicalJSON.bytes(signals)))
            #expect(again == decision, "\(name): the JCS bytes of the signals decide otherwise")
        } catch {
            outcome["error"] = .string(error.code.rawValue)
        }
        check(name, outcome, expect)
    }

    // MARK: fuzz-http

    /// A governance API like `parmana serve`'s: a SQLite store, every example policy
    /// (signed), one admin token.
    static func api() async throws -> GovernanceAPI {
        let fixture = Fixture()
        var registry = PolicyRegistry()
        let dir = RepoPaths.root + "/examples/policies"
        for file in try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        where file.hasSuffix(".json") && !file.hasSuffix(".cases.json") {
            let doc = try JSONParser().parse(Array(try #require(FileManager.default.contents(atPath: dir + "/" + file))))
            let signed = LoadedPolicy.sign(try Policy(json: doc), with: fixture.policyKey)
            try registry.add(try LoadedPolicy(json: signed.json, trust: fixture.trust, requireSigned: true))
        }
        let runtime = Runtime(RuntimeConfiguration(
            store: try SQLiteEvidenceStore(path: APIFixture.tempPath()), trust: fixture.trust, signer: fixture.attestationKey,
            checkpointSigner: fixture.checkpointKey, clock: ManualClock(Fixture.noon), ids: SequentialExecutionIDs(),
            manifest: fixture.manifest, logID: "fuzz-vectors"), policies: registry)
        try await runtime.start()
        let token = try APIToken(name: "admin", sha256Hex: Hashing.sha256Hex(Array(APIFixture.tokens[.admin]!.utf8)), roles: ["admin"])
        return GovernanceAPI(runtime: runtime, settings: APISettings(tokens: [token]))
    }

    static func outcome(_ r: TestResponse) -> JSONObject {
        var o = JSONObject()
        o["status"] = .number(Double(r.status.code))
        if let code = r.errorCode { o["error"] = .string(code) }
        return o
    }

    /// The target's input (route byte, body) sent to the matching endpoint on a fresh
    /// server, checked against `expect` (`status`, `error`); then the vector's
    /// `requests`, in order, on another fresh server, each checked against its
    /// `expect_status`, `expect_error` and `expect_json` (members of the answer).
    static func replayHTTP(_ name: String, _ v: JSONValue, _ input: [UInt8], _ expect: JSONValue) async throws {
        let route = try #require(input.first, "\(name): empty input")
        let body = Array(input.dropFirst())
        let path: String
        switch route {
        case UInt8(ascii: "D"): path = "/v1/decisions"
        case UInt8(ascii: "E"): path = "/v1/evaluate"
        case UInt8(ascii: "V"): path = "/v1/verify"
        case UInt8(ascii: "O"):
            let id = (try? JSONParser().parse(body))?["payload"]?["execution_id"]?.stringValue ?? "none"
            path = "/v1/executions/\(id)/override"
        default:
            Issue.record("\(name): route \(route) needs the fuzz harness's keys; give the finding as `requests`")
            return
        }
        let api = try await api()
        try await GovernanceServer(api: api, host: "127.0.0.1", port: 0, logger: Self.logger).application().test(.router) { client in
            let r = try await client.execute(uri: path, method: .post, headers: APIFixture.auth(.admin), body: ByteBuffer(bytes: body))
            check(name, outcome(r), expect)
        }

        guard let steps = v["requests"]?.arrayValue, !steps.isEmpty else { return }
        let fresh = try await Self.api()
        try await GovernanceServer(api: fresh, host: "127.0.0.1", port: 0, logger: Self.logger).application().test(.router) { client in
            var executionID = "none", attestation = "null"
            for (i, step) in steps.enumerated() {
                func fill(_ s: String) -> String {
                    s.replacingOccurrences(of: "{execution_id}", with: executionID).replacingOccurrences(of: "{attestation}", with: attestation)
                }
                let method = HTTPRequest.Method(try #require(step["method"]?.stringValue))!
                let uri = fill(try #require(step["path"]?.stringValue))
                let text = step["body_text"]?.stringValue.map(fill)
                let r = try await client.execute(uri: uri, method: method, headers: APIFixture.auth(.admin),
                                                 body: text.map { ByteBuffer(string: $0) })
                let what = "\(name) step \(i + 1): \(method.rawValue) \(uri)"
                if let status = step["expect_status"]?.numberValue {
                    #expect(Double(r.status.code) == status, "\(what): status \(r.status.code), \(String(buffer: r.body).prefix(300))")
                }
                if let code = step["expect_error"]?.stringValue { #expect(r.errorCode == code, "\(what)") }
                if case .object(let members)? = step["expect_json"] {
                    let answer = try? r.json
                    for m in members.members { #expect(answer?[m.key] == m.value, "\(what): \(m.key)") }
                }
                if method == .post, uri == "/v1/decisions", r.status == .created, let answer = try? r.json {
                    executionID = answer["execution_id"]?.stringValue ?? executionID
                    attestation = answer["attestation"].map(CanonicalJSON.string) ?? attestation
                }
            }
        }
    }

    static var logger: Logger {
        var l = Logger(label: "parmana-fuzz-vectors")
        l.logLevel = .warning
        return l
    }
}
