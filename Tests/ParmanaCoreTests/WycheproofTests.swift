import Foundation
import ParmanaCore
import ParmanaTesting
import Testing

/// Every Wycheproof Ed25519 case must agree with its expected result through our verify path.
@Suite struct WycheproofTests {
    @Test func everyCaseAgrees() throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: RepoPaths.vector("ed25519/wycheproof_ed25519_test.json"))))
        let doc = try JSONParser(maxBytes: 8 << 20).parse(bytes)
        var count = 0
        for group in doc["testGroups"]?.arrayValue ?? [] {
            let pkHex = group["publicKey"]?["pk"]?.stringValue ?? ""
            let key = try? PublicKey(raw: Hex.decode(pkHex) ?? [])
            for test in group["tests"]?.arrayValue ?? [] {
                let id = test["tcId"]?.numberValue ?? -1
                let msg = Hex.decode(test["msg"]?.stringValue ?? "") ?? []
                let sig = Hex.decode(test["sig"]?.stringValue ?? "") ?? []
                let expected = test["result"]?.stringValue
                let ok = key?.isValidSignature(sig, for: msg) ?? false
                #expect(expected == "valid" || expected == "invalid", "tc \(id)")
                #expect(ok == (expected == "valid"), "tcId \(id): \(test["comment"]?.stringValue ?? "")")
                count += 1
            }
        }
        #expect(count == Int(doc["numberOfTests"]?.numberValue ?? 0))
        #expect(count > 100)
    }
}
