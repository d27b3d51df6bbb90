"""The peer engines, each loaded with its own rendering of the payments20 policy.

Every engine has:
  prepare(signals) -> the engine's native input (built once per corpus case, not timed)
  decide(native)   -> (action, requires_override, reason, rule_id)   (the timed call)

`decide` is the engine's own evaluation API from a Python value already in the
shape the engine takes, plus reading the decision back out of its answer. What each
shape is, and how each decision is read back, is in README.md.

Governed paths (the engine plus whatever audit and signed receipt it offers, or,
where it offers none, a receipt we add and say so) are built by `governed_paths`.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import json
import os
import time
import warnings
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
POLICIES = os.path.join(HERE, "policies")

DEFAULT = ("reject", False, "no_rule_matched", "default")


def _read(name):
    with open(os.path.join(POLICIES, name), encoding="utf-8") as f:
        return f.read()


def version(dist):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def canonical(value) -> bytes:
    """Sorted keys, no whitespace, raw UTF-8: JCS for the values used here."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# ── Cedar (cedarpy) ─────────────────────────────────────────────────────────────

def cedar_decimal(x):
    """A JSON number as Cedar's decimal extension value (at most 4 fraction digits)."""
    d = Decimal(repr(x)) if isinstance(x, float) else Decimal(int(x))
    q = d.quantize(Decimal("0.0001"))
    if q != d:
        raise ValueError(f"{x!r} has more than 4 fraction digits: not representable as a Cedar decimal")
    return {"__extn": {"fn": "decimal", "arg": format(q, "f")}}


class CedarEngine:
    key = "cedar"
    engine = "Cedar"
    dist = "cedarpy"
    language = "python"

    def __init__(self):
        import cedarpy
        self.cedarpy = cedarpy
        text, schema = _read("payments20.cedar"), _read("payments20.cedarschema")
        self.policy_bytes = text.encode()
        check = cedarpy.validate_policies(text, schema)
        if not check.validation_passed:
            raise RuntimeError(f"Cedar policies do not validate against the schema: {check}")
        self.policies = cedarpy.PolicySet.from_str(text)
        self.schema = cedarpy.Schema.from_str(schema)
        self.entities = cedarpy.Entities.from_json_str("[]")
        # Policy ids are policy0, policy1, … in file order; the annotations carry the rule.
        self.meta = {}
        for pid, p in json.loads(cedarpy.policies_to_json_str(text))["staticPolicies"].items():
            a = p["annotations"]
            self.meta[pid] = (p["effect"], a["id"], a["reason"], a["requires_override"] == "true")
        if len(self.meta) != 20:
            raise RuntimeError(f"expected 20 Cedar policies, found {len(self.meta)}")

    def prepare(self, signals):
        ctx = dict(signals)
        for k in ("amount", "daily_total"):
            if k in ctx:
                ctx[k] = cedar_decimal(ctx[k])
        return {"principal": {"type": "Customer", "id": "customer"},
                "action": {"type": "Action", "id": "release"},
                "resource": {"type": "Payment", "id": signals["payment_id"]},
                "context": ctx}

    def decide(self, request):
        r = self.cedarpy.is_authorized(request, self.policies, self.entities, self.schema)
        diag = r.diagnostics
        if diag.errors:
            raise RuntimeError(f"Cedar evaluation errors: {diag.errors}")
        reasons = diag.reasons
        if not reasons:
            if r.allowed:
                raise RuntimeError("Cedar allowed with no determining policy")
            return DEFAULT
        if len(reasons) != 1:
            raise RuntimeError(f"more than one determining Cedar policy: {reasons}")
        effect, rule_id, reason, override = self.meta[reasons[0]]
        if (effect == "permit") != r.allowed:
            raise RuntimeError(f"Cedar decision {r.decision} disagrees with the effect of {rule_id}")
        return ("approve" if r.allowed else "reject", override, reason, rule_id)


# ── Rego: regorus (Microsoft's Rust interpreter) ───────────────────────────────

REGO_QUERY = "data.payments20.decision"


def _rego_decision(d):
    return (d["action"], d["requires_override"], d["reason"], d["rule_id"])


class RegorusEngine:
    key = "regorus"
    engine = "Rego (regorus)"
    dist = "celine-regorus"
    language = "python"

    def __init__(self):
        import regorus
        text = _read("payments20.rego")
        self.policy_bytes = text.encode()
        self.e = regorus.Engine()
        self.e.add_policy("payments20.rego", text)

    def prepare(self, signals):
        return signals

    def decide(self, signals):
        # set_input_json, not set_input(dict): the Python binding (0.9.1) turns Python
        # booleans into the numbers 0/1 when converting a dict (bool is an int subclass),
        # so `input.kyc_verified == false` would never hold. Measured in results.json.
        self.e.set_input_json(json.dumps(signals))
        return _rego_decision(self.e.eval_rule(REGO_QUERY))

    def decide_dict(self, signals):
        self.e.set_input(signals)
        return _rego_decision(self.e.eval_rule(REGO_QUERY))


# ── Rego: rego-cpp (Microsoft's C++ interpreter, `regopy`) ──────────────────────

class RegopyEngine:
    key = "regopy"
    engine = "Rego (rego-cpp)"
    dist = "regopy"
    language = "python"

    def __init__(self):
        import regopy
        text = _read("payments20.rego")
        self.policy_bytes = text.encode()
        self.i = regopy.Interpreter()
        self.i.add_module("payments20.rego", text)
        # The compiled bundle is rego-cpp's path for repeated queries; Interpreter.query
        # recompiles the query every call (~10x slower, measured separately).
        self.bundle = self.i.build(REGO_QUERY)

    def prepare(self, signals):
        return signals

    def decide(self, signals):
        self.i.set_input(signals)
        out = self.i.query_bundle(self.bundle)
        if not out.ok():
            raise RuntimeError(f"rego-cpp error: {out}")
        return _rego_decision(json.loads(out.expressions().json())[0])

    def decide_query(self, signals):
        self.i.set_input(signals)
        out = self.i.query(REGO_QUERY)
        if not out.ok():
            raise RuntimeError(f"rego-cpp error: {out}")
        return _rego_decision(json.loads(out.expressions().json())[0])


# ── Microsoft Agent Governance Toolkit ─────────────────────────────────────────

AGT_AGENT = "did:agt:payments-bench"


def agt_context(signals):
    """The AGT evaluation context: the signals, plus the tags as a map (the condition
    language has no membership test on arrays: `tags contains X` reads `tag.X`)."""
    return {"action": {"type": "release_payment"}, "signals": signals,
            "tag": {t: True for t in signals.get("tags", ())}}


def _agt_import():
    with warnings.catch_warnings():
        # agentmesh/__init__ warns that "agentmesh-platform" is deprecated in favour of
        # agent-governance-toolkit-core, the very package it ships in (import paths are
        # unchanged per that package's README).
        warnings.simplefilter("ignore", DeprecationWarning)
        # importlib: `agentmesh.governance.govern` is also the name of the function the
        # package re-exports, so `import … as` would bind the function, not the module.
        mods = [importlib.import_module(f"agentmesh.governance.{m}")
                for m in ("policy", "govern", "audit", "audit_backends", "approval")]
    return mods


class AgtEngine:
    key = "agt"
    engine = "AGT"
    dist = "agent-governance-toolkit-core"
    language = "python"

    def __init__(self):
        policy, *_ = _agt_import()
        text = _read("payments20.agt.yaml")
        self.policy_bytes = text.encode()
        self.pe = policy.PolicyEngine(conflict_strategy="priority_first_match")
        loaded = self.pe.load_yaml(text)
        if len(loaded.rules) != 20:
            raise RuntimeError(f"expected 20 AGT rules, found {len(loaded.rules)}")

    def prepare(self, signals):
        return agt_context(signals)

    def decide(self, context):
        return agt_decision(self.pe.evaluate(AGT_AGENT, context))


def agt_decision(d):
    if d.matched_rule is None:
        if d.action != "deny":
            raise RuntimeError(f"AGT default was {d.action}")
        return DEFAULT
    if d.action == "allow":
        return ("approve", False, d.reason, d.matched_rule)
    if d.action == "require_approval":
        return ("approve", True, d.reason, d.matched_rule)
    if d.action == "deny":
        return ("reject", False, d.reason, d.matched_rule)
    raise RuntimeError(f"unexpected AGT action {d.action}")


ENGINES = [CedarEngine, RegorusEngine, RegopyEngine, AgtEngine]


def load_engines():
    """(loaded engines, {key: error text} for the ones that could not load)."""
    loaded, failed = [], {}
    for cls in ENGINES:
        try:
            loaded.append(cls())
        except Exception as e:  # noqa: BLE001 - reported, the run goes on
            failed[cls.key] = f"{type(e).__name__}: {e}"
    return loaded, failed


# ── Receipts ────────────────────────────────────────────────────────────────────

class SynthesizedReceipts:
    """For engines that offer no audit log and no signed receipt (Cedar, Rego): what
    the benchmark adds to make a governed decision: the signals' fingerprint
    (sha256 of their canonical JSON) and an Ed25519 signature (cryptography) over a
    canonical receipt of about Parmana's attestation size. No log, no storage."""

    def __init__(self, engine):
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        self.key = Ed25519PrivateKey.generate()
        self.engine = engine
        self.policy_hash = hashlib.sha256(engine.policy_bytes).hexdigest()
        self.last = None

    def issue(self, signals, decision):
        action, override, reason, rule_id = decision
        body = canonical({
            "type": "benchmark.receipt/v1",
            "decision": {"action": action, "requires_override": override, "reason": reason, "rule_id": rule_id},
            "execution_fingerprint": hashlib.sha256(canonical(signals)).hexdigest(),
            "payment_id": signals["payment_id"],
            "policy": {"engine": self.engine.engine, "hash": self.policy_hash, "policy_id": "payments20"},
            "issued_at_ns": time.time_ns(),
            "execution_state": "pending_override" if override else "completed",
        })
        self.last = (body, self.key.sign(body))
        return self.last


def synthesized_governed(engine):
    """eval + our receipt, as one call over (signals, native)."""
    receipts = SynthesizedReceipts(engine)
    decide = engine.decide

    def governed(case):
        signals, native = case
        d = decide(native)
        receipts.issue(signals, d)
        return d
    return governed, receipts


class AgtGoverned:
    """AGT's governed path, as its own code runs it:

    - `govern()` (agentmesh.governance.govern.GovernedCallable) with the payments20
      policy, conflict_strategy priority_first_match: policy evaluation, routing of
      require_approval to an approval handler (ours answers "pending", nobody
      approves synchronously in Parmana either), an entry in AGT's AuditLog
      (SHA-256 hash chain + Merkle tree, in memory) per evaluation and per approval;
    - then a signed receipt with AGT's own receipt type: mcp_receipt_governed
      (agent-governance-toolkit-protocols) GovernanceReceipt, hash-chained to the
      previous one, signed by sign_receipt (Ed25519 over its JCS payload) and kept in
      its ReceiptStore, exactly the steps of McpReceiptAdapter.govern_tool_call (a new
      store and session every `session_size` decisions, as one adapter per session). That
      receipt type is made for Cedar decisions of MCP tool calls: the deciding rule
      goes in `cedar_policy_id`, allow/deny in `cedar_decision`.
      Without the protocols package, the receipt is the audit entry signed with
      cryptography's Ed25519 instead (stated in the results).

    sink: None (in-memory audit only), "file" (AGT's FileAuditSink: each entry
    HMAC-SHA256 signed and appended to a JSON-lines file, no fsync) or "file+fsync"
    (the same with flush + fsync after each append, added by the benchmark).
    """

    def __init__(self, workdir, sink=None, session_size=1000):
        self.session_size = session_size
        _, govern_mod, audit_mod, backends, approval = _agt_import()
        self.pending = False
        outer = self

        class PendingApproval(approval.ApprovalHandler):
            def request_approval(self, request):
                outer.pending = True
                return approval.ApprovalDecision(approved=False, approver="queue:human-review",
                                                 reason="pending human review")

        self.gov = govern_mod.govern(
            self._release, policy=os.path.join(POLICIES, "payments20.agt.yaml"), agent_id=AGT_AGENT,
            conflict_strategy="priority_first_match", on_deny=lambda d: d,
            approval_handler=PendingApproval())
        self.sink_kind = sink
        if sink:
            os.makedirs(workdir, exist_ok=True)
            path = os.path.join(workdir, f"agt-audit-{sink.replace('+', '-')}-{os.getpid()}-{time.time_ns()}.jsonl")
            cls = backends.FileAuditSink
            if sink == "file+fsync":
                class FsyncFileAuditSink(backends.FileAuditSink):
                    def _append_line(self, signed):
                        line = json.dumps(signed.to_dict(), sort_keys=True, default=str)
                        with open(self._path, "a", encoding="utf-8") as fh:
                            fh.write(line + "\n")
                            fh.flush()
                            os.fsync(fh.fileno())
                cls = FsyncFileAuditSink
            self.sink = cls(path, secret_key=os.urandom(32))
            self.gov._audit = audit_mod.AuditLog(sink=self.sink)
        else:
            self.sink = None
        self.audit = self.gov.audit_log
        try:
            from mcp_receipt_governed.receipt import GovernanceReceipt, ReceiptStore, hash_tool_args, sign_receipt
            self.receipt_kind = "AGT GovernanceReceipt (mcp_receipt_governed), Ed25519 via its sign_receipt"
            self._GR, self._hash_args, self._sign = GovernanceReceipt, hash_tool_args, sign_receipt
            self._Store = ReceiptStore
            self.store = ReceiptStore()
            self.session_id = f"bench-{os.getpid()}-{time.time_ns()}"
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
            from cryptography.hazmat.primitives import serialization
            k = Ed25519PrivateKey.generate()
            self.key_hex = k.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                           serialization.NoEncryption()).hex()
            self._receipt = self._agt_receipt
        except ImportError:
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
            self.receipt_kind = "audit entry JSON signed with cryptography Ed25519 (AGT protocols package absent)"
            self.key = Ed25519PrivateKey.generate()
            self._receipt = self._entry_receipt

    @staticmethod
    def _release(**kwargs):
        return "released"

    def _agt_receipt(self, signals, entry, allowed):
        # The steps of McpReceiptAdapter.govern_tool_call, with the rule as the policy id.
        if len(self.store._receipts) >= self.session_size:
            # One adapter (store + session id) per session of session_size decisions:
            # ReceiptStore.add scans every stored receipt for a duplicate id, so without
            # sessions the per-call cost would grow with the length of the run.
            self.store = self._Store()
            self.session_id = f"bench-{os.getpid()}-{time.time_ns()}"
        with self.store._lock:
            parent = self.store._receipts[-1].payload_hash() if self.store._receipts else None
        r = self._GR(tool_name="release_payment", agent_did=AGT_AGENT,
                     cedar_policy_id=entry.data.get("rule") or "default",
                     cedar_decision="allow" if allowed else "deny",
                     args_hash=self._hash_args(signals), session_id=self.session_id,
                     parent_receipt_hash=parent)
        self._sign(r, self.key_hex)
        self.store.add(r)
        return r

    def _entry_receipt(self, signals, entry, allowed):
        body = entry.model_dump_json().encode()
        return body, self.key.sign(body)

    def __call__(self, case):
        signals, context = case
        self.pending = False
        result = self.gov(action="release_payment", signals=signals, tag=context["tag"])
        entry = self.audit.query(limit=1)[-1]          # the policy_evaluation entry of this call
        allowed = result == "released"
        self._receipt(signals, entry, allowed)
        rule = entry.data.get("rule") or "default"
        if allowed:
            return ("approve", False, None, rule)
        if self.pending:
            return ("approve", True, None, rule)
        return ("reject", False, None, rule)
