import HTTPTypes
import Hummingbird
import NIOCore
import ParmanaCore

/// Builds the API's responses: compact JSON bodies and §13 errors.
enum APIResponse {
    static let jsonType = "application/json"

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var bytes = CanonicalJSON.bytes(value)
        bytes.append(0x0A)
        var h = headers
        h[.contentType] = jsonType
        return Response(status: status, headers: h, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The §13 error body `{"error": {"code", "message", "details"}}` with its status.
    static func error(_ e: ParmanaError, status: HTTPResponse.Status? = nil) -> Response {
        var headers: HTTPFields = [:]
        if e.code == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        // Overload is temporary: tell the client when to come back (RFC 9110 §10.2.3).
        if e.code == .overloaded { headers[.retryAfter] = "1" }
        return json(e.json, status: status ?? ErrorStatus.of(e.code), headers: headers)
    }

    /// The §13 form of an error raised by the HTTP layer itself (no route, bad method, …).
    static func error(_ e: HTTPError) -> Response {
        let code: ErrorCode
        switch e.status {
        case .notFound: code = .notFound
        case .contentTooLarge: code = .tooLarge
        case .requestTimeout: code = .requestTimeout
        case .unauthorized: code = .unauthorized
        case .forbidden: code = .forbidden
        case .serviceUnavailable: code = .storeUnavailable
        default: code = e.status.code >= 500 ? .internalError : .invalidRequest
        }
        let message = e.body ?? (e.status == .notFound ? "no such endpoint; the API is described at /v1/openapi.json" : e.status.reasonPhrase)
        return error(ParmanaError(code, message), status: e.status)
    }
}
