import Benchmark
import Dispatch
import Foundation
import GRDB
import ParmanaCore
import ParmanaRuntime
import ParmanaSQLite
import Synchronization

/// A runtime for benchmarks: fresh keys, the payments policy, a given store.
func makeRuntime(_ store: any EvidenceStore) -> (Runtime, TrustStore) {
    let att = SigningKey(roles: [.attestation, .checkpoint])
    let pol = SigningKey(roles: [.policy])
    let epoch = Timestamp("2026-01-01T00:00:00.000Z")!
    var trust = TrustStore()
    try! trust.add(TrustedKey(publicKey: att.publicKey, roles: [.attestation, .checkpoint], validFrom: epoch))
    try! trust.add(TrustedKey(publicKey: pol.publicKey, roles: [.policy], validFrom: epoch))
    let manifest = Envelope.sign(RuntimeManifest(version: "0.1.0", executableSHA256: String(repeating: "ab", count: 32), keyID: att.keyID).json, with: att)
    try! trust.register(manifest: manifest)
    let policy = Policy(jsonText: PolicyFixtures.paymentsText)
    var reg = PolicyRegistry()
    try! reg.add(try! LoadedPolicy(json: LoadedPolicy.sign(policy, with: pol).json, trust: trust, requireSigned: true))
    let rt = Runtime(RuntimeConfiguration(store: store, trust: trust, signer: att, checkpointSigner: att,
                                          clock: SystemClock(), manifest: manifest), policies: reg)
    return (rt, trust)
}

extension Policy {
    init(jsonText: String) { self = try! Policy(json: try! JSONParser().parse(jsonText)) }
}

extension PolicyFixtures {
    static let paymentsText = """
        {"type": "parmana.policy/v1", "policy_id": "payments.release", "version": "1.2.0",
         "signals": {"payment_id": {"type": "string", "required": true}, "amount": {"type": "number", "required": true, "minimum": 0},
                     "currency": {"type": "string", "required": true, "enum": ["EUR", "USD"]}, "kyc_verified": {"type": "boolean", "required": true}},
         "rules": [{"id": "kyc-required", "when": {"signal": "kyc_verified", "equals": false}, "then": {"action": "reject", "reason": "kyc_not_verified"}},
                   {"id": "large", "when": {"signal": "amount", "gt": 10000}, "then": {"action": "approve", "requires_override": true, "reason": "manual_review"}},
                   {"id": "standard", "when": {"signal": "amount", "lte": 10000}, "then": {"action": "approve", "reason": "within_limits"}}]}
        """
}

/// Unique signals per call (a retry is a new event: the replay store refuses repeats).
final class SignalSource: Sendable {
    private let counter = Mutex(0)
    let prefix: String
    init(_ prefix: String) { self.prefix = prefix }
    func next() -> [UInt8] {
        let n = counter.withLock { c -> Int in c += 1; return c }
        return Array("{\"payment_id\":\"\(prefix)-\(n)\",\"amount\":1250.5,\"currency\":\"EUR\",\"kyc_verified\":true}".utf8)
    }
}

func tempPath(_ name: String) -> String {
    let dir = NSTemporaryDirectory() + "parmana-bench-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir + "/" + name
}

func runtimeBenchmarks() {
    // In-memory decide, one caller at a time.
    let (memRuntime, _) = makeRuntime(MemoryEvidenceStore())
    let memSignals = SignalSource("mem")
    Benchmark("decide: in-memory, single caller") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try! await memRuntime.decide(policyID: "payments.release", signals: memSignals.next()))
        }
    }

    let memSignals64 = SignalSource("mem64")
    Benchmark("decide: in-memory, 64 concurrent callers (per 64 decisions)",
              configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .one, maxDuration: .seconds(3))) { benchmark in
        for _ in benchmark.scaledIterations {
            await withTaskGroup(of: Void.self) { g in
                for _ in 0..<64 {
                    g.addTask { blackHole(try! await memRuntime.decide(policyID: "payments.release", signals: memSignals64.next())) }
                }
            }
        }
    }

    // The disk's own floor: one fsync'd single-row commit (WAL, synchronous=FULL).
    let fsyncConfig: Configuration = {
        var c = Configuration()
        c.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        return c
    }()
    let fsyncDB = try! DatabasePool(path: tempPath("fsync.sqlite"), configuration: fsyncConfig)
    try! fsyncDB.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }  // GRDB sets NORMAL for WAL
    try! fsyncDB.write { db in try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)") }
    Benchmark("baseline: fsync'd single-row SQLite commit",
              configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .one, maxDuration: .seconds(3))) { benchmark in
        for _ in benchmark.scaledIterations {
            try! fsyncDB.write { db in try db.execute(sql: "INSERT INTO t (v) VALUES ('x')") }
        }
    }

    // Durable SQLite decide, 64 concurrent callers per iteration (one iteration = 64 decisions).
    let sqlite = try! SQLiteEvidenceStore(path: tempPath("decide.sqlite"))
    let (sqlRuntime, _) = makeRuntime(sqlite)
    let sqlSignals = SignalSource("sql")
    Benchmark("decide: durable SQLite, 64 concurrent callers (per 64 decisions)",
              configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .one, maxDuration: .seconds(5))) { benchmark in
        for _ in benchmark.scaledIterations {
            await withTaskGroup(of: Void.self) { g in
                for _ in 0..<64 {
                    g.addTask { blackHole(try! await sqlRuntime.decide(policyID: "payments.release", signals: sqlSignals.next())) }
                }
            }
        }
    }

    // Audit verification of 100,000 entries on every core, against raw verification of
    // 100,000 signatures on every core.
    let auditCount = 100_000
    let cores = ProcessInfo.processInfo.activeProcessorCount
    Benchmark("audit verify: 100,000 entries, all cores",
              configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .one, maxDuration: .seconds(60), maxIterations: 3),
              closure: { benchmark, fixture in
        let (records, trust) = fixture
        benchmark.startMeasurement()
        let report = AuditLogVerifier(trust: trust).verify(records, checkpoints: [], runner: parallelRunner)
        benchmark.stopMeasurement()
        precondition(report.valid)
    }, setup: { () async -> ([AuditRecord], TrustStore) in
        let store = MemoryEvidenceStore()
        let (rt, trust) = makeRuntime(store)
        let src = SignalSource("audit")
        for _ in 0..<auditCount { _ = try! await rt.decide(policyID: "payments.release", signals: src.next()) }
        return (try! await store.allEntries(), trust)
    })

    let vkey = SigningKey(roles: [.attestation])
    let vmsg = Array(repeating: UInt8(0x62), count: 480)
    let vsig = vkey.sign(vmsg)
    Benchmark("baseline: raw Ed25519 verify ×100,000, all cores",
              configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .one, maxDuration: .seconds(60), maxIterations: 3)) { benchmark in
        let ok = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: cores * 8) { c in
            var n = 0
            for _ in 0..<(auditCount / (cores * 8)) where vkey.publicKey.isValidSignature(vsig, for: vmsg) { n += 1 }
            ok.withLock { $0 += n }
        }
        blackHole(ok.withLock { $0 })
    }
}

let parallelRunner: AuditLogVerifier.JobRunner = { jobs, work in
    let results = Mutex([[AuditLogVerifier.Problem]](repeating: [], count: jobs))
    DispatchQueue.concurrentPerform(iterations: jobs) { j in
        let found = work(j)
        results.withLock { $0[j] = found }
    }
    return results.withLock { $0.flatMap { $0 } }
}
