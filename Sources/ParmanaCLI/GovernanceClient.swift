import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import ParmanaCore
import ParmanaWorkspace

/// A small client of the governance API (SPEC §15) for `--server` commands. A §13
/// error from the server comes back as the same ``ParmanaError``.
struct GovernanceClient {
    let baseURL: String
    let token: String
    /// A PEM file of CA certificates to trust for `https://` instead of the system's.
    var caCertificate: String?

    /// The token: `--token-file`, else `$PARMANA_TOKEN`, else the workspace's admin token.
    static func token(file: String?, workspace: Workspace) throws(ParmanaError) -> String {
        if let file { return try readToken(file) }
        if let t = CLIContext.current.overrides["PARMANA_TOKEN"], !t.isEmpty { return t }
        let fallback = workspace.tokens + "/admin.token"
        guard FileIO.exists(fallback) else {
            throw ParmanaError(.unauthorized, "no API token: pass --token-file F or set PARMANA_TOKEN")
        }
        return try readToken(fallback)
    }

    static func readToken(_ path: String) throws(ParmanaError) -> String {
        String(decoding: try FileIO.read(path), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func get(_ path: String) async throws(ParmanaError) -> JSONValue {
        try await send(.GET, path, body: nil)
    }

    func post(_ path: String, _ body: JSONValue) async throws(ParmanaError) -> JSONValue {
        try await send(.POST, path, body: CanonicalJSON.bytes(body))
    }

    private func send(_ method: HTTPMethod, _ path: String, body: [UInt8]?) async throws(ParmanaError) -> JSONValue {
        let url = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) + path : baseURL + path
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let status: UInt
        let bytes: [UInt8]
        // A refused connection fails at once instead of being retried until the deadline.
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(5)))
        configuration.connectionPool.retryConnectionEstablishment = false
        // https:// always verifies the server's certificate and name; --cacert adds a private CA.
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .fullVerification
        if let caCertificate {
            do { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caCertificate)) } catch {
                throw ParmanaError(.io, "--cacert \(caCertificate) is not a readable PEM certificate: \(error)")
            }
        }
        configuration.tlsConfiguration = tls
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let response = try await client.execute(request, timeout: .seconds(30))
            status = response.status.code
            bytes = Array(try await response.body.collect(upTo: 64 << 20).readableBytesView)
            try? await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw ParmanaError(.io, "cannot reach \(url): \(error)")
        }
        let json: JSONValue
        do { json = try JSONParser(maxBytes: 64 << 20).parse(bytes) } catch {
            throw ParmanaError(.io, "\(url) answered \(status) with a body that is not JSON")
        }
        guard (200..<300).contains(status) else {
            guard let codeText = json["error"]?["code"]?.stringValue, let code = ErrorCode(rawValue: codeText) else {
                throw ParmanaError(.io, "\(url) answered \(status)")
            }
            var e = ParmanaError(code, json["error"]?["message"]?.stringValue ?? "server error \(status)")
            e.executionID = json["error"]?["execution_id"]?.stringValue
            throw e
        }
        return json
    }
}
