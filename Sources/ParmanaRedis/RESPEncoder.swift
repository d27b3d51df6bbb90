import NIOCore

/// Writes RESP2 onto a `ByteBuffer`.
///
/// Commands go to the server as an array of bulk strings: `["GET", "k"]` becomes `*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`.
public enum RESPEncoder {
    private static let crlf: StaticString = "\r\n"

    /// Appends `command` as a RESP array of bulk strings. An empty command writes `*0\r\n`, which Redis ignores,
    /// so callers reject empty commands before encoding (``RedisConnection`` does).
    public static func writeCommand(_ command: [RedisArgument], into buffer: inout ByteBuffer) {
        writeHeader(UInt8(ascii: "*"), command.count, into: &buffer)
        for argument in command {
            writeHeader(UInt8(ascii: "$"), argument.byteCount, into: &buffer)
            switch argument.storage {
            case .string(let text): buffer.writeString(text)
            case .bytes(let bytes): buffer.writeBytes(bytes)
            }
            buffer.writeStaticString(crlf)
        }
    }

    /// Appends any RESP2 value (used for tests and fake servers; clients only send commands).
    /// Simple strings and errors must not contain CR or LF; that is not checked.
    public static func writeValue(_ value: RESPValue, into buffer: inout ByteBuffer) {
        switch value {
        case .simpleString(let text):
            buffer.writeInteger(UInt8(ascii: "+"))
            buffer.writeString(text)
            buffer.writeStaticString(crlf)
        case .error(let text):
            buffer.writeInteger(UInt8(ascii: "-"))
            buffer.writeString(text)
            buffer.writeStaticString(crlf)
        case .integer(let number):
            writeHeader(UInt8(ascii: ":"), number, into: &buffer)
        case .bulkString(nil):
            writeHeader(UInt8(ascii: "$"), -1, into: &buffer)
        case .bulkString(let bytes?):
            writeHeader(UInt8(ascii: "$"), bytes.count, into: &buffer)
            buffer.writeBytes(bytes)
            buffer.writeStaticString(crlf)
        case .array(nil):
            writeHeader(UInt8(ascii: "*"), -1, into: &buffer)
        case .array(let elements?):
            writeHeader(UInt8(ascii: "*"), elements.count, into: &buffer)
            for element in elements { writeValue(element, into: &buffer) }
        }
    }

    /// The encoding of `value` as a fresh buffer.
    public static func encode(_ value: RESPValue) -> ByteBuffer {
        var buffer = ByteBuffer()
        writeValue(value, into: &buffer)
        return buffer
    }

    private static func writeHeader(_ type: UInt8, _ number: Int, into buffer: inout ByteBuffer) {
        buffer.writeInteger(type)
        buffer.writeString(String(number))
        buffer.writeStaticString(crlf)
    }
}
