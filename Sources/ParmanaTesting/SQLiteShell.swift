import Foundation
import ParmanaCore

/// The sqlite3 command-line shell, for tests that edit a database file as an outsider would.
public enum SQLiteShell {
    /// Runs SQL on the file; throws if the shell fails.
    public static func exec(_ path: String, _ sql: String) throws {
        _ = try run(path, sql)
    }

    /// Runs a query and returns its output, trimmed.
    public static func query(_ path: String, _ sql: String) throws -> String {
        try run(path, sql)
    }

    static func run(_ path: String, _ sql: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = [path, sql]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        if p.terminationStatus != 0 { throw ParmanaError(.io, "sqlite3 failed on: \(sql)") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
    }
}
