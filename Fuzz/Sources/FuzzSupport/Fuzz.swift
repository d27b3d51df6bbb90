// Shared helpers for the libFuzzer targets: input handling, findings, seed files.
import Foundation
import ParmanaCore

public enum Fuzz {
    /// The fuzzer's input as bytes.
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// A finding: prints one line libFuzzer's log keeps and aborts, so libFuzzer saves
    /// the input as a crash artifact.
    public static func fail(_ message: String) -> Never {
        let line = Array("PARMANA FUZZ FINDING: \(message)\n".utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        abort()
    }

    /// The input cut at NUL bytes (which valid JSON and YAML text never contain raw),
    /// so one input can carry several documents. Empty parts are kept.
    public static func parts(_ bytes: [UInt8]) -> [[UInt8]] {
        bytes.split(separator: 0, omittingEmptySubsequences: false).map(Array.init)
    }

    /// Joins documents into one input, the inverse of ``parts(_:)``.
    public static func join(_ docs: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for (i, d) in docs.enumerated() {
            if i > 0 { out.append(0) }
            out += d
        }
        return out
    }

    /// Seed files a target generates itself (signed artifacts need the harness's keys).
    /// When `FUZZ_SEEDS_DIR` names a directory, writes them there and exits; the
    /// fuzz script calls every target that way once before fuzzing it.
    public static func writeSeedsIfAsked(_ seeds: () -> [(name: String, bytes: [UInt8])]) {
        guard let dir = ProcessInfo.processInfo.environment["FUZZ_SEEDS_DIR"], !dir.isEmpty else { return }
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var n = 0
        for seed in seeds() {
            _ = FileManager.default.createFile(atPath: dir + "/" + seed.name, contents: Data(seed.bytes))
            n += 1
        }
        print("wrote \(n) seeds to \(dir)")
        exit(0)
    }

    /// Runs async work to completion from libFuzzer's synchronous callback.
    public static func blocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
        let box = Box<T>()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            box.value = await body()
            done.signal()
        }
        done.wait()
        return box.value!
    }
}

final class Box<T>: @unchecked Sendable {
    var value: T?
}
