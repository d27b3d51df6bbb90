import ArgumentParser
import Dispatch
import Foundation
import ParmanaCore
import ParmanaRuntime
import ParmanaWorkspace

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify the audit log, export it, sign a checkpoint, print inclusion or consistency proofs.",
        subcommands: [Verify.self, Export.self, Checkpoint.self, Proof.self])

    /// Runs the verifier's jobs on every core.
    static let parallel: AuditLogVerifier.JobRunner = { jobs, work in
        DispatchQueue.concurrentPerform(iterations: jobs) { work($0) }
    }

    /// Entries read and verified per step: bounded memory for any log size.
    static let chunk = 4096

    /// The next page of entries from `next`, never past `size`: a store a server appends
    /// to meanwhile is read as the prefix of `size` entries. Empty when there is none.
    static func page(_ store: any EvidenceStore, from next: Int, through size: Int) async throws(StoreError) -> [AuditRecord] {
        let want = min(chunk, size - next + 1)
        guard want > 0 else { return [] }
        return Array(try await store.entries(from: next, limit: want).prefix(want))
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify a whole log: hash chain, record hashes, every signature, fingerprints executed once, checkpoints, and what the store serves beside the log.",
            discussion: """
                Without --log: the workspace's store, including its projection (execution states, replay \
                records, pending queue, retained signals) rebuilt from the log and compared (SPEC §16.3). \
                With --log F [--log F2 …] --trust T: exported logs (parmana audit export), offline, with \
                nothing but the trust store; across several logs it also checks that no fingerprint was \
                executed in two of them (SPEC §16.4). Exit 0 when valid, 1 when not (the first bad seq is named).
                """)
        @OptionGroup var workspace: WorkspaceOptions
        @Option(name: .long, help: "Trust store (default: DIR/trust.json; required with --log).") var trust: String?
        @Option(name: .long, help: "An exported log (JSON Lines from 'parmana audit export'); repeat for several.") var log: [String] = []
        @OptionGroup var common: CommonOptions

        func run() async throws {
            var valid = true
            try await guardedAsync(json: common.json) {
                let report: AuditLogVerifier.Report
                if log.isEmpty {
                    report = try await verifyStore()
                } else {
                    guard let trust else { throw ParmanaError(.invalidRequest, "--log needs --trust T: an auditor verifies with nothing but the trust store") }
                    report = try verifyExports(try TrustStore(json: try FileIO.readJSON(trust)))
                }
                valid = report.valid
                if common.json {
                    printJSON(report.json)
                } else if report.valid {
                    printLine("VALID: \(report.size) entries, \(report.checkpointsChecked) checkpoints\(log.count > 1 ? " in \(log.count) logs, no fingerprint in two" : ", root \(report.rootHash)")")
                } else {
                    let codes = Set(report.problems.map(\.code.rawValue)).sorted().joined(separator: ", ")
                    printLine("INVALID: \(codes) at seq \(report.firstBadSeq ?? 0)")
                    for p in report.problems.sorted(by: { $0.seq < $1.seq }).prefix(20) {
                        let at = [p.logID.map { "log \($0)" }, "seq \(p.seq)", p.executionID.map { "execution \($0)" }].compactMap { $0 }.joined(separator: ", ")
                        printLine("  \(at): \(p.code.rawValue): \(p.message)")
                    }
                }
            }
            if !valid { throw ExitCode(1) }
        }

        func progress(_ s: String) { if !common.json { FileIO.writeStderr("… \(s)") } }

        func verifyStore() async throws(ParmanaError) -> AuditLogVerifier.Report {
            let ws = workspace.path
            let config = try WorkspaceRuntime.loadConfig(ws)
            let ts: TrustStore
            if let trust { ts = try TrustStore(json: try FileIO.readJSON(trust)) } else { ts = try WorkspaceRuntime.loadTrust(ws) }
            let store = try await WorkspaceRuntime.openStore(config.store, workspace: ws, timeoutMilliseconds: config.storeTimeoutMilliseconds)
            do throws(StoreError) {
                defer { Task { await store.close() } }
                var size = try await store.size()
                var verifier = AuditLogVerifier(trust: ts, runner: AuditCommand.parallel, rebuildProjection: true)
                verifier.begin(logID: config.logID, checkpoints: try await store.checkpoints())
                progress("verifying \(size) entries on \(ProcessInfo.processInfo.activeProcessorCount) cores")
                var next = 1
                var lastReport = Date()
                func verify(upTo size: Int) async throws(StoreError) {
                    while next <= size {
                        let page = try await AuditCommand.page(store, from: next, through: size)
                        if page.isEmpty { break }
                        verifier.verify(page)
                        next += page.count
                        if Date().timeIntervalSince(lastReport) > 2 {
                            progress("\(next - 1) of \(size) entries")
                            lastReport = Date()
                        }
                    }
                }
                try await verify(upTo: size)
                // What the store serves beside the log is compared at a moment the log did not
                // grow (every change of those rows comes with an appended entry): on a live
                // store, read them, and if entries were appended meanwhile, verify those too and
                // read again.
                var snapshot: (rows: [ProjectionRow], tree: [MerkleNodeID: [UInt8]])?
                for _ in 0..<5 {
                    let rows = try await store.projectionRows()
                    let ids = verifier.projection.treeNodes.keys.sorted()
                    var stored: [MerkleNodeID: [UInt8]] = [:]
                    for start in stride(from: 0, to: ids.count, by: 500) {
                        stored.merge(try await store.treeHashes(Array(ids[start..<min(ids.count, start + 500)]))) { a, _ in a }
                    }
                    let now = try await store.size()
                    if now == size { snapshot = (rows, stored); break }
                    progress("the log grew to \(now) entries while being verified; verifying the new ones")
                    try await verify(upTo: now)
                    size = now
                }
                var report = verifier.end()
                // The projection is rebuilt from the log: only a log that verifies can be the reference.
                if report.valid, let snapshot {
                    progress("comparing what the store serves with the log")
                    report.problems += verifier.projection.compare(snapshot.rows)
                    report.problems += verifier.projection.compare(treeHashes: snapshot.tree)
                    report.valid = report.problems.isEmpty
                } else if report.valid {
                    FileIO.writeStderr("note: the log kept growing while it was verified (\(size) entries verified): what the store serves beside it was not compared; run again when writes pause, or verify an export (parmana audit export)")
                } else {
                    progress("the log itself is broken: what the store serves beside it is not compared")
                }
                await store.close()
                return report
            } catch {
                throw ParmanaError(error)
            }
        }

        func verifyExports(_ ts: TrustStore) throws(ParmanaError) -> AuditLogVerifier.Report {
            var verifier = AuditLogVerifier(trust: ts, runner: AuditCommand.parallel)
            var reports: [AuditLogVerifier.Report] = []
            var seen: [String: String] = [:]   // log_id → the export that holds it
            for path in log {
                // Checkpoints come last in an export; read them first so roots are checked as the log streams by.
                var header: LogExport.Header?
                var checkpoints: [Envelope] = []
                try LineReader.forEach(path) { (line, n) throws(ParmanaError) in
                    if n == 1 || line.first == UInt8(ascii: "{") && line.starts(with: Array(#"{"checkpoint""#.utf8)) {
                        switch try LogExport.read(line, line: n) {
                        case .header(let h): header = h
                        case .checkpoint(let c): checkpoints.append(c)
                        case .entry: break
                        }
                    }
                }
                guard let h = header else { throw ParmanaError(.auditChainBroken, "\(path): no parmana.log-export/v1 header on line 1") }
                if let first = seen[h.logID] {
                    throw ParmanaError(.invalidRequest, "\(path) and \(first) are exports of the same log \(h.logID): give each log once "
                                       + "(in topology B every node exports the one shared log; verify one of them)")
                }
                seen[h.logID] = path
                let covered = checkpoints.compactMap { try? CheckpointPayload(json: $0.payload).size }.max() ?? 0
                if covered < h.size {
                    FileIO.writeStderr("warning: \(path): entries \(max(covered + 1, h.from))…\(h.size) are covered by no signed checkpoint in this export; "
                                       + "they are checked for consistency, but nothing signed shows the log held exactly these (sign one with "
                                       + "parmana audit checkpoint, then export again)")
                }
                progress("verifying \(path): log \(h.logID), node \(h.nodeID), entries \(h.from)…\(h.size)")
                verifier.begin(logID: h.logID, from: h.from, previousEntryHash: h.previousEntryHash, frontier: try h.merkleFrontier(),
                               checkpoints: checkpoints)
                var batch: [AuditRecord] = []
                var count = 0
                try LineReader.forEach(path) { (line, n) throws(ParmanaError) in
                    guard n > 1 else { return }
                    if case .entry(let r) = try LogExport.read(line, line: n) {
                        batch.append(r)
                        count += 1
                        if batch.count == AuditCommand.chunk {
                            verifier.verify(batch)
                            batch.removeAll(keepingCapacity: true)
                        }
                    }
                }
                verifier.verify(batch)
                var r = verifier.end()
                if h.from + count - 1 != h.size {
                    r.problems.append(.init(seq: h.from + count, code: .auditChainBroken,
                                            message: "the header says \(h.size) entries; the file holds entries \(h.from)…\(h.from + count - 1)", logID: h.logID))
                    r.valid = false
                }
                reports.append(r)
            }
            return AuditLogVerifier.combined(reports)
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the log as JSON Lines (parmana.log-export/v1): a header, every entry with its record, then the checkpoints.",
            discussion: "What an auditor receives: verify it offline with 'parmana audit verify --log F --trust trust.json'.")
        @OptionGroup var workspace: WorkspaceOptions
        @Option(name: .long, help: "First seq to export (default 1).") var from = 1
        @Option(name: .long, help: "Output file (default: standard output).") var out: String?
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await guardedAsync(json: common.json) {
                guard from >= 1 else { throw ParmanaError(.invalidRequest, "--from must be at least 1") }
                let ws = workspace.path
                let config = try WorkspaceRuntime.loadConfig(ws)
                let store = try await WorkspaceRuntime.openStore(config.store, workspace: ws, timeoutMilliseconds: config.storeTimeoutMilliseconds)
                let sink = try OutputSink(out)
                do {
                    let size = try await store.size()
                    guard from <= size + 1 else { throw ParmanaError(.invalidRequest, "--from \(from) is beyond the log (size \(size))") }
                    // The frontier before `from`, resumed as a writer would (O(log n) reads).
                    let ids = AuditChain.nodesToResume(size: from - 1)
                    let last = MerkleNodeID(level: 0, index: from - 2)
                    let stored = try await store.treeHashes(ids + (from > 1 ? [last] : []))
                    let previous = from > 1 ? stored[last] ?? [] : [UInt8](repeating: 0, count: 32)
                    let chain = try AuditChain.resume(size: from - 1, lastEntryHash: previous, storedHashes: ids.map { stored[$0] ?? [] })
                    let frontier = chain.frontier.subtrees.map(\.hash)
                    let header = LogExport.Header(logID: config.logID, nodeID: config.nodeID, size: size, from: from,
                                                  previousEntryHash: previous, frontier: frontier)
                    try sink.write(LogExport.headerLine(header))
                    // Exactly entries from…size, even while a server appends: the export is a
                    // consistent prefix of the log, as its header says.
                    var next = from
                    while next <= size {
                        let page = try await AuditCommand.page(store, from: next, through: size)
                        if page.isEmpty { break }
                        for r in page { try sink.write(LogExport.entryLine(r)) }
                        next += page.count
                        if out != nil && !common.json { FileIO.writeStderr("… \(next - 1) of \(size) entries") }
                    }
                    // Checkpoints of the exported range: a smaller one cannot be checked from it,
                    // a larger one (signed while exporting) covers entries that are not in it.
                    for cp in try await store.checkpoints() {
                        let cpSize = (try? CheckpointPayload(json: cp.payload).size) ?? -1
                        guard cpSize >= from - 1, cpSize <= size else { continue }
                        try sink.write(LogExport.checkpointLine(cp))
                    }
                    try sink.close()
                    await store.close()
                    if let out {
                        if common.json {
                            printJSON(["file": .string(out), "log_id": .string(config.logID), "node_id": .string(config.nodeID),
                                       "from": .number(Double(from)), "size": .number(Double(size))])
                        } else {
                            FileIO.writeStderr("exported entries \(from)…\(size) of log \(config.logID) to \(out)")
                        }
                    }
                } catch let e as StoreError {
                    await store.close()
                    throw ParmanaError(e)
                } catch {
                    await store.close()
                    throw error
                }
            }
        }
    }

    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a checkpoint of the log's current head with the checkpoint key and store it (O(log n)).")
        @OptionGroup var workspace: WorkspaceOptions
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await guardedAsync(json: common.json) {
                let cp = try await WorkspaceRuntime.with(workspace.path, replay: false) { (runtime) throws(ParmanaError) in try await runtime.checkpoint() }
                printJSON(cp.json)
            }
        }
    }

    struct Proof: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print an inclusion proof (with its signed checkpoint) or a consistency proof, in O(log n).",
            discussion: """
                Inclusion: --seq N or --execution ID (the execution's attestation entry), against the newest \
                checkpoint; an entry newer than it is not_yet_checkpointed (run 'parmana audit checkpoint'). \
                Consistency: --first A --second B.
                """)
        @Option(name: .long, help: "Audit entry seq.") var seq: Int?
        @Option(name: .long, help: "Execution id: prove its attestation entry.") var execution: String?
        @Option(name: .long, help: "Consistency proof from this size…") var first: Int?
        @Option(name: .long, help: "…to this size.") var second: Int?
        @OptionGroup var workspace: WorkspaceOptions
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await guardedAsync(json: common.json) {
                let out = try await WorkspaceRuntime.with(workspace.path, replay: false) { (runtime) throws(ParmanaError) -> JSONValue in
                    if let first, let second {
                        return try await runtime.consistencyProof(first: first, second: second)
                    }
                    var n = seq
                    if let execution { n = try await runtime.execution(execution).lifecycle.seq }
                    guard let n else { throw ParmanaError(.invalidRequest, "give --seq, --execution, or --first and --second") }
                    return try await runtime.inclusionProof(seq: n).json
                }
                printJSON(out)
            }
        }
    }
}

struct RuntimeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runtime",
        abstract: "Runtime provenance (SPEC §9).",
        subcommands: [Manifest.self])

    struct Manifest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print this binary's runtime manifest and runtime_hash; --sign KEY prints the signed envelope.",
            discussion: "Register a signed manifest with 'parmana trust add-runtime FILE' so its attestations verify with runtime_verified: true.")
        @Option(name: .long, help: "Sign with this attestation key file.") var sign: String?
        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await guardedAsync(json: common.json) {
                if let sign {
                    let key = try FileIO.loadPrivateKey(sign)
                    guard key.roles.contains(.attestation) else { throw ParmanaError(.untrustedKey, "\(sign) does not have the attestation role") }
                    let env = Envelope.sign(Provenance.manifest(keyID: key.keyID).json, with: key)
                    printJSON(env.json)
                    if !common.json { FileIO.writeStderr("runtime_hash \(RuntimeManifest.identityHash(of: env.payload))") }
                } else {
                    var m = Provenance.manifest(keyID: "").json
                    if case .object(var o) = m { o["key_id"] = nil; m = .object(o) }
                    printJSON(["manifest": m, "runtime_hash": .string(RuntimeManifest.identityHash(of: m))])
                }
            }
        }
    }
}
