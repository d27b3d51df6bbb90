import ParmanaCore
import ParmanaRedis
import Testing

/// Runs `body` and captures its outcome, so that concurrent calls (`async let`) can be checked one by one.
func capture<T>(_ body: () async throws(RedisError) -> T) async -> Result<T, RedisError> {
    do {
        return .success(try await body())
    } catch {
        return .failure(error)
    }
}

/// Asserts that `body` throws a `RedisError` matching `matches`, and returns it.
@discardableResult
func expectRedisError<T>(
    _ what: Comment,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws(RedisError) -> T,
    matches: (RedisError) -> Bool
) async -> RedisError? {
    do {
        let value = try await body()
        Issue.record("\(what): expected an error, got \(value)", sourceLocation: sourceLocation)
        return nil
    } catch {
        #expect(matches(error), "\(what): unexpected error \(error)", sourceLocation: sourceLocation)
        return error
    }
}

/// Expects `body` to fail with `code`; returns the error.
@discardableResult
func expectError<T>(_ code: ErrorCode, sourceLocation: SourceLocation = #_sourceLocation,
                    _ body: () async throws(ParmanaError) -> T) async -> ParmanaError? {
    do {
        let value = try await body()
        Issue.record("expected \(code.rawValue), got \(value)", sourceLocation: sourceLocation)
        return nil
    } catch {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    }
}

/// `execution_fingerprint` of canonical signal bytes.
func fingerprint(_ signals: [UInt8]) -> String { Hashing.sha256Hex(signals) }
