// Envelope and attestation verification: `Verifier(trust:).verify(Verifier.Input(...))`
// on a fixed trust store (the harness keys).
// Input: documents separated by NUL: attestation, signals, policy, proof, overrides…
// (an empty part is absent). A leading `!` re-signs every envelope-shaped object with
// the harness key its payload names (so fuzzing reaches the checks after the
// signature); without it the bytes are verified exactly as given.
// Properties, besides no crash:
// - authorized implies valid; valid implies a well-formed payload, a trusted key and a
//   valid signature; the report serializes;
// - without re-signing, an attestation whose signature verifies has a payload the
//   harness signed (no forgery), an override that counts was signed by the harness,
//   and an audit inclusion that holds is under a checkpoint the harness signed.
import FuzzSupport
import ParmanaCore

let verifier = Verifier(trust: Harness.trust)
let world = World.shared

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
    Fuzz.writeSeedsIfAsked {
        var seeds: [(name: String, bytes: [UInt8])] = []
        for c in world.cases {
            let docs = [c.attestation.bytes, c.signals, c.policy, c.proof.map { CanonicalJSON.bytes($0.json) } ?? []]
                + c.overrides.map(\.bytes)
            seeds.append(("\(c.name).bin", Fuzz.join(docs)))
            seeds.append(("\(c.name)-bare.bin", c.attestation.bytes))
            seeds.append(("\(c.name)-resign.bin", Array("!".utf8) + Fuzz.join(docs)))
        }
        return seeds
    }
    return 0
}

extension Envelope {
    var bytes: [UInt8] { CanonicalJSON.bytes(json) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVerify(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var bytes = Fuzz.bytes(data, size)
    let resign = bytes.first == UInt8(ascii: "!")
    if resign { bytes.removeFirst() }
    var docs = Fuzz.parts(bytes)
    if resign {
        docs = docs.map { d in (try? JSONParser().parse(d)).map { CanonicalJSON.bytes(Harness.resign($0)) } ?? d }
    }
    func doc(_ i: Int) -> [UInt8]? { i < docs.count && !docs[i].isEmpty ? docs[i] : nil }
    let overrides = docs.count > 4 ? docs[4...].filter { !$0.isEmpty } : []
    let input = Verifier.Input(attestation: docs[0], overrides: Array(overrides), signals: doc(1), policy: doc(2), proof: doc(3),
                               requireKnownRuntime: docs[0].count & 1 == 1)
    let report = verifier.verify(input)
    _ = CanonicalJSON.bytes(report.json)
    if report.authorized && !report.valid { Fuzz.fail("authorized but not valid") }
    if report.valid && !(report.checks.payloadWellFormed == true && report.checks.keyTrusted == true && report.checks.signatureValid == true) {
        Fuzz.fail("valid without a well-formed, trusted, correctly signed payload: \(report.checks)")
    }
    if !resign, report.checks.signatureValid == true {
        guard let env = try? Envelope(json: try JSONParser().parse(docs[0])) else {
            Fuzz.fail("the signature is reported valid for an attestation that does not parse as an envelope")
        }
        if !world.signedPayloads.contains(Hashing.canonicalHash(env.payload)) {
            Fuzz.fail("forgery: the signature verifies for a payload the harness never signed")
        }
    }
    if !resign, report.checks.overrideValid == true {
        for o in overrides {
            guard let env = try? Envelope(json: try JSONParser().parse(o)), world.signedPayloads.contains(Hashing.canonicalHash(env.payload)) else {
                Fuzz.fail("forgery: an override the harness never signed is valid")
            }
        }
    }
    if !resign, report.checks.auditIncluded == true, let p = doc(3) {
        guard let proof = try? InclusionProof(json: try JSONParser().parse(p)),
              world.signedPayloads.contains(Hashing.canonicalHash(proof.checkpoint.payload)) else {
            Fuzz.fail("forgery: audit inclusion holds under a checkpoint the harness never signed")
        }
    }
    return 0
}
