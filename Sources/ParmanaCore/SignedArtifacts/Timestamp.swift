/// An RFC 3339 UTC instant with millisecond precision, written exactly as
/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (SPEC §6). Core never reads a clock: callers pass one in.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00.000Z.
    public var millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    /// Parses the exact form `YYYY-MM-DDTHH:MM:SS.mmmZ`; nil for anything else.
    public init?(_ text: String) {
        var text = text
        guard let parsed = text.withUTF8({ Timestamp.parse($0) }) else { return nil }
        millisecondsSinceEpoch = parsed
    }

    private static func parse(_ u: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard u.count == 24, u[4] == 0x2D, u[7] == 0x2D, u[10] == 0x54, u[13] == 0x3A,
              u[16] == 0x3A, u[19] == 0x2E, u[23] == 0x5A else { return nil }
        func num(_ a: Int, _ b: Int) -> Int? {
            var v = 0
            for k in a..<b {
                guard u[k] >= 0x30, u[k] <= 0x39 else { return nil }
                v = v * 10 + Int(u[k] - 0x30)
            }
            return v
        }
        guard let y = num(0, 4), let mo = num(5, 7), let d = num(8, 10), let h = num(11, 13),
              let mi = num(14, 16), let s = num(17, 19), let ms = num(20, 23) else { return nil }
        guard (1...12).contains(mo), d >= 1, d <= Timestamp.daysInMonth(y, mo), h < 24, mi < 60, s < 60 else { return nil }
        let days = Timestamp.daysFromCivil(y, mo, d)
        return ((Int64(days) * 24 + Int64(h)) * 60 + Int64(mi)) * 60_000 + Int64(s) * 1000 + Int64(ms)
    }

    public var description: String {
        var ms = millisecondsSinceEpoch
        var days = ms / 86_400_000
        ms -= days * 86_400_000
        if ms < 0 { ms += 86_400_000; days -= 1 }
        let (y, m, d) = Timestamp.civilFromDays(Int(days))
        let h = Int(ms / 3_600_000), mi = Int(ms / 60_000 % 60), s = Int(ms / 1000 % 60), f = Int(ms % 1000)
        return String(unsafeUninitializedCapacity: 24) { out in
            func put(_ v: Int, _ at: Int, _ width: Int) {
                var v = v
                for k in stride(from: at + width - 1, through: at, by: -1) {
                    out[k] = UInt8(truncatingIfNeeded: v % 10) + 0x30
                    v /= 10
                }
            }
            put(y, 0, 4); out[4] = 0x2D; put(m, 5, 2); out[7] = 0x2D; put(d, 8, 2); out[10] = 0x54
            put(h, 11, 2); out[13] = 0x3A; put(mi, 14, 2); out[16] = 0x3A; put(s, 17, 2); out[19] = 0x2E
            put(f, 20, 3); out[23] = 0x5A
            return 24
        }
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.millisecondsSinceEpoch < b.millisecondsSinceEpoch }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Howard Hinnant's civil date algorithms.
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
