import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ParmanaCore
import ParmanaHTTP
import ParmanaRuntime
import ParmanaSQLite
import ParmanaTesting

/// A governance API on a real SQLite store in a fresh directory, with one token per role.
struct APIFixture {
    let harness: RuntimeHarness
    let store: any EvidenceStore
    let path: String
    let api: GovernanceAPI

    /// Token secrets by the role they carry.
    static let tokens: [APIRole: String] = [
        .admin: "pmn_admin_secret", .decide: "pmn_decide_secret", .read: "pmn_read_secret", .override: "pmn_override_secret",
    ]
    static let unknownToken = "pmn_not_configured"

    static func tempPath() -> String {
        let dir = NSTemporaryDirectory() + "parmana-http-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir + "/parmana.sqlite"
    }

    init(store: (any EvidenceStore)? = nil, maxBodyBytes: Int = 64 * 1024, requestTimeout: Duration = .seconds(30), maxInflight: Int = 512) async throws {
        path = APIFixture.tempPath()
        let s = try store ?? SQLiteEvidenceStore(path: path)
        self.store = s
        harness = try await RuntimeHarness(store: s)
        let tokens = try APIFixture.tokens.map { role, secret in
            try APIToken(name: role.rawValue, sha256Hex: Hashing.sha256Hex(Array(secret.utf8)), roles: [role.rawValue])
        }
        api = GovernanceAPI(runtime: harness.runtime,
                            settings: APISettings(tokens: tokens, maxBodyBytes: maxBodyBytes, requestTimeout: requestTimeout, maxInflight: maxInflight))
    }

    var logger: Logger {
        var l = Logger(label: "parmana-test")
        l.logLevel = .warning
        return l
    }

    /// The application on an ephemeral port (the test frameworks bind port 0).
    func application() throws -> some ApplicationProtocol {
        try GovernanceServer(api: api, host: "127.0.0.1", port: 0, logger: logger).application()
    }

    static func auth(_ role: APIRole? = .admin) -> HTTPFields {
        guard let role else { return [:] }
        return [.authorization: "Bearer \(tokens[role]!)"]
    }

    static func body(_ value: JSONValue) -> ByteBuffer { ByteBuffer(bytes: CanonicalJSON.bytes(value)) }

    static func decisionBody(_ id: String, amount: Double, kyc: Bool = true) -> ByteBuffer {
        body(["policy_id": "payments.release", "signals": signals(id, amount: amount, kyc: kyc)])
    }

    static func signals(_ id: String, amount: Double, kyc: Bool = true) -> JSONValue {
        ["payment_id": .string(id), "amount": .number(amount), "currency": "EUR", "kyc_verified": .bool(kyc)]
    }
}

extension TestResponse {
    /// The body parsed by the strict parser.
    var json: JSONValue {
        get throws { try JSONParser().parse(Array(body.readableBytesView)) }
    }

    /// The §13 error code, if the body is an error.
    var errorCode: String? { (try? json)?["error"]?["code"]?.stringValue }
}
