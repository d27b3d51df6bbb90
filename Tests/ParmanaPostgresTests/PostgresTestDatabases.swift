import Foundation
import Logging
import ParmanaPostgres
import ParmanaRuntime
import PostgresNIO
import Synchronization
import Testing

/// Fresh databases on the test server (`PARMANA_TEST_POSTGRES_URL`, from
/// `scripts/services.sh start postgres`): one per store a test makes, with a random name,
/// dropped when the test ends. Without the variable a test fails, naming the fix: these
/// tests never skip.
final class PostgresTestDatabases: Sendable {
    let admin: PostgresStoreConfiguration
    private let created = Mutex<[String]>([])

    static let logger = Logger(label: "parmana.postgres.tests")
    /// `store_timeout_ms` of tests that are not about time: the whole suite runs in
    /// parallel on two cores, where a commit may wait seconds for a thread.
    static let generousTimeout = 60_000

    init(url: String? = nil) throws {
        guard let url = url ?? ProcessInfo.processInfo.environment["PARMANA_TEST_POSTGRES_URL"], !url.isEmpty else {
            throw TestSetupError("PARMANA_TEST_POSTGRES_URL is not set: start PostgreSQL with "
                + "'eval \"$(scripts/services.sh start postgres)\"' (scripts/test.sh does this)")
        }
        admin = try PostgresStoreConfiguration(url: url)
    }

    /// Runs `body` with this set of databases, then drops every database it created.
    static func with<T>(url: String? = nil, _ body: (PostgresTestDatabases) async throws -> T) async throws -> T {
        let dbs = try PostgresTestDatabases(url: url)
        do {
            let value = try await body(dbs)
            try await dbs.dropAll()
            return value
        } catch {
            try? await dbs.dropAll()
            throw error
        }
    }

    /// A new empty database; its configuration.
    func create(timeoutMilliseconds: Int = PostgresTestDatabases.generousTimeout) async throws -> PostgresStoreConfiguration {
        let name = "parmana_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        try await adminQuery("CREATE DATABASE \(name)")
        created.withLock { $0.append(String(name)) }
        var config = admin
        config.database = String(name)
        config.timeoutMilliseconds = timeoutMilliseconds
        return config
    }

    /// A store on a new empty database.
    func make(timeoutMilliseconds: Int = PostgresTestDatabases.generousTimeout) async throws -> PostgresEvidenceStore {
        try await PostgresEvidenceStore.open(try await create(timeoutMilliseconds: timeoutMilliseconds))
    }

    func dropAll() async throws {
        let names = created.withLock { n in defer { n = [] }; return n }
        for name in names { try await adminQuery("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
    }

    /// One statement on the admin database.
    func adminQuery(_ sql: String) async throws {
        try await Self.query(admin, sql)
    }

    /// One statement on a connection of its own (not a store's pool).
    static func query(_ c: PostgresStoreConfiguration, _ sql: String) async throws {
        let conn = try await connect(c)
        do {
            try await conn.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            try await conn.close()
        } catch {
            try? await conn.close()
            throw error
        }
    }

    static func connect(_ c: PostgresStoreConfiguration) async throws -> PostgresConnection {
        var config = PostgresConnection.Configuration(host: c.host, port: c.port, username: c.username, password: c.password,
                                                      database: c.database, tls: .disable)
        config.options.connectTimeout = .seconds(10)
        return try await PostgresConnection.connect(configuration: config, id: 1, logger: logger)
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
