import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ParmanaCore
import ParmanaRuntime
import Synchronization

/// The governance API (SPEC §15) as a Hummingbird router. Untrusted bodies are read
/// by the strict parser (never lenient `Codable`); every error leaves in the §13 shape.
public struct GovernanceAPI: Sendable {
    public let runtime: Runtime
    public let settings: APISettings
    public let metrics: ServerMetrics
    /// What changes while the server runs: tokens (reloaded) and decisions in flight.
    let live: LiveState

    /// Shared, mutable state of a running API.
    final class LiveState: Sendable {
        /// The tokens in force; replaced on reload (SIGHUP) without a restart.
        let auth: Mutex<TokenAuthenticator>
        /// Decisions being decided now (bounded by ``APISettings/maxInflight``).
        let inflight = Atomic<Int>(0)
        init(_ auth: TokenAuthenticator) { self.auth = Mutex(auth) }
    }
    let parser: JSONParser

    public init(runtime: Runtime, settings: APISettings, metrics: ServerMetrics = ServerMetrics()) {
        self.runtime = runtime
        self.settings = settings
        self.metrics = metrics
        live = LiveState(TokenAuthenticator(tokens: settings.tokens))
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
        "GET /v1/audit/checkpoint": .read, "POST /v1/audit/checkpoints": .admin, "GET /v1/audit/entries": .read,
        "GET /v1/audit/proofs/inclusion": .read, "GET /v1/audit/proofs/consistency": .read,
        // The console's static files: open (the token is typed into the page, never a cookie).
        "GET /console": nil, "GET /console/{file}": nil, "GET /console/vectors/jcs/{file}": nil,
    ]

    /// A router serving every endpoint. Each route is registered through `add`, which
    /// checks the bearer token against the route's role in ``routeRoles``.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: APIMiddleware(metrics: metrics))

        add(router, .get, "/healthz") { _, _ in APIResponse.json(["status": "ok"]) }
        add(router, .get, "/readyz") { _, _ in
            // Each store behind the runtime (SPEC §17.4): `evidence`, and `replay` in topology A.
            let stores = await self.runtime.store.health()
            let down = stores.filter { !$0.healthy }
            guard down.isEmpty else {
                // A failed probe is not a failed request: returned, not thrown, so it is not counted as a store error.
                return APIResponse.error(ParmanaError(
                    .storeUnavailable, "not reachable: the \(down.map(\.name).joined(separator: " and ")) store",
                    details: stores.map { .init(pointer: "/stores/" + $0.name, message: $0.healthy ? "ready" : "unavailable") }))
            }
            var status = JSONObject()
            for store in stores { status[store.name] = .string("ready") }
            return APIResponse.json(["status": "ready", "stores": .object(status)])
        }
        add(router, .get, "/v1/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: APIResponse.jsonType],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        add(router, .get, "/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: self.metrics.exposition())))
        }

        add(router, .post, "/v1/decisions") { request, _ in try await self.decide(request) }
        add(router, .post, "/v1/evaluate") { request, _ in try await self.evaluate(request) }
        add(router, .get, "/v1/executions") { request, _ in try await self.pending(request) }
        add(router, .get, "/v1/executions/{id}") { _, context in
            let view = try await self.runtime.execution(try context.parameters.require("id"))
            guard case .object(var o) = view.json else { return APIResponse.json(view.json) }
            o["server_time"] = .string(self.runtime.config.clock.now().description)
            return APIResponse.json(.object(o))
        }
        add(router, .post, "/v1/executions/{id}/override") { request, context in
            try await self.override(request, id: try context.parameters.require("id"))
        }
        add(router, .post, "/v1/verify") { request, _ in try await self.verify(request) }
        add(router, .get, "/v1/policies") { _, _ in
            APIResponse.json(["policies": .array(self.runtime.policies.map(GovernanceAPI.summary))])
        }
        add(router, .get, "/v1/policies/{id}/versions/{version}") { _, context in
            let p = try self.runtime.policy(try context.parameters.require("id"), version: try context.parameters.require("version"))
            return APIResponse.json(p.envelope?.json ?? p.policy.document)
        }
        add(router, .get, "/v1/runtime") { _, _ in
            APIResponse.json(["runtime_hash": .string(self.runtime.runtimeHash), "manifest": self.runtime.config.manifest.json])
        }
        add(router, .get, "/v1/trust") { _, _ in APIResponse.json(self.runtime.config.trust.json) }
        add(router, .get, "/v1/audit/checkpoint") { _, _ in
            guard let cp = try await self.runtime.latestCheckpoint() else {
                throw ParmanaError(.notYetCheckpointed, "the log has no checkpoint yet; one is signed within the checkpoint interval, or on POST /v1/audit/checkpoints")
            }
            return APIResponse.json(cp.json)
        }
        add(router, .post, "/v1/audit/checkpoints") { _, _ in
            APIResponse.json(try await self.runtime.checkpoint().json, status: .created)
        }
        add(router, .get, "/v1/audit/entries") { request, _ in try await self.entries(request) }
        add(router, .get, "/v1/audit/proofs/inclusion") { request, _ in try await self.inclusion(request) }
        add(router, .get, "/v1/audit/proofs/consistency") { request, _ in
            let q = request.uri.queryParameters
            let first = try GovernanceAPI.integer(q, "first", required: true)!
            let second = try GovernanceAPI.integer(q, "second", required: true)!
            return APIResponse.json(try await self.runtime.consistencyProof(first: first, second: second))
        }
        // `/console` and `/console/` share a route: the page's relative URLs need the slash.
        add(router, .get, "/console") { request, _ in
            guard request.uri.path.hasSuffix("/") else {
                return Response(status: .permanentRedirect, headers: [.location: "/console/"])
            }
            return try self.consoleFile("index.html")
        }
        add(router, .get, "/console/{file}") { _, context in try self.consoleFile(try context.parameters.require("file")) }
        add(router, .get, "/console/vectors/jcs/{file}") { _, context in try self.consoleVector(try context.parameters.require("file")) }
        return router
    }

    /// Security headers of every console response.
    static func consoleHeaders(_ contentType: String) -> HTTPFields {
        [.contentType: contentType, .contentSecurityPolicy: ConsoleAssets.contentSecurityPolicy,
         HTTPField.Name("X-Content-Type-Options")!: "nosniff", HTTPField.Name("Referrer-Policy")!: "no-referrer",
         .cacheControl: "no-store", HTTPField.Name("X-Frame-Options")!: "DENY"]
    }

    func consoleFile(_ name: String) throws -> Response {
        guard let f = ConsoleAssets.files[name] else { throw ParmanaError(.notFound, "no console file \(name)") }
        return Response(status: .ok, headers: GovernanceAPI.consoleHeaders(f.contentType), body: ResponseBody(byteBuffer: ByteBuffer(bytes: f.bytes)))
    }

    func consoleVector(_ name: String) throws -> Response {
        guard let dir = settings.consoleVectorsDirectory, ConsoleAssets.vectorNames.contains(name),
              let data = FileManager.default.contents(atPath: dir + "/" + name) else {
            throw ParmanaError(.notFound, "no console vector \(name) (serve --console-vectors DIR serves them)")
        }
        let type = name.hasSuffix(".txt") ? "text/plain; charset=utf-8" : "application/json"
        return Response(status: .ok, headers: GovernanceAPI.consoleHeaders(type), body: ResponseBody(byteBuffer: ByteBuffer(bytes: Array(data))))
    }

    /// Registers a route whose role comes from ``routeRoles``; the token is checked
    /// before the handler reads anything.
    private func add(_ router: Router<BasicRequestContext>, _ method: HTTPRequest.Method, _ path: String,
                     _ handler: @escaping @Sendable (Request, BasicRequestContext) async throws -> Response) {
        guard let role = GovernanceAPI.routeRoles["\(method.rawValue) \(path)"] else {
            preconditionFailure("\(method.rawValue) \(path) has no entry in GovernanceAPI.routeRoles")
        }
        router.on(RouterPath(path), method: method) { request, context in
            if let role {
                let authenticator = self.live.auth.withLock { $0 }
                _ = try authenticator.authorize(request.headers[.authorization], role: role)
            }
            return try await handler(request, context)
        }
    }

    // MARK: handlers

    /// SPEC §18: `Idempotency-Key` on `POST /v1/decisions`, answered with `Idempotent-Replayed: true`.
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!

    /// Replaces the tokens in force (a running server picks up `parmana token add|revoke`
    /// on SIGHUP); requests already authorized finish.
    public func reload(tokens: [APIToken]) {
        live.auth.withLock { $0 = TokenAuthenticator(tokens: tokens) }
    }

    /// The token names in force (for logs and tests).
    public var tokenNames: [String] { live.auth.withLock { $0.tokens.map(\.name) } }

    func decide(_ request: Request) async throws -> Response {
        // Bounded: past max_inflight, refuse at once instead of queueing without bound.
        let now = live.inflight.add(1, ordering: .relaxed).newValue
        defer { live.inflight.subtract(1, ordering: .relaxed) }
        guard now <= settings.maxInflight else {
            throw ParmanaError(.overloaded, "\(settings.maxInflight) decisions are in flight; retry after a moment")
        }
        return try await decideAdmitted(request)
    }

    func decideAdmitted(_ request: Request) async throws -> Response {
        let start = ContinuousClock.now
        let body = try await readJSON(request)
        var r = try FieldReader(body, code: .invalidRequest)
        let policyID = try r.string("policy_id")
        let version = try r.optionalString("policy_version")
        let signals = try r.required("signals")
        let explain = try r.optionalBool("explain") ?? false
        try r.finish()
        let key = request.headers[GovernanceAPI.idempotencyKey]
        let result = try await runtime.decide(policyID: policyID, version: version, signals: signals, explain: explain, idempotencyKey: key)
        var headers: HTTPFields = [.location: "/v1/executions/\(result.executionID)"]
        if result.idempotentReplay {
            headers[GovernanceAPI.idempotentReplayed] = "true"
        } else {
            metrics.decided(result.decision.action, result.state, after: ContinuousClock.now - start)
        }
        return APIResponse.json(result.json, status: .created, headers: headers)
    }

    func evaluate(_ request: Request) async throws -> Response {
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
        let q = request.uri.queryParameters
        guard let state = q.get("state") else {
            throw ParmanaError(.invalidRequest, "give ?state=pending_override (the listing serves pending work for approvers)")
        }
        guard state == ExecutionState.pendingOverride.rawValue else {
            throw ParmanaError(.invalidRequest, "state must be pending_override; fetch other executions by id")
        }
        let limit = try GovernanceAPI.integer(q, "limit", range: 1...500) ?? 50
        let after = try GovernanceAPI.integer(q, "after", range: 0...Int.max) ?? 0
        let page = try await runtime.pending(PendingQuery(policyID: q.get("policy_id"), afterSeq: after, limit: limit))
        var body = JSONObject([("executions", .array(page.map(\.json)))])
        body["next_after"] = page.count == limit ? .string(String(page.last!.lifecycle.seq)) : .null
        body["server_time"] = .string(runtime.config.clock.now().description)
        return APIResponse.json(.object(body))
    }

    func override(_ request: Request, id: String) async throws -> Response {
        let body = try await readJSON(request)
        if let named = body["payload"]?["execution_id"]?.stringValue, named != id {
            throw ParmanaError(.invalidRequest, "the override is for execution \(named), but was posted to \(id)")
        }
        let result = try await runtime.override(body)
        metrics.overridden(result.resolution)
        return APIResponse.json(result.json)
    }

    func verify(_ request: Request) async throws -> Response {
        let body = try await readJSON(request)
        var r = try FieldReader(body, code: .invalidRequest)
        let attestation = try r.required("attestation")
        func bytes(_ key: String) -> [UInt8]? {
            guard let v = r.optional(key), !v.isNull else { return nil }
            return CanonicalJSON.bytes(v)
        }
        var overrides: [[UInt8]] = []
        if let list = r.optional("overrides"), !list.isNull {
            guard let items = list.arrayValue else { throw r.error("overrides", "expected an array of override envelopes") }
            overrides = items.map { CanonicalJSON.bytes($0) }
        }
        let input = Verifier.Input(
            attestation: CanonicalJSON.bytes(attestation), override: bytes("override"), overrides: overrides, signals: bytes("signals"),
            policy: bytes("policy"), proof: bytes("proof"),
            requireKnownRuntime: try r.optionalBool("require_known_runtime") ?? false)
        try r.finish()
        return APIResponse.json(Verifier(trust: runtime.config.trust).verify(input).json)
    }

    func entries(_ request: Request) async throws -> Response {
        let q = request.uri.queryParameters
        let from = try GovernanceAPI.integer(q, "from", range: 1...Int.max) ?? 1
        let limit = try GovernanceAPI.integer(q, "limit", range: 1...1000) ?? 100
        let (size, page) = try await runtime.entries(from: from, limit: limit)
        return APIResponse.json(["size": .number(Double(size)), "entries": .array(page.map(\.json))])
    }

    func inclusion(_ request: Request) async throws -> Response {
        let q = request.uri.queryParameters
        var seq = try GovernanceAPI.integer(q, "seq", range: 1...Int.max)
        if let id = q.get("execution_id") {
            guard seq == nil else { throw ParmanaError(.invalidRequest, "give seq or execution_id, not both") }
            seq = try await runtime.execution(id).lifecycle.seq
        }
        guard let seq else { throw ParmanaError(.invalidRequest, "give ?seq=N or ?execution_id=ID") }
        return APIResponse.json(try await runtime.inclusionProof(seq: seq).json)
    }

    // MARK: helpers

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
                // One shared ticking task, not a sleeping task per request (DeadlineWheel).
                guard await DeadlineWheel.shared.wait(until: .now + timeout) else { throw CancellationError() }
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

    static func summary(_ p: LoadedPolicy) -> JSONValue {
        [
            "policy_id": .string(p.policy.policyID), "version": .string(p.policy.version.text),
            "hash": .string(p.policy.hash), "signed": .bool(p.envelope != nil),
        ]
    }
}
