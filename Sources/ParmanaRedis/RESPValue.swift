/// One RESP2 value, as sent by a Redis server.
///
/// RESP3-only types (maps, sets, doubles, push messages, ...) are not represented: the decoder rejects them as
/// protocol errors, which cannot happen unless the connection is switched to RESP3 with `HELLO 3`.
public enum RESPValue: Sendable, Hashable {
    /// `+OK\r\n`: a short status text. Never contains CR or LF.
    case simpleString(String)
    /// `-ERR message\r\n`: an error reply, without the leading `-`. ``RedisConnection/send(_:)`` turns a top-level
    /// error reply into ``RedisError/server(_:)``; inside arrays and ``RedisConnection/pipeline(_:)`` results it
    /// stays a value.
    case error(String)
    /// `:42\r\n`: a signed 64-bit integer.
    case integer(Int)
    /// `$3\r\nabc\r\n`: binary-safe bytes; `nil` is the null bulk string `$-1\r\n` (e.g. `GET` of a missing key).
    case bulkString([UInt8]?)
    /// `*2\r\n...`: an ordered list of values; `nil` is the null array `*-1\r\n` (e.g. a timed-out `BLPOP`).
    case array([RESPValue]?)

    /// A bulk string holding the UTF-8 bytes of `string`. Convenience for building expected values.
    public static func bulk(_ string: String) -> RESPValue {
        .bulkString(Array(string.utf8))
    }

    /// The text of a simple string or bulk string (bytes decoded as UTF-8, invalid sequences repaired with U+FFFD),
    /// or the decimal text of an integer. `nil` for null values, errors and arrays.
    public var string: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let bytes?): String(decoding: bytes, as: UTF8.self)
        case .integer(let number): String(number)
        default: nil
        }
    }

    /// The raw bytes of a bulk string or simple string; `nil` for anything else, including the null bulk string.
    public var bytes: [UInt8]? {
        switch self {
        case .bulkString(let bytes?): bytes
        case .simpleString(let text): Array(text.utf8)
        default: nil
        }
    }

    /// The value of an integer reply, or of a bulk/simple string holding a decimal integer; otherwise `nil`.
    public var int: Int? {
        switch self {
        case .integer(let number): number
        case .bulkString(let bytes?): Int(String(decoding: bytes, as: UTF8.self))
        case .simpleString(let text): Int(text)
        default: nil
        }
    }

    /// The elements of a non-null array; `nil` for anything else.
    public var array: [RESPValue]? {
        if case .array(let elements?) = self { return elements }
        return nil
    }

    /// `true` for the null bulk string and the null array.
    public var isNull: Bool {
        switch self {
        case .bulkString(nil), .array(nil): true
        default: false
        }
    }
}
