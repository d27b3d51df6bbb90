/// Formats a double exactly as ECMAScript `Number.prototype.toString` does
/// (RFC 8785 §3.2.2.3): shortest round-trip digits, `-0` as `0`, exponent form
/// below 1e-6 and from 1e21 on.
public enum ECMAScriptNumber {
    /// The ES6 text of `value`. Precondition: `value` is finite.
    public static func string(_ value: Double) -> String {
        var out: [UInt8] = []
        append(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the ES6 text of `value` to `out`. Precondition: `value` is finite.
    public static func append(_ value: Double, to out: inout [UInt8]) {
        precondition(value.isFinite, "JSON numbers are finite")
        if value == 0 {
            out.append(UInt8(ascii: "0"))
            return
        }
        // Fast path: integers up to 2^53 print as plain digits.
        if value.magnitude < 9_007_199_254_740_992, value == value.rounded(.towardZero) {
            appendInteger(Int64(value), to: &out)
            return
        }
        // Swift's description yields the shortest round-trip digits (closest on ties);
        // only the layout differs from ECMAScript, so re-lay them out.
        var digits: [UInt8] = []
        digits.reserveCapacity(17)
        var pointPos = 0
        var sawPoint = false
        var exponent = 0
        var exponentSign = 1
        var inExponent = false
        var negative = false
        for c in value.description.utf8 {
            if inExponent {
                if c == UInt8(ascii: "-") { exponentSign = -1 } else if c != UInt8(ascii: "+") {
                    exponent = exponent * 10 + Int(c - 0x30)
                }
                continue
            }
            switch c {
            case UInt8(ascii: "-"): negative = true
            case UInt8(ascii: "."): sawPoint = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"): inExponent = true
            default:
                digits.append(c)
                if !sawPoint { pointPos += 1 }
            }
        }
        var lead = 0
        while lead < digits.count - 1, digits[lead] == UInt8(ascii: "0") { lead += 1 }
        digits.removeFirst(lead)
        pointPos -= lead
        while digits.count > 1, digits.last == UInt8(ascii: "0") { digits.removeLast() }
        let k = digits.count
        let n = pointPos + exponentSign * exponent  // value = 0.d1d2… × 10^n
        if negative { out.append(UInt8(ascii: "-")) }
        if k <= n && n <= 21 {
            out.append(contentsOf: digits)
            for _ in 0..<(n - k) { out.append(UInt8(ascii: "0")) }
        } else if 0 < n && n <= 21 {
            out.append(contentsOf: digits[0..<n])
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: digits[n...])
        } else if -6 < n && n <= 0 {
            out.append(UInt8(ascii: "0"))
            out.append(UInt8(ascii: "."))
            for _ in 0..<(-n) { out.append(UInt8(ascii: "0")) }
            out.append(contentsOf: digits)
        } else {
            out.append(digits[0])
            if k > 1 {
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: digits[1...])
            }
            out.append(UInt8(ascii: "e"))
            let e = n - 1
            out.append(e < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            appendInteger(Int64(e.magnitude), to: &out)
        }
    }

    static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        var v = value
        if v < 0 {
            out.append(UInt8(ascii: "-"))
            v = -v
        }
        var tmp: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                  UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &tmp) { p in
            repeat {
                p[n] = UInt8(truncatingIfNeeded: v % 10) + 0x30
                v /= 10
                n += 1
            } while v > 0
            while n > 0 {
                n -= 1
                out.append(p[n])
            }
        }
    }
}
