import Foundation
import GRDB

/// BLOB columns as `[UInt8]` (GRDB reads them as `Data`).
enum SQLiteBytes {
    static func one(_ db: Database, _ sql: String, _ arguments: StatementArguments = []) throws -> [UInt8]? {
        try Data.fetchOne(db.cachedStatement(sql: sql), arguments: arguments).map { Array($0) }
    }

    static func all(_ db: Database, _ sql: String, _ arguments: StatementArguments = []) throws -> [[UInt8]] {
        try Data.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map { Array($0) }
    }

    static func column(_ row: Row, _ name: String) -> [UInt8] {
        (row[name] as Data?).map { Array($0) } ?? []
    }

    static func optional(_ row: Row, _ name: String) -> [UInt8]? {
        (row[name] as Data?).map { Array($0) }
    }
}
