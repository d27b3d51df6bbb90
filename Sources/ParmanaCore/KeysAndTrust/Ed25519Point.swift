/// Decoding and classification of Ed25519 public keys (RFC 8032 §5.1.3, SPEC §2.5).
///
/// swift-crypto verifies signatures but accepts any 32 bytes as a public key, and a key
/// of small order lets anyone "sign" without a private key (R = identity, S = 0 for the
/// identity key). So a key is decoded here first: canonical encoding (y < p, no sign bit
/// on x = 0), on the curve, and not in the 8-torsion subgroup ([8]P ≠ identity).
/// Mixed-order points (an ordinary point plus a torsion component) are accepted, as
/// SPEC §2.5 asks. Only used when a key enters (trust store, key file, request body),
/// never per signature, so clarity wins over speed here.
public enum Ed25519Point {
    /// Why an encoding is not an acceptable public key.
    public enum Defect: String, Sendable, Equatable {
        case wrongLength = "wrong_length"
        /// y ≥ p, or x = 0 with the sign bit set.
        case nonCanonical = "non_canonical"
        /// No x satisfies the curve equation for this y.
        case offCurve = "off_curve"
        /// The point lies in the 8-torsion subgroup (the identity included).
        case smallOrder = "small_order"
    }

    /// The defect of a 32-byte encoding, or nil when it is an acceptable public key.
    public static func defect(of raw: [UInt8]) -> Defect? {
        guard raw.count == 32 else { return .wrongLength }
        var bytes = raw
        let sign = bytes[31] >> 7
        bytes[31] &= 0x7F
        let y = FieldElement(littleEndian: bytes)
        guard y.isCanonical else { return .nonCanonical }
        // x² = (y² − 1) / (d·y² + 1)
        let y2 = y * y
        let u = y2 - .one
        let v = FieldElement.d * y2 + .one
        let v3 = v * v * v
        var x = u * v3 * (u * v3 * v3 * v).power(FieldElement.pMinus5Over8)
        let vx2 = v * x * x
        if vx2 == u {
            // x is a root
        } else if vx2 == -u {
            x = x * FieldElement.sqrtMinusOne
        } else {
            return .offCurve
        }
        if x.isZero && sign == 1 { return .nonCanonical }
        if x.isOdd != (sign == 1) { x = -x }
        var p = ExtendedPoint(x: x, y: y)
        for _ in 0..<3 { p = p.doubled() }
        return p.isIdentity ? .smallOrder : nil
    }
}

/// A point in extended twisted Edwards coordinates (X:Y:Z:T), a = −1.
struct ExtendedPoint {
    var x: FieldElement, y: FieldElement, z: FieldElement, t: FieldElement

    init(x: FieldElement, y: FieldElement) {
        self.x = x
        self.y = y
        z = .one
        t = x * y
    }

    init(x: FieldElement, y: FieldElement, z: FieldElement, t: FieldElement) {
        self.x = x
        self.y = y
        self.z = z
        self.t = t
    }

    /// Doubling, "dbl-2008-hwcd" (Hisil–Wong–Carter–Dawson) with a = −1.
    func doubled() -> ExtendedPoint {
        let a = x * x, b = y * y, c = (z * z) + (z * z)
        let d = -a
        let e = (x + y) * (x + y) - a - b
        let g = d + b, f = g - c, h = d - b
        return ExtendedPoint(x: e * f, y: g * h, z: f * g, t: e * h)
    }

    /// (0, 1): X = 0 and Y = Z.
    var isIdentity: Bool { x.isZero && y == z }
}

/// An element of GF(2^255 − 19): four little-endian 64-bit limbs, kept below 2^256 and
/// reduced fully only to compare.
struct FieldElement: Equatable {
    var limbs: (UInt64, UInt64, UInt64, UInt64)

    static let p = FieldElement(limbs: (0xFFFF_FFFF_FFFF_FFED, .max, .max, 0x7FFF_FFFF_FFFF_FFFF))
    static let zero = FieldElement(limbs: (0, 0, 0, 0))
    static let one = FieldElement(limbs: (1, 0, 0, 0))
    /// (p − 5) / 8 = 2^252 − 3.
    static let pMinus5Over8 = FieldElement(limbs: (0xFFFF_FFFF_FFFF_FFFD, .max, .max, 0x0FFF_FFFF_FFFF_FFFF))
    /// p − 2, for inversion by Fermat.
    static let pMinus2 = FieldElement(limbs: (0xFFFF_FFFF_FFFF_FFEB, .max, .max, 0x7FFF_FFFF_FFFF_FFFF))
    /// (p − 1) / 4 = 2^253 − 5.
    static let pMinus1Over4 = FieldElement(limbs: (0xFFFF_FFFF_FFFF_FFFB, .max, .max, 0x1FFF_FFFF_FFFF_FFFF))
    /// d = −121665 / 121666.
    static let d = -FieldElement(small: 121_665) * FieldElement(small: 121_666).inverse
    /// √−1 = 2^((p − 1) / 4).
    static let sqrtMinusOne = FieldElement(small: 2).power(pMinus1Over4)

    init(limbs: (UInt64, UInt64, UInt64, UInt64)) { self.limbs = limbs }

    init(small: UInt64) { limbs = (small, 0, 0, 0) }

    /// From 32 little-endian bytes (all 256 bits taken as they are).
    init(littleEndian b: [UInt8]) {
        func word(_ i: Int) -> UInt64 {
            (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[i * 8 + $1]) << (8 * $1) }
        }
        limbs = (word(0), word(1), word(2), word(3))
    }

    var array: [UInt64] { [limbs.0, limbs.1, limbs.2, limbs.3] }

    init(_ a: [UInt64]) { limbs = (a[0], a[1], a[2], a[3]) }

    /// Whether the value, as given, is below p.
    var isCanonical: Bool { FieldElement.less(array, FieldElement.p.array) }

    static func less(_ a: [UInt64], _ b: [UInt64]) -> Bool {
        for i in stride(from: 3, through: 0, by: -1) where a[i] != b[i] { return a[i] < b[i] }
        return false
    }

    /// The value reduced into [0, p).
    var reduced: [UInt64] {
        var a = array
        while !FieldElement.less(a, FieldElement.p.array) {
            var borrow: UInt64 = 0
            let pp = FieldElement.p.array
            for i in 0..<4 {
                let (d1, o1) = a[i].subtractingReportingOverflow(pp[i])
                let (d2, o2) = d1.subtractingReportingOverflow(borrow)
                a[i] = d2
                borrow = (o1 ? 1 : 0) + (o2 ? 1 : 0)
            }
        }
        return a
    }

    var isZero: Bool { reduced == [0, 0, 0, 0] }
    var isOdd: Bool { reduced[0] & 1 == 1 }

    static func == (l: FieldElement, r: FieldElement) -> Bool { l.reduced == r.reduced }

    /// Adds `k·38` (2^256 ≡ 38 mod p) until no carry leaves the top limb.
    private static func fold(_ a: inout [UInt64], carry: UInt64) {
        var c = carry
        while c != 0 {
            let (hi, lo) = c.multipliedFullWidth(by: 38)
            var add = lo
            var next = hi
            for i in 0..<4 {
                let (s, o) = a[i].addingReportingOverflow(add)
                a[i] = s
                add = o ? 1 : 0
                if add == 0 { break }
            }
            next += add
            c = next
        }
    }

    static func + (l: FieldElement, r: FieldElement) -> FieldElement {
        var a = l.array
        let b = r.array
        var carry: UInt64 = 0
        for i in 0..<4 {
            let (s1, o1) = a[i].addingReportingOverflow(b[i])
            let (s2, o2) = s1.addingReportingOverflow(carry)
            a[i] = s2
            carry = (o1 ? 1 : 0) + (o2 ? 1 : 0)
        }
        fold(&a, carry: carry)
        return FieldElement(a)
    }

    static prefix func - (v: FieldElement) -> FieldElement {
        // p − v, with v reduced first so the result stays non-negative.
        var a = FieldElement.p.array
        let b = v.reduced
        var borrow: UInt64 = 0
        for i in 0..<4 {
            let (d1, o1) = a[i].subtractingReportingOverflow(b[i])
            let (d2, o2) = d1.subtractingReportingOverflow(borrow)
            a[i] = d2
            borrow = (o1 ? 1 : 0) + (o2 ? 1 : 0)
        }
        return FieldElement(a)
    }

    static func - (l: FieldElement, r: FieldElement) -> FieldElement { l + (-r) }

    static func * (l: FieldElement, r: FieldElement) -> FieldElement {
        let a = l.array, b = r.array
        var t = [UInt64](repeating: 0, count: 8)
        for i in 0..<4 {
            var carry: UInt64 = 0
            for j in 0..<4 {
                let (hi, lo) = a[i].multipliedFullWidth(by: b[j])
                let (s1, o1) = t[i + j].addingReportingOverflow(lo)
                let (s2, o2) = s1.addingReportingOverflow(carry)
                t[i + j] = s2
                carry = hi &+ (o1 ? 1 : 0) &+ (o2 ? 1 : 0)
            }
            t[i + 4] = carry
        }
        // t = low + 2^256·high ≡ low + 38·high
        var out = Array(t[0..<4])
        var carry: UInt64 = 0
        for i in 0..<4 {
            let (hi, lo) = t[i + 4].multipliedFullWidth(by: 38)
            let (s1, o1) = out[i].addingReportingOverflow(lo)
            let (s2, o2) = s1.addingReportingOverflow(carry)
            out[i] = s2
            carry = hi &+ (o1 ? 1 : 0) &+ (o2 ? 1 : 0)
        }
        fold(&out, carry: carry)
        return FieldElement(out)
    }

    /// self^e (square and multiply over the bits of e, most significant first).
    func power(_ e: FieldElement) -> FieldElement {
        var result = FieldElement.one
        let bits = e.array
        for i in stride(from: 255, through: 0, by: -1) {
            result = result * result
            if (bits[i / 64] >> UInt64(i % 64)) & 1 == 1 { result = result * self }
        }
        return result
    }

    var inverse: FieldElement { power(FieldElement.pMinus2) }
}
