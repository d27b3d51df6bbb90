/// A signed artifact: `{"payload": {...}, "signature": "<base64>"}` where
/// `signature = Ed25519(JCS(payload))` (SPEC §2.3).
public struct Envelope: Sendable, Equatable {
    public let payload: JSONValue
    public let signature: [UInt8]

    public init(payload: JSONValue, signature: [UInt8]) {
        self.payload = payload
        self.signature = signature
    }

    /// Strictly decodes an envelope: exactly `payload` (an object with string `type` and
    /// `key_id`) and `signature` (strict base64). Typed payload checks come after.
    public init(json: JSONValue) throws(ParmanaError) {
        var r = try FieldReader(json)
        let p = try r.required("payload")
        let sig = try r.string("signature")
        try r.finish()
        var pr = try FieldReader(p, pointer: "/payload")
        _ = try pr.string("type")
        _ = try pr.string("key_id")
        do {
            signature = try Base64.decode(sig)
        } catch {
            throw ParmanaError(.invalidEncoding, "/signature: \(error.message)", details: [.init(pointer: "/signature", message: error.message)])
        }
        payload = p
    }

    /// JCS of the envelope given JCS of its payload: members sort as "payload" <
    /// "signature", so the envelope's canonical form is assembled without re-serializing.
    public static func canonicalBytes(payloadBytes: [UInt8], signature: [UInt8]) -> [UInt8] {
        canonicalBytes(payloadBytes: payloadBytes, signatureBase64: Base64.encode(signature))
    }

    /// Same, with the signature already in (strict, hence canonical) base64.
    public static func canonicalBytes(payloadBytes: [UInt8], signatureBase64: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(payloadBytes.count + 120)
        out.append(contentsOf: #"{"payload":"#.utf8)
        out.append(contentsOf: payloadBytes)
        out.append(contentsOf: #","signature":""#.utf8)
        out.append(contentsOf: signatureBase64.utf8)
        out.append(contentsOf: #""}"#.utf8)
        return out
    }

    /// Signs `payload` (which must carry `type` and `key_id` of `key`).
    public static func sign(_ payload: JSONValue, with key: SigningKey) -> Envelope {
        Envelope(payload: payload, signature: key.sign(CanonicalJSON.bytes(payload)))
    }

    /// The payload's `type` tag ("" when absent).
    public var type: String { payload["type"]?.stringValue ?? "" }
    /// The payload's `key_id` ("" when absent).
    public var keyID: String { payload["key_id"]?.stringValue ?? "" }

    /// The bytes the signature covers: JCS(payload).
    public var signedBytes: [UInt8] { CanonicalJSON.bytes(payload) }

    public var json: JSONValue {
        ["payload": payload, "signature": .string(Base64.encode(signature))]
    }

    /// `hex(sha256(JCS(envelope)))`, e.g. the `attestation_hash` (SPEC §6).
    public var hash: String { Hashing.canonicalHash(json) }
}
