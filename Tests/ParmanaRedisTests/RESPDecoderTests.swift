import NIOCore
import ParmanaRedis
import Testing

@Suite("RESP decoder and encoder")
struct RESPDecoderTests {
    /// Feeds `chunks` one after another into a single decoder and returns every value it produced.
    static func decodeAll(
        _ chunks: [[UInt8]],
        limits: RESPDecoder.Limits = .default
    ) throws(RedisError) -> [RESPValue] {
        var decoder = RESPDecoder(limits: limits)
        var buffer = ByteBuffer()
        var values: [RESPValue] = []
        for chunk in chunks {
            buffer.writeBytes(chunk)
            while let value = try decoder.decodeValue(from: &buffer) { values.append(value) }
        }
        return values
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    static let complexValues: [RESPValue] = [
        .array([
            .simpleString("OK"), .error("ERR boom"), .integer(-42), .bulkString(nil), .bulk(""),
            .bulkString(Array("line\r\nbreak\u{0}binary".utf8)),
            .array([.array([]), .array(nil), .array([.integer(Int.max), .integer(Int.min)])]),
            .bulk("héllo wörld"),
        ]),
        .array([.array([.array([.array([.bulk("deep")])])]), .integer(0)]),
        .bulk(String(repeating: "x", count: 300)),
        .array((0..<50).map { .integer($0) }),
    ]

    @Test("decodes every RESP2 type")
    func decodesEachType() throws {
        let wire = "+OK\r\n-WRONGTYPE Operation\r\n:123\r\n:-7\r\n$3\r\nabc\r\n$0\r\n\r\n$-1\r\n*-1\r\n*0\r\n"
            + "*2\r\n$1\r\na\r\n*1\r\n:1\r\n+\r\n"
        let values = try Self.decodeAll([Self.bytes(wire)])
        #expect(values == [
            .simpleString("OK"), .error("WRONGTYPE Operation"), .integer(123), .integer(-7), .bulk("abc"), .bulk(""),
            .bulkString(nil), .array(nil), .array([]), .array([.bulk("a"), .array([.integer(1)])]), .simpleString(""),
        ])
    }

    @Test("every split position of complex replies yields the same values", arguments: 0..<complexValues.count)
    func everySplitPosition(index: Int) throws {
        let value = Self.complexValues[index]
        // Two copies back to back, so a split can also fall between or inside the second frame.
        let wire = Array(RESPEncoder.encode(value).readableBytesView) + Array(RESPEncoder.encode(value).readableBytesView)
        for split in 0...wire.count {
            let values = try Self.decodeAll([Array(wire[..<split]), Array(wire[split...])])
            guard values == [value, value] else {
                Issue.record("split at byte \(split) of \(wire.count) decoded to \(values.count) value(s)")
                break  // one report per reply keeps the output readable
            }
        }
        // Three-way splits around every position pair would be quadratic; byte-by-byte covers all boundaries at once.
        let byteByByte = try Self.decodeAll(wire.map { [$0] })
        #expect(byteByByte == [value, value])
    }

    @Test("an incomplete frame yields nothing and consumes no partial scalar")
    func incompleteFrame() throws {
        var decoder = RESPDecoder()
        var buffer = ByteBuffer(string: "*2\r\n$5\r\nhel")
        #expect(try decoder.decodeValue(from: &buffer) == nil)
        #expect(decoder.isInsideReply)
        #expect(buffer.readableBytes == "$5\r\nhel".utf8.count)  // the array header was consumed, the bulk was not
        buffer.writeString("lo\r\n:1\r\n")
        #expect(try decoder.decodeValue(from: &buffer) == .array([.bulk("hello"), .integer(1)]))
        #expect(!decoder.isInsideReply)
        #expect(buffer.readableBytes == 0)
    }

    @Test(
        "garbage and malformed frames are protocol errors",
        arguments: [
            "hello\r\n", "HTTP/1.1 400 Bad Request\r\n", "%1\r\n", "_\r\n", ":12a\r\n", ":\r\n", ":+5\r\n",
            ":99999999999999999999\r\n", "$-2\r\n", "$abc\r\n", "$3\r\nabcXY", "*-5\r\n", "*x\r\n", "+OK\rX",
            "+O\nK\r\n", "*1\r\n?\r\n",
        ]
    )
    func protocolErrors(wire: String) {
        #expect(throws: RedisError.self) { try Self.decodeAll([Self.bytes(wire)]) }
        do {
            _ = try Self.decodeAll([Self.bytes(wire)])
        } catch {
            guard case .protocol = error else {
                Issue.record("expected .protocol, got \(error)")
                return
            }
        }
    }

    @Test("limits on bulk length, array length, nesting depth and line length")
    func limits() throws {
        let limits = RESPDecoder.Limits(maxBulkLength: 8, maxArrayLength: 3, maxNestingDepth: 2, maxLineLength: 10)
        // Exactly at each limit: accepted.
        #expect(try Self.decodeAll([Self.bytes("$8\r\n12345678\r\n")], limits: limits) == [.bulk("12345678")])
        #expect(try Self.decodeAll([Self.bytes("*3\r\n:1\r\n:2\r\n:3\r\n")], limits: limits).count == 1)
        #expect(try Self.decodeAll([Self.bytes("*1\r\n*1\r\n:1\r\n")], limits: limits) == [.array([.array([.integer(1)])])])
        #expect(try Self.decodeAll([Self.bytes("+0123456789\r\n")], limits: limits) == [.simpleString("0123456789")])
        // One past each limit: rejected, even before the payload arrives.
        let over = ["$9\r\n", "*4\r\n", "*1\r\n*1\r\n*1\r\n", "+01234567890", "+01234567890\r\n"]
        for wire in over {
            #expect(throws: RedisError.self, "\(wire.debugDescription)") {
                try Self.decodeAll([Self.bytes(wire)], limits: limits)
            }
        }
    }

    @Test("commands are encoded as arrays of bulk strings, binary-safe")
    func encodeCommand() {
        var buffer = ByteBuffer()
        RESPEncoder.writeCommand(["SET", "k", .bytes([0, 13, 10, 255]), 42, "é"], into: &buffer)
        let expected: [UInt8] = Array("*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\n".utf8) + [0, 13, 10, 255]
            + Array("\r\n$2\r\n42\r\n$2\r\n".utf8) + Array("é".utf8) + Array("\r\n".utf8)
        #expect(Array(buffer.readableBytesView) == expected)
    }

    @Test("encoded values decode back to themselves")
    func roundTrip() throws {
        for value in Self.complexValues {
            #expect(try Self.decodeAll([Array(RESPEncoder.encode(value).readableBytesView)]) == [value])
        }
    }

    @Test("RESPValue accessors")
    func accessors() {
        #expect(RESPValue.bulk("12").int == 12)
        #expect(RESPValue.integer(5).string == "5")
        #expect(RESPValue.bulkString(nil).isNull)
        #expect(RESPValue.array(nil).isNull)
        #expect(RESPValue.array(nil).array == nil)
        #expect(RESPValue.simpleString("OK").bytes == Array("OK".utf8))
        #expect(RedisError.server("NOSCRIPT No matching script").serverErrorKind == "NOSCRIPT")
        #expect(RedisError.timeout.serverErrorKind == nil)
    }
}
