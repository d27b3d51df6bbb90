/// A shared replay store accepted without its durability guarantees
/// (`replay_store_unsafe: true`, SPEC §17.3). A runtime configured with one records it at
/// every start in a signed `parmana.runtime-start/v1` `runtime_started` record.
public struct ReplayStoreRisk: Sendable, Equatable {
    /// The replay store's URL without credentials, e.g. `redis://10.0.0.5:6379/0`.
    public var replayStore: String
    /// Each setting found unsafe, e.g. `maxmemory-policy allkeys-lru` (possibly none).
    public var unsafeSettings: [String]

    public init(replayStore: String, unsafeSettings: [String]) {
        self.replayStore = replayStore
        self.unsafeSettings = unsafeSettings
    }
}
