import HTTPTypes
import Hummingbird
import Logging
import ParmanaCore

/// Runs around every request, matched or not: turns every error into the §13 shape
/// with its status, counts failures, tags the response with `X-Request-Id`, and logs
/// the request with that id.
struct APIMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let metrics: ServerMetrics

    static let requestIDHeader = HTTPField.Name("X-Request-Id")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        var failure: ParmanaError?
        do {
            response = try await next(request, context)
        } catch let e as ParmanaError {
            metrics.failed(e)
            failure = e
            response = APIResponse.error(e)
        } catch let e as HTTPError {
            response = APIResponse.error(e)
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(error)"])
            let e = ParmanaError(.internalError, "internal error (request \(context.id))")
            failure = e
            response = APIResponse.error(e)
        }
        response.headers[APIMiddleware.requestIDHeader] = context.id
        // A flood of refusals must not become a flood of log lines: `overloaded` is counted
        // (parmana_overload_refusals_total) and logged only at debug.
        let level: Logger.Level = switch failure?.code {
        case .storeUnavailable, .internalError: .error
        case .overloaded: .debug
        default: response.status.code >= 400 ? .info : .debug
        }
        // The metadata is built only when the line is written: most requests log nothing.
        guard context.logger.logLevel <= level else { return response }
        let elapsed = (ContinuousClock.now - start).components
        let ms = Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15
        var metadata: Logger.Metadata = [
            "method": "\(request.method.rawValue)", "path": "\(request.uri.path)",
            "status": "\(response.status.code)", "duration_ms": "\(ms)",
        ]
        if let failure { metadata["error_code"] = "\(failure.code.rawValue)" }
        context.logger.log(level: level, "request", metadata: metadata)
        return response
    }
}
