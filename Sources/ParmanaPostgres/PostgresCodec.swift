import Foundation
import NIOCore
import ParmanaCore

/// Values between Core and PostgreSQL columns: `bytea` as `ByteBuffer` (a `[UInt8]` bind
/// would be ambiguous in PostgresNIO), execution ids as `uuid`.
enum PostgresCodec {
    static func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

    static func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }

    /// The `uuid` of an execution id: a UUID written as 36 characters, or nil.
    static func uuid(_ s: String) -> UUID? {
        guard s.utf8.count == 36 else { return nil }
        return UUID(uuidString: s)
    }

    /// The lowercase text of a `uuid` (SPEC §6).
    static func string(_ id: UUID) -> String { id.uuidString.lowercased() }

    /// 32 bytes of a 64-hex-digit hash, or nil.
    static func hash(_ hex: String) -> [UInt8]? {
        guard hex.utf8.count == 64, let b = Hex.decode(hex) else { return nil }
        return b
    }

    /// `execution_id` and `execution_fingerprint` of an attestation record (its JCS
    /// bytes), where an execution entry keeps them — the same reading as the SQLite
    /// adapter's. In JCS the payload's members come in a fixed order and nothing before
    /// them can contain these keys (the decision holds only fixed-syntax strings), so the
    /// first occurrence is the member.
    static func attestationFields(_ record: [UInt8]) -> (executionID: String?, fingerprint: String?) {
        func value(after key: String, length: Int) -> String? {
            let k = Array(key.utf8)
            var i = 0
            while i + k.count + length <= record.count {
                if record[i] == k[0], record[i..<(i + k.count)].elementsEqual(k) {
                    return String(decoding: record[(i + k.count)..<(i + k.count + length)], as: UTF8.self)
                }
                i += 1
            }
            return nil
        }
        return (value(after: #""execution_id":""#, length: 36), value(after: #""execution_fingerprint":""#, length: 64))
    }
}
