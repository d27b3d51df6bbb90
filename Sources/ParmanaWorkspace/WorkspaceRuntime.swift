import Foundation
import Logging
import ParmanaCore
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

    /// The evidence store named by a URL: `sqlite:PATH`, `memory:`, or
    /// `postgres://USER[:PASSWORD]@HOST:PORT/DB` (SPEC §17.2; `timeoutMilliseconds` is
    /// `store_timeout_ms`, which bounds every PostgreSQL operation).
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
            do { return try SQLiteEvidenceStore(path: path) } catch { throw ParmanaError(error) }
        }
        throw ParmanaError(.invalidConfig, "unsupported store URL '\(url)'; use sqlite:PATH, postgres://USER@HOST:PORT/DB or memory:")
    }

    /// Opens the workspace; `start` records runtime_started / policy_loaded.
    /// `config`, when given, is the workspace's configuration already loaded by the caller.
    public static func open(_ ws: Workspace, config loaded: WorkspaceConfig? = nil, clock: any Clock = SystemClock(), storeOverride: String? = nil,
                            start: Bool = true) async throws(ParmanaError) -> WorkspaceRuntime {
        let config: WorkspaceConfig
        if let loaded { config = loaded } else { config = try loadConfig(ws) }
        let trust = try loadTrust(ws)
        let keyPath = ws.root + "/" + config.attestationKey
        guard FileIO.exists(keyPath) else { throw missing("the attestation key", keyPath) }
        let key = try FileIO.loadPrivateKey(keyPath)
        guard key.roles.contains(.attestation) else { throw ParmanaError(.invalidConfig, "\(keyPath) does not have the attestation role") }
        let cpPath = ws.root + "/" + config.checkpointKey
        let cpKey = FileIO.exists(cpPath) ? try FileIO.loadPrivateKey(cpPath) : nil
        guard trust.key(key.keyID) != nil else {
            throw ParmanaError(.invalidConfig, "the attestation key \(key.keyID) is not in \(ws.trust); add it with 'parmana trust add-key'")
        }
        guard !PolicyFiles.installed(ws).isEmpty else {
            throw ParmanaError(.invalidConfig, "no policies in \(ws.policies); sign one with 'parmana policy sign' and install it with 'parmana policy add'")
        }
        let registry = try PolicyFiles.registry(ws, trust: trust, requireSigned: config.requireSignedPolicies)
        let manifest = Envelope.sign(Provenance.manifest(keyID: key.keyID).json, with: key)
        let store = try await openStore(storeOverride ?? config.store, workspace: ws, timeoutMilliseconds: config.storeTimeoutMilliseconds)
        let runtime = Runtime(RuntimeConfiguration(
            store: store, trust: trust, signer: key, checkpointSigner: cpKey?.roles.contains(.checkpoint) == true ? cpKey : nil,
            clock: clock, manifest: manifest, logID: config.logID, nodeID: config.nodeID, retainSignals: config.retainSignals,
            checkpointIntervalSeconds: config.checkpointIntervalSeconds), policies: registry)
        if start {
            do { try await runtime.start() } catch {
                await store.close()
                throw error
            }
        }
        return WorkspaceRuntime(workspace: ws, config: config, trust: trust, runtime: runtime)
    }

    /// Opens the workspace, runs `body`, and closes the store whatever happens: the
    /// lifecycle of a one-shot command.
    public static func with<T>(_ ws: Workspace, config: WorkspaceConfig? = nil, clock: any Clock = SystemClock(), storeOverride: String? = nil,
                               start: Bool = true, _ body: (Runtime) async throws(ParmanaError) -> T) async throws(ParmanaError) -> T {
        let opened = try await open(ws, config: config, clock: clock, storeOverride: storeOverride, start: start)
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
    /// order: the store (stopped last), the checkpointer and the expiry sweeper. The
    /// caller appends its HTTP server, which then stops first.
    public func services(logger: Logger) -> [any Service] {
        [
            StoreService(store: runtime.store, logger: logger),
            CheckpointerService(runtime: runtime, interval: .seconds(config.checkpointIntervalSeconds), logger: logger),
            ExpirySweeperService(runtime: runtime, logger: logger),
        ]
    }
}
