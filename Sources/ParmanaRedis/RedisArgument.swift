/// One argument of a Redis command (the command name is the first argument). Sent as a RESP bulk string, so it
/// may hold arbitrary bytes.
///
/// String and integer literals convert implicitly: `["SET", "key", "value"]`, `["EXPIRE", "key", 60]`.
/// Mix in variables with the factories: `["SET", .string(key), .bytes(payload)]`.
public struct RedisArgument: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    CustomStringConvertible
{
    enum Storage: Sendable, Hashable {
        case string(String)
        case bytes([UInt8])
    }

    let storage: Storage

    /// The UTF-8 bytes of `string`.
    public init(_ string: String) { storage = .string(string) }

    /// The decimal text of `integer`, e.g. `-12` is sent as the three-byte string `"-12"`.
    public init(_ integer: Int) { storage = .string(String(integer)) }

    /// Raw bytes, sent unchanged.
    public init(bytes: some Sequence<UInt8>) { storage = .bytes(Array(bytes)) }

    public init(stringLiteral value: String) { self.init(value) }
    public init(integerLiteral value: Int) { self.init(value) }

    /// The UTF-8 bytes of `string`.
    public static func string(_ string: String) -> RedisArgument { RedisArgument(string) }
    /// The decimal text of `integer`.
    public static func int(_ integer: Int) -> RedisArgument { RedisArgument(integer) }
    /// Raw bytes, sent unchanged.
    public static func bytes(_ bytes: some Sequence<UInt8>) -> RedisArgument { RedisArgument(bytes: bytes) }

    /// Number of bytes this argument occupies on the wire (without RESP framing).
    public var byteCount: Int {
        switch storage {
        case .string(let text): text.utf8.count
        case .bytes(let bytes): bytes.count
        }
    }

    public var description: String {
        switch storage {
        case .string(let text): text
        case .bytes(let bytes): String(decoding: bytes, as: UTF8.self)
        }
    }
}
