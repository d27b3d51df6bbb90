import ParmanaCore
import ParmanaRuntime
import ParmanaTesting
import Testing

/// `parmana.runtime-start/v1` (docs/formats.md): an unsafe replay store is recorded in a
/// signed `runtime_started` record that carries the unchanged manifest; the audit
/// verifier accepts it and both signatures must hold.
@Suite struct RuntimeStartRecordTests {
    static let risk = ReplayStoreRisk(replayStore: "redis://10.0.0.5:6379/0", unsafeSettings: ["maxmemory-policy allkeys-lru"])

    static func runtime(_ store: any EvidenceStore, _ fixture: Fixture, risk: ReplayStoreRisk?) -> Runtime {
        Runtime(RuntimeConfiguration(store: store, trust: fixture.trust, signer: fixture.attestationKey, clock: ManualClock(Fixture.noon),
                                     manifest: fixture.manifest, logID: "test", nodeID: "node-a", acceptedReplayStoreRisk: risk))
    }

    static func verify(_ store: any EvidenceStore, _ trust: TrustStore) async throws -> AuditLogVerifier.Report {
        var v = AuditLogVerifier(trust: trust)
        v.begin(logID: "test", checkpoints: [])
        v.verify(try await store.allEntries())
        return v.end()
    }

    @Test func everyUnsafeStartIsRecordedAndVerifies() async throws {
        let store = MemoryEvidenceStore()
        let fixture = Fixture()
        try await Self.runtime(store, fixture, risk: nil).start()
        try await Self.runtime(store, fixture, risk: Self.risk).start()
        try await Self.runtime(store, fixture, risk: Self.risk).start()
        // Safe again: the manifest is logged again, since the last start was another record.
        try await Self.runtime(store, fixture, risk: nil).start()
        let starts = try await store.allEntries().filter { $0.entry.kind == .runtimeStarted }
        #expect(starts.count == 4)
        let env = try Envelope(json: try JSONParser().parse(starts[1].recordBytes))
        let p = try RuntimeStartPayload(json: env.payload)
        #expect(env.type == "parmana.runtime-start/v1" && p.manifest == fixture.manifest && p.nodeID == "node-a")
        #expect(p.replayStoreUnsafe && p.replayStore == "redis://10.0.0.5:6379/0" && p.unsafeSettings == ["maxmemory-policy allkeys-lru"])
        #expect(p.startedAt == Fixture.noon && p.keyID == fixture.attestationKey.keyID)
        #expect(starts[3].recordBytes == fixture.manifest.bytes)
        // The manifest's identity is unchanged: runtime_hash is the binary's.
        #expect(RuntimeManifest.identityHash(of: p.manifest.payload) == fixture.runtimeHash)
        let report = try await Self.verify(store, fixture.trust)
        #expect(report.valid, "\(report.problems)")
    }

    /// A record whose embedded manifest, outer key or fields are wrong breaks the log.
    @Test func aForgedStartRecordIsRefused() async throws {
        let fixture = Fixture()
        var badManifest = fixture.manifest.signature
        badManifest[0] ^= 1
        let forgedManifest = Envelope(payload: fixture.manifest.payload, signature: badManifest)
        func record(_ manifest: Envelope, signer: SigningKey, extra: Bool = false) -> [UInt8] {
            var json = RuntimeStartPayload(manifest: manifest, nodeID: "node-a", replayStore: "redis://h:1/0", unsafeSettings: [],
                                           startedAt: Fixture.noon, keyID: signer.keyID).json
            if extra, case .object(var o) = json {
                o["note"] = "unexpected"
                json = .object(o)
            }
            return Envelope.sign(json, with: signer).bytes
        }
        let cases: [(String, [UInt8])] = [
            ("the manifest's signature", record(forgedManifest, signer: fixture.attestationKey)),
            ("an approver key signs", record(fixture.manifest, signer: fixture.approverKey)),
            ("an unknown field", record(fixture.manifest, signer: fixture.attestationKey, extra: true)),
        ]
        for (what, bytes) in cases {
            let store = MemoryEvidenceStore()
            _ = try await store.append(event: .runtimeStarted, record: bytes, at: Fixture.noon)
            let report = try await Self.verify(store, fixture.trust)
            #expect(!report.valid && report.firstBadSeq == 1, "\(what)")
        }
    }
}
