import Crypto
import Foundation
import ParmanaCore
import ParmanaTesting
import Testing

/// SPEC §2.5: a public key is the canonical encoding of a curve point outside the
/// 8-torsion subgroup; anything else is `invalid_key` where it enters (issue 9).
@Suite struct PublicKeyValidationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var raw: [UInt8]
        var valid: Bool
        var reason: String
        var forged: (message: [UInt8], signature: [UInt8])?
        var testDescription: String { name }
    }

    /// Vectors/keys/public_keys.json, written by interop/make_key_vectors.py (independent Python).
    static let cases: [Case] = {
        let data = FileManager.default.contents(atPath: RepoPaths.vector("keys/public_keys.json"))!
        let json = try! JSONParser().parse(Array(data))
        return json["cases"]!.arrayValue!.map { c in
            var forged: (message: [UInt8], signature: [UInt8])?
            if let m = c["forged_message"]?.stringValue, let s = c["forged_signature"]?.stringValue {
                forged = (Hex.decode(m)!, try! Base64.decode(s))
            }
            return Case(name: c["name"]!.stringValue!, raw: try! Base64.decode(c["public_key"]!.stringValue!),
                        valid: c["valid"]!.boolValue!, reason: c["reason"]!.stringValue!, forged: forged)
        }
    }()

    @Test func theVectorsCoverEverySmallOrderPoint() {
        let smallOrder = PublicKeyValidationTests.cases.filter { $0.reason == "small_order" }
        #expect(Set(smallOrder.map(\.raw)).count == 8)
        #expect(PublicKeyValidationTests.cases.contains { $0.reason == "non_canonical" && $0.name.contains("small order") })
        #expect(PublicKeyValidationTests.cases.contains { $0.reason == "off_curve" })
        #expect(PublicKeyValidationTests.cases.contains { $0.reason == "mixed_order_accepted" })
    }

    @Test(arguments: PublicKeyValidationTests.cases)
    func classification(_ c: Case) {
        let defect = Ed25519Point.defect(of: c.raw)
        switch c.reason {
        case "ok", "mixed_order_accepted": #expect(defect == nil)
        default: #expect(defect?.rawValue == c.reason)
        }
        do {
            let key = try PublicKey(raw: c.raw)
            #expect(c.valid, "accepted \(c.name)")
            #expect(key.rawRepresentation == c.raw)
        } catch {
            #expect(!c.valid, "refused \(c.name)")
            #expect(error.code == .invalidKey)
        }
    }

    /// The danger the check removes: for these keys a signature exists without any
    /// private key. The trust store never admits such a key, so it never counts.
    @Test func forgedSignaturesNeverCountBecauseTheKeyNeverLoads() throws {
        let forgeable = PublicKeyValidationTests.cases.filter { $0.forged != nil }
        #expect(forgeable.count >= 1)
        let epoch = Timestamp("2026-01-01T00:00:00.000Z")!
        for c in forgeable {
            let entry: JSONValue = [
                "key_id": .string(PublicKey.keyID(raw: c.raw)), "public_key": .string(Base64.encode(c.raw)),
                "roles": ["approver"], "approver_id": "mallory@example.com", "valid_from": .string(epoch.description), "valid_until": .null,
            ]
            let store: JSONValue = ["type": "parmana.trust-store/v1", "keys": [entry], "runtimes": []]
            #expect(throws: ParmanaError.self) { try TrustStore(json: store) }
            do { _ = try TrustStore(json: store) } catch { #expect(error.code == .invalidKey) }
        }
    }
}
