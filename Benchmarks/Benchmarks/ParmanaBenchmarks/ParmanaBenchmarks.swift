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
            blackHole(try! Hashing.fingerprint(json: signals300))
        }
    }

    let parsed300 = try! JSONParser().parse(signals300)
    let canonical300 = CanonicalJSON.bytes(parsed300)
    Benchmark("part: one-pass canonicalize (300 B signals)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try! JSONParser().canonicalize(signals300)) }
    }
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

    let attestationValue = try! JSONParser().parse(attestationBytes)
    let attestationEnvelope = try! Envelope(json: attestationValue)
    Benchmark("part: verify: parse envelope") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try! JSONParser().parse(attestationBytes)) }
    }
    Benchmark("part: verify: strict decode") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try! AttestationPayload(json: try! Envelope(json: attestationValue).payload))
        }
    }
    Benchmark("part: verify: JCS of payload") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(attestationEnvelope.signedBytes) }
    }
    Benchmark("part: verify: raw Ed25519 over payload") { benchmark in
        let bytes = attestationEnvelope.signedBytes
        for _ in benchmark.scaledIterations { blackHole(key.publicKey.isValidSignature(attestationEnvelope.signature, for: bytes)) }
    }

    Benchmark("full attestation verification") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(verifier.verify(.init(attestation: attestationBytes)).valid)
        }
    }

    runtimeBenchmarks()

    // Policy evaluation: signal validation + binding + first-match evaluation.
    let policy20 = CompiledPolicy(try! Policy(json: PolicyFixtures.twentyRules))
    let signals10 = try! JSONParser().parse(PolicyFixtures.tenSignals)
    precondition((try! policy20.evaluate(signals10)).ruleID == "r19")
    Benchmark("evaluate 20-rule policy, 10 signals (with validation)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try! policy20.evaluate(signals10)) }
    }

    let policy1000 = CompiledPolicy(try! Policy(json: PolicyFixtures.manyRules(1000)))
    let one: JSONValue = ["x": 5, "s": "hello"]
    precondition((try! policy1000.evaluate(one)).ruleID == "default")
    Benchmark("evaluate 1,000-rule policy") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try! policy1000.evaluate(one)) }
    }

    // Memory: the same compiled policy evaluated 10k and 1M times; resident memory must not grow.
    for n in [10_000, 1_000_000] {
        Benchmark("memory: \(n) evaluations of one compiled policy",
                  configuration: .init(metrics: [.peakMemoryResident, .mallocCountTotal],
                                       scalingFactor: .one, maxDuration: .seconds(60), maxIterations: 3)) { benchmark in
            for _ in 0..<n { blackHole(try! policy20.evaluate(signals10)) }
        }
    }
}

enum PolicyFixtures {
    static let tenSignals = Array("""
        {"payment_id": "pay_1", "amount": 2500.5, "currency": "EUR", "kyc_verified": true, "risk_score": 35,
         "country": "DE", "channel": "api", "tags": ["b2b", "recurring"], "merchant_age_days": 400, "velocity_1h": 3}
        """.utf8)

    /// Ten declared signals and twenty rules; the signals above are decided by the last rule.
    static let twentyRules: JSONValue = {
        let signals: JSONValue = [
            "payment_id": ["type": "string", "required": true], "amount": ["type": "number", "required": true, "minimum": 0],
            "currency": ["type": "string", "enum": ["EUR", "USD", "GBP"]], "kyc_verified": ["type": "boolean", "required": true],
            "risk_score": ["type": "integer", "minimum": 0, "maximum": 100], "country": ["type": "string", "min_length": 2, "max_length": 2],
            "channel": ["type": "string"], "tags": ["type": "array", "items": "string"],
            "merchant_age_days": ["type": "integer", "minimum": 0], "velocity_1h": ["type": "integer", "minimum": 0],
        ]
        var rules: [JSONValue] = []
        for i in 0..<19 {
            let when: JSONValue
            switch i % 5 {
            case 0: when = ["all": [["signal": "amount", "gt": .number(Double(100_000 + i))], ["signal": "kyc_verified", "equals": true]]]
            case 1: when = ["signal": "country", "in": ["KP", "IR", "SY", .string("X\(i)")]]
            case 2: when = ["any": [["signal": "tags", "contains": .string("blocked-\(i)")], ["signal": "risk_score", "gte": 95]]]
            case 3: when = ["all": [["signal": "velocity_1h", "gt": 50], ["not": ["signal": "channel", "equals": "branch"]]]]
            default: when = ["signal": "merchant_age_days", "lt": .number(Double(i))]
            }
            rules.append(["id": .string("r\(i)"), "when": when, "then": ["action": "reject", "reason": "risk"]])
        }
        rules.append(["id": "r19", "when": ["all": [["signal": "amount", "lte": 10000], ["signal": "currency", "in": ["EUR", "USD"]]]],
                      "then": ["action": "approve", "reason": "within_limits"]])
        return ["type": "parmana.policy/v1", "policy_id": "bench.twenty", "version": "1.0.0", "signals": signals, "rules": .array(rules)]
    }()

    /// `count` rules, none of which match x = 5: every rule is tried.
    static func manyRules(_ count: Int) -> JSONValue {
        let rules: [JSONValue] = (0..<count).map { i in
            ["id": .string("r\(i)"), "when": i % 2 == 0 ? ["signal": "x", "gt": .number(Double(1000 + i))] : ["signal": "s", "equals": .string("v\(i)")],
             "then": ["action": "approve", "reason": "r"]]
        }
        return ["type": "parmana.policy/v1", "policy_id": "bench.many", "version": "1.0.0",
                "signals": ["x": ["type": "number"], "s": ["type": "string"]], "rules": .array(rules)]
    }
}
