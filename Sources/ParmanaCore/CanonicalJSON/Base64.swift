/// Strict standard base64 (RFC 4648 §4) with padding. Anything else — the URL
/// alphabet, missing padding, whitespace, non-zero trailing bits — is refused.
public enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let reverse: [UInt8] = {
        var r = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { r[Int(c)] = UInt8(i) }
        return r
    }()

    /// Standard base64 with padding.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let b = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((b.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= b.count {
            let n = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2])
            out.append(alphabet[Int(n >> 18 & 63)]); out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)]); out.append(alphabet[Int(n & 63)])
            i += 3
        }
        let rest = b.count - i
        if rest == 1 {
            let n = UInt32(b[i]) << 16
            out.append(alphabet[Int(n >> 18 & 63)]); out.append(alphabet[Int(n >> 12 & 63)])
            out.append(contentsOf: [0x3D, 0x3D])
        } else if rest == 2 {
            let n = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8
            out.append(alphabet[Int(n >> 18 & 63)]); out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)]); out.append(0x3D)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Strictly decodes standard padded base64; throws `invalid_encoding`.
    public static func decode(_ text: String) throws(ParmanaError) -> [UInt8] {
        let s = Array(text.utf8)
        guard s.count % 4 == 0 else {
            throw ParmanaError(.invalidEncoding, "base64 length is not a multiple of 4")
        }
        var out: [UInt8] = []
        out.reserveCapacity(s.count / 4 * 3)
        var i = 0
        while i < s.count {
            let last = i + 4 == s.count
            var v: UInt32 = 0
            var pad = 0
            for k in 0..<4 {
                let c = s[i + k]
                if c == 0x3D {
                    guard last, k >= 2 else { throw ParmanaError(.invalidEncoding, "misplaced base64 padding") }
                    pad += 1
                    v <<= 6
                    continue
                }
                guard pad == 0 else { throw ParmanaError(.invalidEncoding, "data after base64 padding") }
                let d = reverse[Int(c)]
                guard d != 0xFF else { throw ParmanaError(.invalidEncoding, "character outside the standard base64 alphabet") }
                v = v << 6 | UInt32(d)
            }
            out.append(UInt8(v >> 16 & 0xFF))
            if pad < 2 { out.append(UInt8(v >> 8 & 0xFF)) }
            if pad < 1 { out.append(UInt8(v & 0xFF)) }
            // Non-canonical: the bits dropped by padding must be zero.
            if pad == 1, v & 0xFF != 0 { throw ParmanaError(.invalidEncoding, "non-zero bits in base64 padding") }
            if pad == 2, v & 0xFFFF != 0 { throw ParmanaError(.invalidEncoding, "non-zero bits in base64 padding") }
            i += 4
        }
        return out
    }
}
