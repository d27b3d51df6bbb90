import ParmanaCore
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
        do { _ = try YAMLConverter.json(from: "a: 1\na: 2"); Issue.record("accepted") } catch { #expect(error.code == .duplicateKey || error.code == .invalidYAML) }
        do { _ = try YAMLConverter.json(from: "a: 9007199254740993"); Issue.record("accepted") } catch { #expect(error.code == .numberOutOfRange) }
        do { _ = try YAMLConverter.json(from: "a: 1\n---\nb: 2"); Issue.record("accepted") } catch { #expect(error.code == .invalidYAML) }
    }
}

@Suite struct YAMLScanTests {
    @Test func starsAndAmpersandsInsideScalarsAreFine() throws {
        let v = try YAMLConverter.json(from: "a: 'x *y'\nb: \"&z\"\nc: a *b & c # *comment\nd: [1, 2]")
        #expect(v["a"] == "x *y" && v["b"] == "&z" && v["c"] == "a *b & c")
    }
}
