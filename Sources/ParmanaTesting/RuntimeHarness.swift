import Foundation
import ParmanaCore
import ParmanaRuntime

/// A runtime on the fixture's keys, the example payments policy and a manual clock.
public struct RuntimeHarness: Sendable {
    public let fixture: Fixture
    public let runtime: Runtime
    public let clock: ManualClock
    public let store: any EvidenceStore
    public let policy: LoadedPolicy

    public static func examplePolicy(_ name: String = "payments.release") -> JSONValue {
        let data = FileManager.default.contents(atPath: RepoPaths.root + "/examples/policies/\(name).json")!
        return try! JSONParser().parse(Array(data))
    }

    /// `ids`: sequential by default; runtimes sharing one store (several nodes) need random ones.
    public init(store: any EvidenceStore, fixture: Fixture = Fixture(), start: Timestamp = Fixture.noon,
                ids: any ExecutionIDs = SequentialExecutionIDs()) async throws {
        self.fixture = fixture
        self.store = store
        clock = ManualClock(start)
        let signed = LoadedPolicy.sign(try Policy(json: Self.examplePolicy()), with: fixture.policyKey)
        policy = try LoadedPolicy(json: signed.json, trust: fixture.trust, requireSigned: true)
        var registry = PolicyRegistry()
        try registry.add(policy)
        runtime = Runtime(RuntimeConfiguration(
            store: store, trust: fixture.trust, signer: fixture.attestationKey, checkpointSigner: fixture.checkpointKey,
            clock: clock, ids: ids, manifest: fixture.manifest, logID: "test"), policies: registry)
        try await runtime.start()
    }

    /// Signals for the payments policy.
    public static func signals(_ id: String, amount: Double, kyc: Bool = true) -> [UInt8] {
        CanonicalJSON.bytes(["payment_id": .string(id), "amount": .number(amount), "currency": "EUR", "kyc_verified": .bool(kyc)])
    }
}
