import ArgumentParser
import Crypto
import Foundation
import GRDB
import ParmanaCore
import ParmanaRuntime
import ParmanaWorkspace

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure decisions and their baselines in process, in one run (BENCHMARKS.md).",
        subcommands: [Decide.self, Fsync.self, Sign.self, Proof.self])

    /// Latency percentiles of a sample, in microseconds.
    struct Latency {
        var mean: Double, p50: Double, p99: Double, p999: Double

        init(_ samples: [Double]) {
            let s = samples.sorted()
            func q(_ f: Double) -> Double { s.isEmpty ? 0 : s[min(s.count - 1, Int((Double(s.count) * f).rounded(.down)))] }
            mean = s.isEmpty ? 0 : s.reduce(0, +) / Double(s.count)
            p50 = q(0.50)
            p99 = q(0.99)
            p999 = q(0.999)
        }

        var json: JSONValue {
            ["mean": .number((mean * 10).rounded() / 10), "p50": .number((p50 * 10).rounded() / 10),
             "p99": .number((p99 * 10).rounded() / 10), "p999": .number((p999 * 10).rounded() / 10)]
        }

        var text: String { String(format: "mean %.1f µs, p50 %.1f µs, p99 %.1f µs, p99.9 %.1f µs", mean, p50, p99, p999) }
    }

    static func microseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12
    }

    struct Decide: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Concurrent governed decisions with unique signals for a fixed time: throughput and latency (p50, p99, p99.9).",
            discussion: """
                Every decision is real: signed, consumed, logged, and — on a durable store — on disk before it \
                counts. --store memory: measures the same pipeline with no durability. Use a scratch workspace.
                """)
        @OptionGroup var workspace: WorkspaceOptions
        @Option(name: .long, help: "Store URL for this run (default: the workspace's store); memory: for in-memory decide.") var store: String?
        @Option(name: .customLong("policy-id"), help: "Policy to decide under.") var policyID = "payments.release"
        @Option(name: .long, help: "Signals corpus: one JSON object per line, used round-robin (default: payment signals).") var corpus: String?
        @Option(name: .customLong("unique-field"), help: "The corpus field made unique per decision (so no decision is a replay).") var uniqueField = "payment_id"
        @Option(name: .long, help: "Concurrent callers.") var concurrency = 64
        @Option(name: .long, help: "Seconds to run.") var seconds = 10
        @Option(name: .long, help: "Prefix of the unique ids (keep runs on one workspace distinct).") var prefix = "bench"
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await guardedAsync(json: common.json) {
                guard concurrency > 0, seconds > 0 else { throw ParmanaError(.invalidRequest, "--concurrency and --seconds must be positive") }
                var templates: [JSONObject] = []
                if let corpus {
                    try LineReader.forEach(corpus) { (line, n) throws(ParmanaError) in
                        guard case .object(let o) = try JSONParser().parse(line) else {
                            throw ParmanaError(.invalidRequest, "\(corpus):\(n): each line must be a JSON object of signals")
                        }
                        templates.append(o)
                    }
                    guard !templates.isEmpty else { throw ParmanaError(.invalidRequest, "\(corpus) holds no signals") }
                } else {
                    templates = [JSONObject([("payment_id", "x"), ("amount", 10), ("currency", "EUR"), ("kyc_verified", true)])]
                }
                let storeURL = store
                let (count, failures, elapsed, latencies, storeName) = try await WorkspaceRuntime.with(workspace.path, storeOverride: storeURL) {
                    (runtime) throws(ParmanaError) in
                    _ = try runtime.policy(policyID, version: nil)   // an unknown policy is an error, not a run of failures
                    if !common.json { FileIO.writeStderr("… \(concurrency) callers for \(seconds) s on \(storeURL ?? "the workspace's store")") }
                    let clock = ContinuousClock()
                    let start = clock.now
                    let deadline = start + .seconds(seconds)
                    let (prefix, policyID, uniqueField, templates) = (prefix, policyID, uniqueField, templates)
                    let results = await withTaskGroup(of: (Int, Int, [Double]).self) { group in
                        for caller in 0..<concurrency {
                            group.addTask {
                                var n = 0, failed = 0
                                var samples: [Double] = []
                                samples.reserveCapacity(1 << 16)
                                while clock.now < deadline {
                                    var o = templates[(caller + n * concurrency) % templates.count]
                                    o[uniqueField] = .string("\(prefix)_\(caller)_\(n)")
                                    let t0 = clock.now
                                    do throws(ParmanaError) {
                                        _ = try await runtime.decide(policyID: policyID, signals: .object(o))
                                        samples.append(BenchCommand.microseconds(clock.now - t0))
                                    } catch {
                                        failed += 1
                                    }
                                    n += 1
                                }
                                return (n - failed, failed, samples)
                            }
                        }
                        var total = (0, 0, [Double]())
                        for await r in group { total = (total.0 + r.0, total.1 + r.1, total.2 + r.2) }
                        return total
                    }
                    return (results.0, results.1, clock.now - start, results.2, storeURL ?? "workspace")
                }
                let secs = BenchCommand.microseconds(elapsed) / 1e6
                let rate = Double(count) / secs
                let latency = Latency(latencies)
                if common.json {
                    printJSON(["store": .string(storeName), "policy_id": .string(policyID), "concurrency": .number(Double(concurrency)),
                               "decisions": .number(Double(count)), "failures": .number(Double(failures)),
                               "seconds": .number((secs * 1000).rounded() / 1000), "decisions_per_second": .number(rate.rounded()),
                               "latency_us": latency.json])
                } else {
                    printLine("\(count) decisions in \(String(format: "%.1f", secs)) s: \(Int(rate)) decisions/s (\(failures) failures); \(latency.text)")
                }
            }
        }
    }

    struct Fsync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The durability baseline: single-row SQLite commits (WAL, synchronous=FULL) one after another, in DIR/data.",
            discussion: "What one fsync'd commit costs on this disk; the group commit is measured against it.")
        @OptionGroup var workspace: WorkspaceOptions
        @Option(name: .long, help: "Seconds to run.") var seconds = 5
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await guardedAsync(json: common.json) {
                let path = workspace.path.data + "/bench-fsync-\(getpid()).sqlite"
                defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
                var samples: [Double] = []
                do {
                    var config = Configuration()
                    config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
                    let pool = try DatabasePool(path: path, configuration: config)
                    try pool.writeWithoutTransaction { db in
                        try db.execute(sql: "PRAGMA synchronous = FULL")
                        try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)")
                    }
                    let clock = ContinuousClock()
                    let deadline = clock.now + .seconds(seconds)
                    var i = 0
                    while clock.now < deadline {
                        let t0 = clock.now
                        try pool.write { db in try db.execute(sql: "INSERT INTO t (v) VALUES (?)", arguments: [Data(count: 64)]) }
                        samples.append(BenchCommand.microseconds(clock.now - t0))
                        i += 1
                    }
                    try pool.close()
                } catch {
                    throw ParmanaError(.io, "the fsync baseline failed: \(error)")
                }
                let latency = Latency(samples)
                let rate = Double(samples.count) / (samples.reduce(0, +) / 1e6)
                if common.json {
                    printJSON(["commits": .number(Double(samples.count)), "commits_per_second": .number(rate.rounded()), "latency_us": latency.json])
                } else {
                    printLine("\(samples.count) fsync'd single-row commits: \(Int(rate))/s; \(latency.text)")
                }
            }
        }
    }

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The signing baseline: raw Ed25519 signatures of a 560-byte message (swift-crypto).",
            discussion: "--concurrency N signs on N tasks at once: how far this machine's cores scale the work that bounds a decision.")
        @Option(name: .long, help: "Seconds to run.") var seconds = 3
        @Option(name: .long, help: "Concurrent signers (tasks).") var concurrency = 1
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await guardedAsync(json: common.json) {
                guard concurrency >= 1 else { throw ParmanaError(.invalidRequest, "--concurrency must be at least 1") }
                let key = Curve25519.Signing.PrivateKey()
                let clock = ContinuousClock()
                let start = clock.now
                let deadline = start + .seconds(seconds)
                let results = await withTaskGroup(of: (Int, UInt8, [Double]).self) { group in
                    for worker in 0..<concurrency {
                        group.addTask {
                            var message = [UInt8](repeating: UInt8(truncatingIfNeeded: 0x61 + worker), count: 560)
                            var n = 0
                            var sink: UInt8 = 0
                            var samples: [Double] = []
                            samples.reserveCapacity(1 << 18)
                            while clock.now < deadline {
                                for _ in 0..<64 {
                                    message[n % 560] &+= 1
                                    let t0 = clock.now
                                    let s = try! key.signature(for: message)
                                    samples.append(BenchCommand.microseconds(clock.now - t0))
                                    sink ^= s.first ?? 0
                                    n += 1
                                }
                            }
                            return (n, sink, samples)
                        }
                    }
                    var total = (0, UInt8(0), [Double]())
                    for await r in group { total = (total.0 + r.0, total.1 ^ r.1, total.2 + r.2) }
                    return total
                }
                let (n, sink, samples) = results
                let secs = BenchCommand.microseconds(clock.now - start) / 1e6
                let rate = Double(n) / secs
                if common.json {
                    printJSON(["signatures": .number(Double(n)), "concurrency": .number(Double(concurrency)),
                               "signatures_per_second": .number(rate.rounded()),
                               "mean_us": .number((1e6 / rate * 100).rounded() / 100), "message_bytes": 560,
                               "latency_us": Latency(samples).json, "checksum": .number(Double(sink))])
                } else {
                    printLine("\(n) Ed25519 signatures in \(String(format: "%.1f", secs)) s on \(concurrency) task(s): \(Int(rate))/s; \(Latency(samples).text)")
                }
            }
        }
    }

    struct Proof: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Inclusion proofs and checkpoints on the workspace's log: latency in process (SPEC §16.1, O(log n)).",
            discussion: "Signs one checkpoint first (it is stored), then proves random entries against it and signs more checkpoints.")
        @OptionGroup var workspace: WorkspaceOptions
        @Option(name: .long, help: "Proofs and checkpoints to time.") var samples = 1000
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await guardedAsync(json: common.json) {
                guard samples > 0 else { throw ParmanaError(.invalidRequest, "--samples must be positive") }
                let (size, proofs, checkpoints) = try await WorkspaceRuntime.with(workspace.path, start: false) {
                    (runtime) throws(ParmanaError) -> (Int, [Double], [Double]) in
                    let clock = ContinuousClock()
                    var cps: [Double] = []
                    for _ in 0..<max(10, samples / 10) {
                        let t0 = clock.now
                        _ = try await runtime.checkpoint()
                        cps.append(BenchCommand.microseconds(clock.now - t0))
                    }
                    let size = try CheckpointPayload(json: try await runtime.latestCheckpoint()!.payload).size
                    var rng = SystemRandomNumberGenerator()
                    var ps: [Double] = []
                    for _ in 0..<samples {
                        let seq = Int.random(in: 1...max(1, size), using: &rng)
                        let t0 = clock.now
                        _ = try await runtime.inclusionProof(seq: seq)
                        ps.append(BenchCommand.microseconds(clock.now - t0))
                    }
                    return (size, ps, cps)
                }
                let p = Latency(proofs), c = Latency(checkpoints)
                if common.json {
                    printJSON(["log_size": .number(Double(size)), "inclusion_proof_us": p.json, "checkpoint_us": c.json])
                } else {
                    printLine("log of \(size) entries: inclusion proof \(p.text); checkpoint (signed, stored) \(c.text)")
                }
            }
        }
    }
}
