import Foundation
import ParmanaTesting
import Testing

/// ParmanaCore must stay pure: no clock, files, processes or network (docs/architecture.md, "Rules the code keeps").
@Suite struct PurityTests {
    static let forbiddenImports = ["Glibc", "Darwin", "Musl", "NIO", "Dispatch", "FoundationNetworking", "Network"]
    static let forbiddenCalls = [
        "Date(", "Date.now", "ContinuousClock", "SuspendingClock", "clock_gettime", "gettimeofday", "time(nil)",
        "FileManager", "FileHandle", "fopen(", " open(", "contentsOfFile", "Data(contentsOf", "write(toFile", "ProcessInfo", "Process(",
        "getenv", "URLSession", "socket(", "Thread.sleep", "Task.sleep", "DispatchQueue", "arc4random",
        "SystemRandomNumberGenerator", ".random(",
    ]

    @Test func coreImportsOnlyCrypto() throws {
        let files = try swiftFiles(in: RepoPaths.root + "/Sources/ParmanaCore")
        #expect(files.count > 10)
        for file in files {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("import ") || line.contains(" import ") {
                let module = line.split(separator: " ").last.map(String.init) ?? ""
                #expect(!Self.forbiddenImports.contains(module), "\(file): \(line)")
                #expect(module == "Crypto", "\(file) imports \(module)")
            }
            for call in Self.forbiddenCalls {
                #expect(!text.contains(call), "\(file) uses \(call)")
            }
        }
    }

    @Test func packageGivesCoreOnlySwiftCrypto() throws {
        let manifest = try String(contentsOfFile: RepoPaths.root + "/Package.swift", encoding: .utf8)
        let start = try #require(manifest.range(of: "name: \"ParmanaCore\",\n"))
        let block = manifest[start.upperBound...].prefix { $0 != ")" }
        #expect(block.contains("\"Crypto\""))
        #expect(!block.contains("NIO") && !block.contains("GRDB") && !block.contains("Logging"))
    }
}
