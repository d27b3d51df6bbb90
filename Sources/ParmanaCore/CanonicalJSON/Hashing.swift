import Crypto

/// SHA-256 helpers. Hashes travel as 64 lowercase hex characters (SPEC §1.3).
public enum Hashing {
    /// Lowercase hex SHA-256.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        var hasher = SHA256()
        bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return hasher.finalize().withUnsafeBytes { Hex.encode(buffer: $0) }
    }

    /// Raw SHA-256.
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: bytes))
    }

    /// `hex(sha256(JCS(value)))`.
    public static func canonicalHash(_ value: JSONValue) -> String {
        sha256Hex(CanonicalJSON.bytes(value))
    }

    /// `execution_fingerprint = hex(sha256(JCS(signals)))` (SPEC §1.4).
    public static func fingerprint(_ signals: JSONValue) -> String {
        canonicalHash(signals)
    }

    /// `execution_fingerprint` of signals given as raw JSON bytes: strict parse and
    /// canonicalization in one pass. Throws the §1 error codes.
    public static func fingerprint(json bytes: [UInt8], parser: JSONParser = JSONParser()) throws(ParmanaError) -> String {
        try parser.withCanonicalBytes(bytes) { canonical in
            var hasher = SHA256()
            hasher.update(bufferPointer: UnsafeRawBufferPointer(canonical))
            return hasher.finalize().withUnsafeBytes { Hex.encode(buffer: $0) }
        }
    }

    /// Whether `s` is a 64-character lowercase hex hash.
    public static func isHashHex(_ s: String) -> Bool {
        Hex.isLowercaseHex(s, length: 64)
    }
}
