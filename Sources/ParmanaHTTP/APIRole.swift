/// What a bearer token may do (SPEC §15). `admin` may do everything.
public enum APIRole: String, Sendable, CaseIterable, Hashable {
    /// `POST /v1/decisions`, `POST /v1/evaluate`.
    case decide
    /// Executions, policies, runtime, trust store, audit log, `POST /v1/verify`, `/metrics`.
    case read
    /// `POST /v1/executions/{id}/override` (the approver's signature is the authority).
    case override
    case admin
}
