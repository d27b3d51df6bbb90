import NIOCore

/// Incremental RESP2 decoder: turns a byte stream into ``RESPValue``s, one per complete top-level reply.
///
/// Frames may be split across reads at any byte boundary. Completed scalars are consumed from the buffer at once
/// and kept on an internal stack of partially built arrays, so a large array arriving in many reads is not
/// re-parsed from its start each time. A scalar whose bytes are incomplete is left in the buffer untouched.
///
/// Anything that is not RESP2 (an unknown type byte, a malformed length, a missing CRLF, a RESP3 type) or that
/// exceeds ``Limits`` throws ``RedisError/protocol(_:)``; after that the stream cannot be resynchronised and the
/// connection must be closed (``RedisConnection`` does).
public struct RESPDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = RESPValue

    /// Upper bounds that protect the client from a broken or hostile server.
    public struct Limits: Sendable, Hashable {
        /// Largest accepted bulk string, in bytes. Default 512 MiB (Redis' own `proto-max-bulk-len`).
        public var maxBulkLength: Int
        /// Largest accepted array, in elements (per array, not in total). Default 16,777,216.
        public var maxArrayLength: Int
        /// Deepest accepted nesting of arrays: `1` allows a flat array, `2` an array of arrays, and so on.
        /// Default 32.
        public var maxNestingDepth: Int
        /// Longest accepted line (simple string, error, integer or length header) in bytes, excluding the type
        /// byte and CRLF. Default 65,536.
        public var maxLineLength: Int

        public init(
            maxBulkLength: Int = 512 * 1024 * 1024,
            maxArrayLength: Int = 16 * 1024 * 1024,
            maxNestingDepth: Int = 32,
            maxLineLength: Int = 64 * 1024
        ) {
            self.maxBulkLength = maxBulkLength
            self.maxArrayLength = maxArrayLength
            self.maxNestingDepth = maxNestingDepth
            self.maxLineLength = maxLineLength
        }

        /// The defaults listed on each property.
        public static let `default` = Limits()
    }

    private struct PartialArray: Sendable {
        var remaining: Int
        var elements: [RESPValue]
    }

    private enum Item {
        case value(RESPValue)
        case arrayHeader(count: Int)
    }

    /// The limits this decoder enforces.
    public let limits: Limits
    private var stack: [PartialArray] = []

    /// A decoder enforcing `limits`.
    public init(limits: Limits = .default) {
        self.limits = limits
    }

    /// `true` while part of a top-level reply has been consumed but the reply is not complete yet.
    public var isInsideReply: Bool { !stack.isEmpty }

    /// Consumes bytes from `buffer` and returns the next complete top-level value, or `nil` when more bytes are
    /// needed. Call again after a value is returned: the buffer may hold further values.
    public mutating func decodeValue(from buffer: inout ByteBuffer) throws(RedisError) -> RESPValue? {
        while true {
            guard let item = try nextItem(from: &buffer) else { return nil }
            var completed: RESPValue
            switch item {
            case .arrayHeader(let count):
                stack.append(PartialArray(remaining: count, elements: []))
                stack[stack.count - 1].elements.reserveCapacity(min(count, 1024))
                continue
            case .value(let value):
                completed = value
            }
            // Fold the completed value into the enclosing arrays, closing every array it completes.
            while !stack.isEmpty {
                let top = stack.count - 1
                stack[top].elements.append(completed)
                stack[top].remaining -= 1
                guard stack[top].remaining == 0 else { break }
                completed = .array(stack.removeLast().elements)
            }
            if stack.isEmpty { return completed }
        }
    }

    /// `ByteToMessageDecoder` entry point: forwards each complete top-level value down the pipeline.
    /// Throws ``RedisError/protocol(_:)`` for invalid input.
    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let value = try decodeValue(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(value))
        return .continue
    }

    /// At end of stream, complete replies are still delivered; an incomplete trailing reply is dropped (its
    /// command then fails with ``RedisError/connectionClosed`` when the channel goes inactive).
    public mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        if try decode(context: context, buffer: &buffer) == .continue { return .continue }
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        stack.removeAll()
        return .needMoreData
    }

    // MARK: - Scalars and headers

    /// Parses one scalar or array header at the reader index. Consumes it only when it is complete.
    private mutating func nextItem(from buffer: inout ByteBuffer) throws(RedisError) -> Item? {
        guard let typeByte = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return nil }
        guard Self.typeBytes.contains(typeByte) else {
            throw .protocol("unexpected RESP type byte 0x\(String(typeByte, radix: 16)) (RESP3 is not supported)")
        }
        guard let lineEnd = try findLineEnd(in: buffer) else { return nil }
        let lineStart = buffer.readerIndex + 1
        let line = buffer.getSlice(at: lineStart, length: lineEnd - lineStart)!
        let headerLength = lineEnd + 2 - buffer.readerIndex

        switch typeByte {
        case UInt8(ascii: "+"):
            buffer.moveReaderIndex(forwardBy: headerLength)
            return .value(.simpleString(String(buffer: line)))
        case UInt8(ascii: "-"):
            buffer.moveReaderIndex(forwardBy: headerLength)
            return .value(.error(String(buffer: line)))
        case UInt8(ascii: ":"):
            let number = try Self.parseInteger(line, what: "integer")
            buffer.moveReaderIndex(forwardBy: headerLength)
            return .value(.integer(number))
        case UInt8(ascii: "$"):
            let length = try Self.parseInteger(line, what: "bulk string length")
            if length == -1 {
                buffer.moveReaderIndex(forwardBy: headerLength)
                return .value(.bulkString(nil))
            }
            guard length >= 0 else { throw .protocol("negative bulk string length \(length)") }
            guard length <= limits.maxBulkLength else {
                throw .protocol("bulk string of \(length) bytes exceeds the limit of \(limits.maxBulkLength)")
            }
            guard buffer.readableBytes >= headerLength + length + 2 else { return nil }
            let payloadStart = buffer.readerIndex + headerLength
            guard buffer.getInteger(at: payloadStart + length, as: UInt8.self) == UInt8(ascii: "\r"),
                buffer.getInteger(at: payloadStart + length + 1, as: UInt8.self) == UInt8(ascii: "\n")
            else { throw .protocol("bulk string of \(length) bytes is not followed by CRLF") }
            let bytes = buffer.getBytes(at: payloadStart, length: length)!
            buffer.moveReaderIndex(forwardBy: headerLength + length + 2)
            return .value(.bulkString(bytes))
        case UInt8(ascii: "*"):
            let count = try Self.parseInteger(line, what: "array length")
            if count == -1 {
                buffer.moveReaderIndex(forwardBy: headerLength)
                return .value(.array(nil))
            }
            guard count >= 0 else { throw .protocol("negative array length \(count)") }
            guard count <= limits.maxArrayLength else {
                throw .protocol("array of \(count) elements exceeds the limit of \(limits.maxArrayLength)")
            }
            guard stack.count < limits.maxNestingDepth else {
                throw .protocol("arrays nested deeper than the limit of \(limits.maxNestingDepth)")
            }
            buffer.moveReaderIndex(forwardBy: headerLength)
            return count == 0 ? .value(.array([])) : .arrayHeader(count: count)
        default:
            preconditionFailure("type byte was checked above")
        }
    }

    private static let typeBytes: [UInt8] = Array("+-:$*".utf8)

    /// Index of the CR of the CRLF that ends the line starting at the reader index, or `nil` if it has not arrived.
    private func findLineEnd(in buffer: ByteBuffer) throws(RedisError) -> Int? {
        let view = buffer.readableBytesView.dropFirst()
        let searchLimit = limits.maxLineLength + 1  // the CR may sit right after a maximum-length line
        let searched = view.prefix(searchLimit)
        guard let cr = searched.firstIndex(where: { $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") }) else {
            if view.count >= searchLimit {
                throw .protocol("line longer than the limit of \(limits.maxLineLength) bytes")
            }
            return nil
        }
        guard view[cr] == UInt8(ascii: "\r") else { throw .protocol("bare LF inside a line") }
        let next = view.index(after: cr)
        guard next < view.endIndex else { return nil }
        guard view[next] == UInt8(ascii: "\n") else { throw .protocol("CR not followed by LF") }
        // Slices share their base's indices, so this is the CR's distance from the reader index.
        return buffer.readerIndex + (cr - buffer.readableBytesView.startIndex)
    }

    /// Strict decimal: optional `-`, 1 to 19 digits, must fit in `Int`.
    private static func parseInteger(_ line: ByteBuffer, what: String) throws(RedisError) -> Int {
        let bytes = line.readableBytesView
        var index = bytes.startIndex
        var negative = false
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index = bytes.index(after: index)
        }
        guard index < bytes.endIndex else { throw .protocol("empty \(what)") }
        var value = 0
        while index < bytes.endIndex {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                throw .protocol("invalid \(what) \"\(String(buffer: line))\"")
            }
            let digit = Int(byte - UInt8(ascii: "0"))
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { throw .protocol("\(what) out of range") }
            value = next
            index = bytes.index(after: index)
        }
        return value
    }
}
