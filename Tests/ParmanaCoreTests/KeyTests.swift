import ParmanaCore
import ParmanaTesting
import Testing

@Suite struct KeyTests {
    @Test func keyIDIsFirst32HexOfSHA256() throws {
        // RFC 8032 §7.1 TEST 1 public key.
        let raw = Hex.decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")!
        let key = try PublicKey(raw: raw)
        #expect(key.keyID == String(Hashing.sha256Hex(raw).prefix(32)))
        #expect(key.keyID.count == 32)
    }

    @Test func rfc8032Test1SignatureIsReproduced() throws {
        let key = try SigningKey(seed: Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")!, roles: [.attestation])
        #expect(Hex.encode(key.publicKey.rawRepresentation) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        let sig = key.sign([])
        #expect(Hex.encode(sig) == "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
        #expect(key.publicKey.isValidSignature(sig, for: []))
    }

    @Test(arguments: ["AAA", "AAAA=", "AA==AA==", "AB==", "AAB=", "A-_A", "AA AA", "AA\nAA", "////\u{0}", "YQ", "YQ="])
    func base64IsStrict(_ text: String) {
        do {
            _ = try Base64.decode(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.code == .invalidEncoding)
        }
    }

    @Test func base64RoundTrips() throws {
        for n in 0..<40 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(try Base64.decode(Base64.encode(bytes)) == bytes)
        }
        #expect(try Base64.decode("YQ==") == Array("a".utf8))
        #expect(Base64.encode(Array("ab".utf8)) == "YWI=")
    }

    @Test func publicKeyOfWrongLengthIsRefused() {
        do { _ = try PublicKey(raw: [UInt8](repeating: 1, count: 31)); Issue.record("accepted") } catch { #expect(error.code == .invalidKey) }
        do { _ = try PublicKey(base64: "not base64!"); Issue.record("accepted") } catch { #expect(error.code == .invalidEncoding) }
    }

    @Test func keyFileRoundTrips() throws {
        let key = SigningKey(roles: [.approver], approverID: "bob@example.com")
        let back = try KeyFile.decode(KeyFile.encode(key))
        #expect(back.keyID == key.keyID)
        #expect(back.roles == [.approver])
        #expect(back.approverID == "bob@example.com")
        #expect(back.seed == key.seed)
    }

    @Test func keyFileWithMismatchedPublicKeyIsRefused() throws {
        let a = SigningKey(roles: [.attestation]), b = SigningKey(roles: [.attestation])
        var json = try JSONParser().parse(KeyFile.encode(a))
        guard case .object(var o) = json else { Issue.record("not an object"); return }
        o["public_key"] = .string(b.publicKey.base64)
        json = .object(o)
        do { _ = try KeyFile.decode(CanonicalJSON.bytes(json)); Issue.record("accepted") } catch { #expect(error.code == .invalidKey) }
        o["public_key"] = .string(a.publicKey.base64)
        o["extra"] = 1
        do { _ = try KeyFile.decode(CanonicalJSON.bytes(.object(o))); Issue.record("accepted") } catch { #expect(error.code == .invalidKey) }
    }

    @Test func timestampsParseAndFormatExactly() {
        let t = Timestamp("2026-11-23T12:00:00.123Z")
        #expect(t?.description == "2026-11-23T12:00:00.123Z")
        #expect(Timestamp("2024-02-29T23:59:59.999Z")?.description == "2024-02-29T23:59:59.999Z")
        #expect(Timestamp("1970-01-01T00:00:00.000Z")?.millisecondsSinceEpoch == 0)
        for bad in ["2026-11-23T12:00:00Z", "2026-11-23T12:00:00.12Z", "2026-11-23T12:00:00.123+00:00",
                    "2025-02-29T00:00:00.000Z", "2026-13-01T00:00:00.000Z", "2026-11-23 12:00:00.123Z", "2026-11-23T24:00:00.000Z"] {
            #expect(Timestamp(bad) == nil, "\(bad)")
        }
        #expect(Timestamp("2026-01-01T00:00:00.000Z")! < Timestamp("2026-01-01T00:00:00.001Z")!)
    }

    @Test func semanticVersionPrecedence() {
        let order = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
                     "1.0.0-rc.1", "1.0.0", "1.2.0", "1.10.0", "2.0.0"].map { SemanticVersion($0)! }
        for i in 0..<(order.count - 1) { #expect(order[i] < order[i + 1], "\(order[i]) < \(order[i + 1])") }
        for bad in ["1.0", "01.0.0", "1.0.0-", "1.0.0-01", "v1.0.0", "1.0.0.0", ""] { #expect(SemanticVersion(bad) == nil, "\(bad)") }
        #expect(SemanticVersion("1.0.0+build.1") == SemanticVersion("1.0.0"))
    }
}
