import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Source of execution ids: lowercase UUID v4, new for every execution.
public protocol ExecutionIDs: Sendable {
    func next() -> String
}

/// Random UUID v4s (RFC 9562 §5.4) from the system's CSPRNG, formatted in lowercase.
/// Random bytes are drawn 4 KiB at a time (one `arc4random_buf` per 256 ids, not two
/// `getrandom` calls per id): ids are public identifiers, not secrets, and every one is still fresh CSPRNG
/// output used once.
public final class RandomExecutionIDs: ExecutionIDs {
    private struct Pool {
        var bytes = [UInt8](repeating: 0, count: 4096)
        var used = 4096
    }
    private let pool = Mutex(Pool())

    public init() {}

    public func next() -> String {
        var (hi, lo): (UInt64, UInt64) = pool.withLock { p in
            if p.used == p.bytes.count {
                // glibc's arc4random_buf reads getrandom(2) and never fails.
                p.bytes.withUnsafeMutableBytes { raw in arc4random_buf(raw.baseAddress!, raw.count) }
                p.used = 0
            }
            defer { p.used += 16 }
            return p.bytes.withUnsafeBytes { raw in
                (raw.loadUnaligned(fromByteOffset: p.used, as: UInt64.self), raw.loadUnaligned(fromByteOffset: p.used + 8, as: UInt64.self))
            }
        }
        hi = (hi & ~0xF000) | 0x4000  // version 4 (bits 48–51)
        lo = (lo & ~(0xC000 << 48)) | (0x8000 << 48)  // variant 10
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 36) { out in
            var k = 0
            func put(_ v: UInt64, _ nibbles: Int) {
                for i in stride(from: nibbles - 1, through: 0, by: -1) {
                    if k == 8 || k == 13 || k == 18 || k == 23 { out[k] = UInt8(ascii: "-"); k += 1 }
                    out[k] = digits.utf8Start[Int((v >> (UInt64(i) * 4)) & 0xF)]
                    k += 1
                }
            }
            put(hi, 16)
            put(lo, 16)
            return 36
        }
    }
}

/// Deterministic UUID v4-shaped ids for tests.
public final class SequentialExecutionIDs: ExecutionIDs {
    private let counter = Mutex(0)
    public init() {}
    public func next() -> String {
        let n = counter.withLock { c -> Int in
            c += 1
            return c
        }
        let hex = String(n, radix: 16)
        let tail = String(repeating: "0", count: max(0, 12 - hex.count)) + hex
        return "00000000-0000-4000-8000-\(tail)"
    }
}
