import Foundation
import Logging
import ParmanaCore
import ParmanaRedis
import ParmanaPostgres
import ParmanaRuntime
import ParmanaSQLite
import ServiceLifecycle

/// The composition root: opens a workspace (SPEC §14 layout) into a ready ``Runtime``,
/// choosing back ends by URL, and owns their lifecycle — as services for `serve`
/// (``services(logger:)``), or around one command (``with(_:config:clock:storeOverride:start:_:)``).
/// Refuses to start without config, keys, trust store or policies, saying how to fix
/// it; never generates a key silently.
public struct WorkspaceRuntime: Sendable {
    public let workspace: Workspace
    public let config: WorkspaceConfig
    public let trust: TrustStore
    public let runtime: Runtime

    static func missing(_ what: String, _ path: String) -> ParmanaError {
        ParmanaError(.invalidConfig, "\(what) not found at \(path); create a workspace with 'parmana init --dir \((path as NSString).deletingLastPathComponent)' or pass --dir")
    }

    public static func loadConfig(_ ws: Workspace) throws(ParmanaError) -> WorkspaceConfig {
        guard FileIO.exists(ws.config) else { throw missing("config.json", ws.config) }
        return try WorkspaceConfig(json: try FileIO.readJSON(ws.config)).applying(overrides: CLIContext.current.overrides)
    }

    public static func loadTrust(_ ws: Workspace) throws(ParmanaError) -> TrustStore {
        guard FileIO.exists(ws.trust) else { throw missing("trust.json", ws.trust) }
        return try TrustStore(json: try FileIO.readJSON(ws.trust))
    }

    /// A store URL fit for banners and logs: a PostgreSQL password becomes `***`.
    public static func redactedStoreURL(_ url: String) -> String {
        guard PostgresStoreConfiguration.isPostgresURL(url) else { return url }
        return (try? PostgresStoreConfiguration(url: url))?.redactedURL ?? "postgres://(unreadable URL)"
    }

    /// Whether a store URL names a log shared by several nodes (topology B, SPEC §17.2).
    public static func isSharedLog(_ url: String) -> Bool { PostgresStoreConfiguration.isPostgresURL(url) }

    /// The evidence store named by a URL: `sqlite:PATH`, `memory:`, or
    /// `postgres://USER[:PASSWORD]@HOST:PORT/DB` (SPEC §17.2; `timeoutMilliseconds` is
    /// `store_timeout_ms`: the SQLite busy timeout, and the bound of every PostgreSQL operation).
    public static func openStore(_ url: String, workspace: Workspace, timeoutMilliseconds: Int = 2000) async throws(ParmanaError) -> any EvidenceStore {
        if url == "memory:" { return MemoryEvidenceStore() }
        if PostgresStoreConfiguration.isPostgresURL(url) {
            return try await PostgresEvidenceStore.open(url: url, timeoutMilliseconds: timeoutMilliseconds)
        }
        if url.hasPrefix("sqlite:") {
            var path = String(url.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path.removeFirst(2) }
            if !path.hasPrefix("/") { path = workspace.root + "/" + path }
            try FileIO.createDirectory((path as NSString).deletingLastPathComponent, mode: 0o700)
            do { return try SQLiteEvidenceStore(path: path, busyTimeout: .milliseconds(timeoutMilliseconds)) } catch { throw ParmanaError(error) }
        }
        throw ParmanaError(.invalidConfig, "unsupported store URL '\(url)'; use sqlite:PATH, postgres://USER@HOST:PORT/DB or memory: (Redis is a replay store: set replay_store)")
    }

    /// The shared replay store named by `replay_store` (topology A, SPEC §17.1), after its
    /// start-up durability check (SPEC §17.3): a Redis that could lose claims is refused
    /// with `invalid_config` naming each setting, unless `replay_store_unsafe` (then it is
    /// logged at warning level and returned as the risk the runtime records). The node id
    /// is bound to this workspace's `log_id` in the replay store at first use; a node id
    /// another workspace already uses is `invalid_config`. An unreachable Redis is
    /// `store_unavailable`; a malformed URL `invalid_config`.
    public static func openReplayStore(_ config: WorkspaceConfig, url text: String,
                                       logger: Logger) async throws(ParmanaError) -> (RedisReplayStore, ReplayStoreRisk?) {
        let url: RedisURL
        do { url = try RedisURL(text) } catch {
            throw ParmanaError(.invalidConfig, "replay_store: \(error.message)", details: [.init(pointer: "/replay_store", message: error.message)])
        }
        let replay = RedisReplayStore(url: url, prefix: config.replayStorePrefix, timeout: .milliseconds(config.storeTimeoutMilliseconds),
                                      replicas: config.replayStoreReplicas)
        do throws(ParmanaError) {
            let durability: RedisDurability
            do { durability = try await replay.durability() } catch { throw ParmanaError(error) }
            let findings = try durability.verdict(address: replay.address, unsafe: config.replayStoreUnsafe)
            let owner: String
            do { owner = try await replay.bind(node: config.nodeID, log: config.logID) } catch { throw ParmanaError(error) }
            guard owner == config.logID else {
                let message = "node_id \(config.nodeID) already belongs to the log \(owner) in the replay store \(replay.address) "
                    + "(prefix \(config.replayStorePrefix)), not to this workspace's log \(config.logID): two workspaces under one node_id "
                    + "would reconcile each other's claims away. Give this node its own node_id (parmana init --join, docs/deployment.md)"
                throw ParmanaError(.invalidConfig, message, details: [.init(pointer: "/node_id", message: "in use by the log \(owner)")])
            }
            guard config.replayStoreUnsafe else { return (replay, nil) }
            logger.warning("replay_store_unsafe: true — the replay store's durability is not guaranteed; every start is recorded in the audit log",
                           metadata: ["replay_store": "\(replay.address)",
                                      "unsafe_settings": "\(findings.isEmpty ? "none found" : findings.map(\.summary).joined(separator: ", "))"])
            return (replay, ReplayStoreRisk(replayStore: replay.address, unsafeSettings: findings.map(\.summary)))
        } catch {
            await replay.close()
            throw error
        }
    }

    /// Opens the workspace; `start` records runtime_started / policy_loaded and, with a
    /// replay store, reconciles this node's in-doubt claims (plus its in-flight ones with
    /// `reconcileInFlight`: only for the node's one long-running process, `serve`, before
    /// it decides anything). `config`, when given, is the workspace's configuration already
    /// loaded by the caller. `replay: false` opens this node's log alone, for commands that
    /// never decide (they must work while the shared replay store is down).
    public static func open(_ ws: Workspace, config loaded: WorkspaceConfig? = nil, clock: any Clock = SystemClock(), storeOverride: String? = nil,
                            start: Bool = true, reconcileInFlight: Bool = false, replay: Bool = true,
                            logger: Logger = Logger(label: "parmana")) async throws(ParmanaError) -> WorkspaceRuntime {
        let config: WorkspaceConfig
        if let loaded { config = loaded } else { config = try loadConfig(ws) }
        let trust = try loadTrust(ws)
        let keyPath = ws.root + "/" + config.attestationKey
        guard FileIO.exists(keyPath) else { throw missing("the attestation key", keyPath) }
        let key = try FileIO.loadPrivateKey(keyPath)
        guard key.roles.contains(.attestation) else { throw ParmanaError(.invalidConfig, "\(keyPath) does not have the attestation role") }
        let cpPath = ws.root + "/" + config.checkpointKey
        guard FileIO.exists(cpPath) else { throw missing("the checkpoint key", cpPath) }
        let cpKey = try FileIO.loadPrivateKey(cpPath)
        guard cpKey.roles.contains(.checkpoint) else {
            throw ParmanaError(.invalidConfig, "\(cpPath) (checkpoint_key) does not have the checkpoint role; checkpoints could never be signed")
        }
        guard trust.key(key.keyID) != nil else {
            throw ParmanaError(.invalidConfig, "the attestation key \(key.keyID) is not in \(ws.trust); add it with 'parmana trust add-key'")
        }
        guard !PolicyFiles.installed(ws).isEmpty else {
            throw ParmanaError(.invalidConfig, "no policies in \(ws.policies); sign one with 'parmana policy sign' and install it with 'parmana policy add'")
        }
        let registry = try PolicyFiles.registry(ws, trust: trust, requireSigned: config.requireSignedPolicies)
        let manifest = Envelope.sign(Provenance.manifest(keyID: key.keyID).json, with: key)
        let local = try await openStore(storeOverride ?? config.store, workspace: ws, timeoutMilliseconds: config.storeTimeoutMilliseconds)
        var store: any EvidenceStore = local
        var risk: ReplayStoreRisk?
        if replay, let url = config.replayStore {
            do {
                let (replay, accepted) = try await openReplayStore(config, url: url, logger: logger)
                store = SplitEvidenceStore(local: local, replay: replay, nodeID: config.nodeID)
                risk = accepted
            } catch {
                await local.close()
                throw error
            }
        }
        let runtime = Runtime(RuntimeConfiguration(
            store: store, trust: trust, signer: key, checkpointSigner: cpKey,
            clock: clock, manifest: manifest, logID: config.logID, nodeID: config.nodeID, retainSignals: config.retainSignals,
            checkpointIntervalSeconds: config.checkpointIntervalSeconds, acceptedReplayStoreRisk: risk), policies: registry)
        if start {
            do throws(ParmanaError) {
                try await runtime.start()
                if let split = store as? SplitEvidenceStore {
                    let done: SplitEvidenceStore.Reconciliation
                    do { done = try await split.reconcile(includeInFlight: reconcileInFlight) } catch { throw ParmanaError(error) }
                    if !done.kept.isEmpty || !done.released.isEmpty {
                        logger.info("replay claims reconciled from this node's log",
                                    metadata: ["kept": "\(done.kept.count)", "released": "\(done.released.count)"])
                    }
                }
            } catch {
                await store.close()
                throw error
            }
        }
        return WorkspaceRuntime(workspace: ws, config: config, trust: trust, runtime: runtime)
    }

    /// Opens the workspace, runs `body`, and closes the store whatever happens: the
    /// lifecycle of a one-shot command.
    public static func with<T>(_ ws: Workspace, config: WorkspaceConfig? = nil, clock: any Clock = SystemClock(), storeOverride: String? = nil,
                               start: Bool = true, replay: Bool = true,
                               _ body: (Runtime) async throws(ParmanaError) -> T) async throws(ParmanaError) -> T {
        let opened = try await open(ws, config: config, clock: clock, storeOverride: storeOverride, start: start, replay: replay)
        return try await opened.run(body)
    }

    /// The shared replay store's URL without credentials (topology A), or nil.
    public var replayStoreAddress: String? {
        ((runtime.store as? SplitEvidenceStore)?.replay as? RedisReplayStore)?.address
    }

    /// Runs `body` on this runtime, then closes the store whatever happens.
    public func run<T>(_ body: (Runtime) async throws(ParmanaError) -> T) async throws(ParmanaError) -> T {
        let opened = self
        do {
            let result = try await body(opened.runtime)
            await opened.runtime.store.close()
            return result
        } catch {
            await opened.runtime.store.close()
            throw error
        }
    }

    /// The services that own the runtime's lifecycle under `serve`, in service-group
    /// order: the store (stopped last), the checkpointer, the expiry sweeper and, in
    /// topology A, the in-doubt claim reconciler. The caller appends its HTTP server,
    /// which then stops first.
    public func services(logger: Logger) -> [any Service] {
        var services: [any Service] = [
            StoreService(store: runtime.store, logger: logger),
            CheckpointerService(runtime: runtime, interval: .seconds(config.checkpointIntervalSeconds), logger: logger),
            ExpirySweeperService(runtime: runtime, logger: logger),
        ]
        if let split = runtime.store as? SplitEvidenceStore { services.append(ReplayReconcilerService(store: split, logger: logger)) }
        return services
    }
}
