import ParmanaCore
import ParmanaTesting
import Testing

/// Payloads written straight to JCS must equal the general serializer's output.
@Suite struct DirectCanonicalFormTests {
    @Test func attestationPayloadBytesEqualJCSOfItsJSON() {
        var rng = SplitMix64(state: 7)
        let reasons = ["within_limits", "manual_review", "a.b-c_d", "x"]
        let versions = ["1.2.0", "10.0.0-rc.1+build.5", "0.0.1"]
        for i in 0..<500 {
            let d = Decision(action: rng.next() % 2 == 0 ? .approve : .reject, requiresOverride: rng.next() % 2 == 0,
                             reason: reasons[Int(rng.next() % 4)], ruleID: i % 7 == 0 ? "default" : "rule-\(i)")
            let p = AttestationPayload(
                executionID: RandomExecutionIDHex.uuid(&rng), executionFingerprint: RandomExecutionIDHex.hex(&rng, 64),
                policy: PolicyReference(policyID: "payments.release\(i % 3 == 0 ? "_x" : "")", version: versions[i % 3],
                                        hash: RandomExecutionIDHex.hex(&rng, 64)),
                decision: d, executionState: d.requiresOverride ? .pendingOverride : .completed,
                runtimeHash: RandomExecutionIDHex.hex(&rng, 64),
                issuedAt: Timestamp(millisecondsSinceEpoch: Int64(rng.next() % 4_000_000_000_000)), keyID: RandomExecutionIDHex.hex(&rng, 32))
            #expect(p.canonicalBytes == CanonicalJSON.bytes(p.json))
        }
    }

    @Test func auditEntryBytesEqualJCSOfItsJSON() {
        var rng = SplitMix64(state: 11)
        for i in 0..<500 {
            let e = AuditEntry(seq: i == 0 ? 1 : Int(rng.next() % 10_000_000_000), kind: AuditKind.allCases[i % 4],
                               executionID: i % 3 == 0 ? nil : RandomExecutionIDHex.uuid(&rng),
                               executionFingerprint: i % 5 == 0 ? nil : RandomExecutionIDHex.hex(&rng, 64),
                               recordHash: RandomExecutionIDHex.hex(&rng, 64), prevHash: RandomExecutionIDHex.hex(&rng, 64),
                               recordedAt: Timestamp(millisecondsSinceEpoch: Int64(rng.next() % 4_000_000_000_000)))
            #expect(e.canonicalBytes == CanonicalJSON.bytes(e.json))
            #expect(e.entryHash == Hashing.canonicalHash(e.json))
        }
    }
}

enum RandomExecutionIDHex {
    static func hex(_ rng: inout SplitMix64, _ n: Int) -> String {
        String((0..<n).map { _ in Array("0123456789abcdef")[Int(rng.next() % 16)] })
    }

    static func uuid(_ rng: inout SplitMix64) -> String {
        let h = hex(&rng, 32)
        let c = Array(h)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-4" + String(c[13..<16]) + "-8" + String(c[17..<20]) + "-" + String(c[20..<32])
    }
}
