import HTTPTypes
import Hummingbird
import NIOCore
import ParmanaCore
import ParmanaRuntime

/// The governance API (SPEC §15) as a Hummingbird router. Untrusted bodies are read
/// by the strict parser (never lenient `Codable`); every error leaves in the §13 shape.
public struct GovernanceAPI: Sendable {
    public let runtime: Runtime
    public let settings: APISettings
    public let metrics: ServerMetrics
    let auth: TokenAuthenticator
    let parser: JSONParser

    public init(runtime: Runtime, settings: APISettings, metrics: ServerMetrics = ServerMetrics()) {
        self.runtime = runtime
        self.settings = settings
        self.metrics = metrics
        auth = TokenAuthenticator(tokens: settings.tokens)
        parser = JSONParser(maxBytes: settings.maxBodyBytes)
    }

    /// The role each route needs (nil: open). The OpenAPI document lists the same routes.
    public static let routeRoles: [String: APIRole?] = [
        "GET /healthz": nil, "GET /readyz": nil, "GET /v1/openapi.json": nil,
        "GET /metrics": .read,
        "POST /v1/decisions": .decide, "POST /v1/evaluate": .decide,
        "GET /v1/executions": .read, "GET /v1/executions/{id}": .read,
        "POST /v1/executions/{id}/override": .override,
        "POST /v1/verify": .read,
        "GET /v1/policies": .read, "GET /v1/policies/{id}/versions/{version}": .read,
        "GET /v1/runtime": .read, "GET /v1/trust": .read,
        "GET /v1/audit/checkpoint": .read, "GET /v1/audit/entries": .read,
        "GET /v1/audit/proofs/inclusion": .read, "GET /v1/audit/proofs/consistency": .read,
    ]

    /// A router serving every endpoint.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: APIMiddleware(metrics: metrics))

        router.get("/healthz") { _, _ in APIResponse.json(["status": "ok"]) }
        router.get("/readyz") { _, _ in
            guard await self.runtime.store.isHealthy() else {
                // A failed probe is not a failed request: returned, not thrown, so it is not counted as a store error.
                return APIResponse.error(ParmanaError(.storeUnavailable, "the evidence store is not reachable"))
            }
            return APIResponse.json(["status": "ready"])
        }
        router.get("/v1/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: APIResponse.jsonType],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        router.get("/metrics") { request, _ in
            try self.require(.read, request)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: self.metrics.exposition())))
        }

        router.post("/v1/decisions") { request, _ in try await self.decide(request) }
        router.post("/v1/evaluate") { request, _ in try await self.evaluate(request) }
        router.get("/v1/executions") { request, _ in try await self.pending(request) }
        router.get("/v1/executions/:id") { request, context in
            try self.require(.read, request)
            return try await self.execution(try context.parameters.require("id"))
        }
        router.post("/v1/executions/:id/override") { request, context in
            try await self.override(request, id: try context.parameters.require("id"))
        }
        router.post("/v1/verify") { request, _ in try await self.verify(request) }
        router.get("/v1/policies") { request, _ in
            try self.require(.read, request)
            return APIResponse.json(["policies": .array(self.runtime.policies.map(GovernanceAPI.summary))])
        }
        router.get("/v1/policies/:id/versions/:version") { request, context in
            try self.require(.read, request)
            let p = try self.runtime.policy(try context.parameters.require("id"), version: try context.parameters.require("version"))
            return APIResponse.json(p.envelope?.json ?? p.policy.document)
        }
        router.get("/v1/runtime") { request, _ in
            try self.require(.read, request)
            return APIResponse.json(["runtime_hash": .string(self.runtime.runtimeHash), "manifest": self.runtime.config.manifest.json])
        }
        router.get("/v1/trust") { request, _ in
            try self.require(.read, request)
            return APIResponse.json(self.runtime.config.trust.json)
        }
        router.get("/v1/audit/checkpoint") { request, _ in
            try self.require(.read, request)
            return APIResponse.json(try await self.runtime.latestCheckpoint().json)
        }
        router.get("/v1/audit/entries") { request, _ in try await self.entries(request) }
        router.get("/v1/audit/proofs/inclusion") { request, _ in try await self.inclusion(request) }
        router.get("/v1/audit/proofs/consistency") { request, _ in
            try self.require(.read, request)
            let q = request.uri.queryParameters
            let first = try GovernanceAPI.integer(q, "first", required: true)!
            let second = try GovernanceAPI.integer(q, "second", required: true)!
            return APIResponse.json(try await self.runtime.consistencyProof(first: first, second: second))
        }
        return router
    }

    // MARK: handlers

    func decide(_ request: Request) async throws -> Response {
        try require(.decide, request)
        let start = ContinuousClock.now
        let body = try await readJSON(request)
        var r = try FieldReader(body, code: .invalidRequest)
        let policyID = try r.string("policy_id")
        let version = try r.optionalString("policy_version")
        let signals = try r.required("signals")
        let explain = try GovernanceAPI.optionalBool(&r, "explain") ?? false
        try r.finish()
        let result = try await runtime.decide(policyID: policyID, version: version, signals: signals, explain: explain)
        metrics.decided(result.decision.action, result.state, after: ContinuousClock.now - start)
        return APIResponse.json(result.json, status: .created, headers: [.location: "/v1/executions/\(result.executionID)"])
    }

    func evaluate(_ request: Request) async throws -> Response {
        try require(.decide, request)
        let body = try await readJSON(request)
        var r = try FieldReader(body, code: .invalidRequest)
        let policyID = try r.optionalString("policy_id")
        let version = try r.optionalString("policy_version")
        let document = r.optional("policy")
        let signals = try r.required("signals")
        try r.finish()
        let compiled: CompiledPolicy
        switch (policyID, document) {
        case (let id?, nil): compiled = try runtime.policy(id, version: version).compiled
        case (nil, let doc?):
            // A dry run may use any policy: nothing is signed, consumed or logged.
            compiled = try LoadedPolicy(json: doc, trust: runtime.config.trust, requireSigned: false).compiled
        default:
            throw ParmanaError(.invalidRequest, "give exactly one of policy_id (a loaded policy) or policy (a document or signed envelope)")
        }
        let (decision, explanation) = try compiled.explain(signals)
        return APIResponse.json([
            "decision": decision.json, "explanation": explanation.json, "policy": compiled.policy.reference.json,
            "execution_fingerprint": .string(Hashing.fingerprint(signals)),
        ])
    }

    func pending(_ request: Request) async throws -> Response {
        try require(.read, request)
        let q = request.uri.queryParameters
        guard let state = q.get("state") else {
            throw ParmanaError(.invalidRequest, "give ?state=pending_override (the listing serves pending work for approvers)")
        }
        guard state == ExecutionState.pendingOverride.rawValue else {
            throw ParmanaError(.invalidRequest, "state must be pending_override; fetch other executions by id")
        }
        let limit = try GovernanceAPI.integer(q, "limit", range: 1...500) ?? 50
        let after = q.get("after")
        let page = try await runtime.store.pending(limit: limit, after: after)
        var body = JSONObject([("executions", .array(page.map(GovernanceAPI.executionJSON)))])
        body["next_after"] = page.count == limit ? .string(page.last!.executionID) : .null
        return APIResponse.json(.object(body))
    }

    func execution(_ id: String) async throws -> Response {
        guard let e = try await runtime.store.execution(id) else {
            throw ParmanaError(.executionNotFound, "no execution \(id)")
        }
        return APIResponse.json(GovernanceAPI.executionJSON(e))
    }

    func override(_ request: Request, id: String) async throws -> Response {
        try require(.override, request)
        let body = try await readJSON(request)
        if let named = body["payload"]?["execution_id"]?.stringValue, named != id {
            throw ParmanaError(.invalidRequest, "the override is for execution \(named), but was posted to \(id)")
        }
        let result = try await runtime.override(body)
        metrics.overridden(result.state)
        return APIResponse.json(result.json)
    }

    func verify(_ request: Request) async throws -> Response {
        try require(.read, request)
        let body = try await readJSON(request)
        var r = try FieldReader(body, code: .invalidRequest)
        let attestation = try r.required("attestation")
        func bytes(_ key: String) -> [UInt8]? {
            guard let v = r.optional(key), !v.isNull else { return nil }
            return CanonicalJSON.bytes(v)
        }
        let input = Verifier.Input(
            attestation: CanonicalJSON.bytes(attestation), override: bytes("override"), signals: bytes("signals"),
            policy: bytes("policy"), proof: bytes("proof"),
            requireKnownRuntime: try GovernanceAPI.optionalBool(&r, "require_known_runtime") ?? false)
        try r.finish()
        return APIResponse.json(Verifier(trust: runtime.config.trust).verify(input).json)
    }

    func entries(_ request: Request) async throws -> Response {
        try require(.read, request)
        let q = request.uri.queryParameters
        let from = try GovernanceAPI.integer(q, "from", range: 1...Int.max) ?? 1
        let limit = try GovernanceAPI.integer(q, "limit", range: 1...1000) ?? 100
        let page = try await runtime.store.entries(from: from, limit: limit)
        let size = try await runtime.store.size()
        return APIResponse.json(["size": .number(Double(size)), "entries": .array(page.map(\.json))])
    }

    func inclusion(_ request: Request) async throws -> Response {
        try require(.read, request)
        let q = request.uri.queryParameters
        var seq = try GovernanceAPI.integer(q, "seq", range: 1...Int.max)
        if let id = q.get("execution_id") {
            guard seq == nil else { throw ParmanaError(.invalidRequest, "give seq or execution_id, not both") }
            guard let e = try await runtime.store.execution(id) else {
                throw ParmanaError(.executionNotFound, "no execution \(id)")
            }
            seq = e.seq
        }
        guard let seq else { throw ParmanaError(.invalidRequest, "give ?seq=N or ?execution_id=ID") }
        return APIResponse.json(try await runtime.inclusionProof(seq: seq).json)
    }

    // MARK: helpers

    func require(_ role: APIRole, _ request: Request) throws(ParmanaError) {
        _ = try auth.authorize(request.headers[.authorization], role: role)
    }

    /// Reads the body (size limit, time limit) and parses it strictly.
    func readJSON(_ request: Request) async throws -> JSONValue {
        try parser.parse(try await readBody(request))
    }

    func readBody(_ request: Request) async throws -> [UInt8] {
        let max = settings.maxBodyBytes
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > max {
            throw ParmanaError(.tooLarge, "the body is \(declared) bytes; the limit is \(max)")
        }
        let timeout = settings.requestTimeout
        let body = request.body
        let buffer: ByteBuffer? = try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask {
                do { return try await body.collect(upTo: max) } catch is NIOTooManyBytesError {
                    throw ParmanaError(.tooLarge, "the body is larger than the limit of \(max) bytes")
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        guard let buffer else {
            throw ParmanaError(.requestTimeout, "the request body did not arrive within \(timeout)")
        }
        return Array(buffer.readableBytesView)
    }

    static func integer(_ q: Parameters, _ name: String, required: Bool = false, range: ClosedRange<Int> = 1...Int.max) throws(ParmanaError) -> Int? {
        guard let text = q.get(name) else {
            if required { throw ParmanaError(.invalidRequest, "missing query parameter \(name)") }
            return nil
        }
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let n = Int(text), range.contains(n) else {
            throw ParmanaError(.invalidRequest, "query parameter \(name) must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return n
    }

    static func optionalBool(_ r: inout FieldReader, _ key: String) throws(ParmanaError) -> Bool? {
        guard let v = r.optional(key), !v.isNull else { return nil }
        guard let b = v.boolValue else { throw r.error(key, "expected a boolean, found \(v.typeName)") }
        return b
    }

    static func summary(_ p: LoadedPolicy) -> JSONValue {
        [
            "policy_id": .string(p.policy.policyID), "version": .string(p.policy.version.text),
            "hash": .string(p.policy.hash), "signed": .bool(p.envelope != nil),
        ]
    }

    static func executionJSON(_ e: ExecutionRecord) -> JSONValue {
        var o = JSONObject([
            ("execution_id", .string(e.executionID)), ("execution_state", .string(e.state.rawValue)),
            ("execution_fingerprint", .string(e.fingerprint)), ("attestation", e.attestation.json),
            ("attestation_hash", .string(e.attestationHash)), ("seq", .number(Double(e.seq))),
        ])
        o["overrides"] = .array(e.override.map { [$0.json] } ?? [])
        o["override_seq"] = e.overrideSeq.map { .number(Double($0)) } ?? .null
        return .object(o)
    }
}
