import Benchmark
import Crypto
import ParmanaCore

// Every figure is read as a ratio against a baseline measured in the same run
// (raw Ed25519 sign / verify). See BENCHMARKS.md and Benchmarks/ratios.py.

/// A ~300-byte signals object, written with noise (spacing, key order, exponent spellings).
let signals300 = Array("""
    { "payment_id": "pay_7f3a9c2e-41d8-4b6e-9a0f-2c5e8d1b7a34", "amount": 12500.75, "currency": "EUR",
      "kyc_verified": true, "risk_score": 42, "merchant": "ACME Industrial Supplies GmbH",
      "country": "DE", "tags": ["b2b", "recurring", "über"], "channel": "api", "initiated_by": "agent-17" }
    """.utf8)

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 50,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 1_000_000
    )

    let key = SigningKey(roles: [.attestation])
    let rawKey = Curve25519.Signing.PrivateKey()
    let message = Array(repeating: UInt8(0x61), count: 300)
    let rawSignature = Array(try! rawKey.signature(for: message))
    let rawPublic = rawKey.publicKey

    Benchmark("baseline: Ed25519 sign (300 B)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try! rawKey.signature(for: message)) }
    }

    Benchmark("baseline: Ed25519 verify (300 B)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(rawPublic.isValidSignature(rawSignature, for: message)) }
    }

    Benchmark("canonicalize + fingerprint (300 B signals)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(Hashing.fingerprint(try! JSONParser().parse(signals300)))
        }
    }

    let parsed300 = try! JSONParser().parse(signals300)
    let canonical300 = CanonicalJSON.bytes(parsed300)
    Benchmark("part: parse (300 B signals)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try! JSONParser().parse(signals300)) }
    }
    Benchmark("part: serialize JCS (300 B signals)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(CanonicalJSON.bytes(parsed300)) }
    }
    Benchmark("part: sha256 hex (canonical 300 B)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(Hashing.sha256Hex(canonical300)) }
    }

    // Full attestation verification: parse + strict decode + canonicalize + trust + verify.
    let epoch = Timestamp("2026-01-01T00:00:00.000Z")!
    var trust = TrustStore()
    try! trust.add(TrustedKey(publicKey: key.publicKey, roles: [.attestation], validFrom: epoch))
    let payload = AttestationPayload(
        executionID: "88a9db95-5f31-4f0d-84de-28a3ec9e3c83",
        executionFingerprint: Hashing.fingerprint(try! JSONParser().parse(signals300)),
        policy: PolicyReference(policyID: "payments.release", version: "1.2.0", hash: String(repeating: "cd", count: 32)),
        decision: Decision(action: .approve, requiresOverride: false, reason: "within_limits", ruleID: "standard"),
        executionState: .completed, runtimeHash: String(repeating: "ab", count: 32),
        issuedAt: Timestamp("2026-11-23T12:00:00.123Z")!, keyID: key.keyID)
    let attestationBytes = CanonicalJSON.bytes(Envelope.sign(payload.json, with: key).json)
    let verifier = Verifier(trust: trust)

    Benchmark("full attestation verification") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(verifier.verify(.init(attestation: attestationBytes)).valid)
        }
    }
}
