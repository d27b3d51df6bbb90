/// A growable byte buffer with unchecked appends, for hot output paths. The owner
/// must call ``free()`` exactly once.
struct ByteWriter {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    func free() { base.deallocate() }

    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if count + extra > capacity {
            var c = capacity * 2
            while count + extra > c { c *= 2 }
            let p = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
            p.update(from: base, count: count)
            base.deallocate()
            base = p
            capacity = c
        }
    }

    @inline(__always)
    mutating func append(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count += 1
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        reserve(bytes.count)
        if let src = bytes.baseAddress { (base + count).update(from: src, count: bytes.count) }
        count += bytes.count
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    /// Copies `start..<end` of this buffer to its end.
    mutating func appendOwn(_ start: Int, _ end: Int, from other: ByteWriter) {
        append(UnsafeBufferPointer(start: other.base + start, count: end - start))
    }

    /// Drops everything from `position` on.
    mutating func truncate(to position: Int) { count = position }

    var buffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    var array: [UInt8] { Array(buffer) }
}
