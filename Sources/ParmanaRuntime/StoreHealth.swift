/// Whether one store can serve, as `/readyz` reports it (SPEC §17.4): `evidence` (the
/// log and ledger) and, in topology A, `replay` (the shared replay store).
public struct StoreHealth: Sendable, Equatable {
    /// `evidence` or `replay`.
    public var name: String
    public var healthy: Bool

    public init(name: String, healthy: Bool) {
        self.name = name
        self.healthy = healthy
    }
}
