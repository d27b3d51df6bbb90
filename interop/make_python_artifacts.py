#!/usr/bin/env python3
"""Python → Swift: signs artifacts with an independent implementation so that
`parmana verify` can check them. Writes DIR/cases.json listing each case, the
arguments for `parmana verify` (run in DIR, with `--trust trust.json --json` added),
the exit code it must give and, where stated, the report's `authorized`.

Keys are derived from fixed seeds (sha256 of a label), so the artifacts are the same
on every run.

v2 cases (SPEC §19): `parmana.attestation/v2` attestations whose decision carries
"override": {"approvals": K, "expires_at": T or null}, verified with several
overrides (`--override F` repeated). Their expectations come from the SPEC text:
- exit 0 when the report is valid (§14); every override given is an authentic
  override of this execution (signature, approver key and approver_id, window), so
  the report stays valid whether or not the override counts;
- authorized = K valid `approve` overrides from K distinct approver_ids, each with
  resolved_at before T (when T is not null), and no valid reject (§19.3); an
  override resolved at or after T does not count; a v1 attestation with
  requires_override behaves as K = 1 with no expiry;
- a v2 decision "override" with approvals outside 1–9 is malformed_payload (§19.1,
  §12): invalid, exit 1.
Each expectation is also checked against the Python verifier (parmana_py.verify)
before the files are written.

Usage: make_python_artifacts.py DIR
"""
import hashlib
import json
import os
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import parmana_py as pm


def seeded_key(label):
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"parmana interop: " + label.encode()).digest())


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    att_key, appr_key, pol_key = seeded_key("attestation"), seeded_key("approver alice"), seeded_key("policy")
    bob_key, carol_key = seeded_key("approver bob"), seeded_key("approver carol")
    att_id, appr_id, pol_id = (pm.key_id(pm.raw_public(k)) for k in (att_key, appr_key, pol_key))
    manifest = pm.sign_envelope({
        "type": "parmana.runtime-manifest/v1", "runtime": "parmana", "version": "0.1.0",
        "executable_sha256": pm.sha256_hex(b"python-runtime"),
        "semantics": {"canonicalization": "RFC8785", "policy_language": "parmana.policy/v1",
                      "signature": "Ed25519", "hash": "SHA-256"},
        "key_id": att_id}, att_key)
    runtime_hash = pm.identity_hash(manifest["payload"])

    def entry(k, roles, **extra):
        e = {"key_id": pm.key_id(pm.raw_public(k)), "public_key": pm.base64.b64encode(pm.raw_public(k)).decode(),
             "roles": roles, "valid_from": "2026-01-01T00:00:00.000Z", "valid_until": None}
        e.update(extra)
        return e

    trust = {"type": "parmana.trust-store/v1",
             "keys": [entry(att_key, ["attestation"], label="python-node"),
                      entry(appr_key, ["approver"], approver_id="alice@example.com"),
                      entry(pol_key, ["policy"], valid_until="2026-06-01T00:00:00.000Z"),
                      entry(bob_key, ["approver"], approver_id="bob@example.com"),
                      entry(carol_key, ["approver"], approver_id="carol@example.com")],
             "runtimes": [{"runtime_hash": runtime_hash, "manifest": manifest}]}
    signals = {"claim_id": "clm-42", "amount": 0.000001, "big": 1e21, "neg_zero": -0.0, "ratio": 1 / 3,
               "names": ["Zoë", "\u00e9", "e\u0301"], "\ufb01": True, "\U0001F600": False}

    def attestation(eid, requires_override, key=att_key, kid=att_id, issued="2026-11-23T12:00:00.123Z",
                    override=None, version="v1"):
        decision = {"action": "approve", "requires_override": requires_override,
                    "reason": "manual_review" if requires_override else "within_limits", "rule_id": "r1"}
        if override is not None:
            decision["override"] = override
        return pm.sign_envelope({
            "type": f"parmana.attestation/{version}", "execution_id": eid,
            "execution_fingerprint": pm.sha256_hex(pm.jcs(signals)),
            "policy": {"policy_id": "claims.triage", "version": "2.0.0", "hash": pm.sha256_hex(b"p")},
            "decision": decision,
            "execution_state": "pending_override" if requires_override else "completed",
            "runtime_hash": runtime_hash, "issued_at": issued, "key_id": kid}, key)

    approvers = {"alice": (appr_key, "alice@example.com"), "bob": (bob_key, "bob@example.com"),
                 "carol": (carol_key, "carol@example.com")}

    def override_for(att, who, resolution="approve", at="2026-11-23T12:05:00.000Z", reason="checked"):
        k, aid = approvers[who]
        return pm.sign_envelope({
            "type": "parmana.override/v1", "execution_id": att["payload"]["execution_id"],
            "attestation_hash": pm.sha256_hex(pm.jcs(att)), "resolution": resolution,
            "reason": reason, "approver_id": aid, "resolved_at": at,
            "key_id": pm.key_id(pm.raw_public(k))}, k)

    good = attestation("3c9f1e2a-7b4d-4e8f-9a0b-1c2d3e4f5a6b", False)
    pending = attestation("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", True)
    override = override_for(pending, "alice")
    tampered = json.loads(json.dumps(good))
    tampered["payload"]["decision"]["action"] = "reject"
    wrong_role = attestation("4d5e6f70-8192-4a3b-9c4d-5e6f70819203", False, key=pol_key, kid=pol_id,
                             issued="2026-03-01T00:00:00.000Z")
    files = {"trust.json": trust, "signals.json": signals, "good.json": good, "pending.json": pending,
             "override.json": override, "tampered.json": tampered, "wrong-role.json": wrong_role}
    cases = [
        {"name": "python-signed attestation", "args": ["good.json", "--signals", "signals.json", "--require-known-runtime"], "exit": 0},
        {"name": "python-signed override", "args": ["pending.json", "--override", "override.json", "--signals", "signals.json"], "exit": 0, "authorized": True},
        {"name": "tampered decision", "args": ["tampered.json"], "exit": 1},
        {"name": "key with the wrong role", "args": ["wrong-role.json"], "exit": 1},
    ]

    # --- SPEC §19: v2 attestations, quorum and expiry ------------------------------
    issued = "2026-11-23T12:00:00.123Z"
    expires = "2026-11-23T13:00:00.123Z"  # issued_at + 3600 s
    q2 = attestation("b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e", True, override={"approvals": 2, "expires_at": expires},
                     version="v2", issued=issued)
    q2_open = attestation("c3d4e5f6-a7b8-4c9d-8e0f-2a3b4c5d6e7f", True, override={"approvals": 2, "expires_at": None},
                          version="v2")
    q1_exp = attestation("d4e5f6a7-b8c9-4d0e-9f1a-3b4c5d6e7f80", True, override={"approvals": 1, "expires_at": expires},
                         version="v2")
    q3 = attestation("e5f6a7b8-c9d0-4e1f-8a2b-4c5d6e7f8091", True, override={"approvals": 3, "expires_at": expires},
                     version="v2")
    v1_pending = attestation("f6a7b8c9-d0e1-4f2a-9b3c-5d6e7f8091a2", True)
    files.update({"v2-q2.json": q2, "v2-q2-open.json": q2_open, "v2-q1-expiring.json": q1_exp, "v2-q3.json": q3,
                  "v1-pending.json": v1_pending})
    ovr = {
        "q2-alice": override_for(q2, "alice", at="2026-11-23T12:10:00.000Z"),
        "q2-bob": override_for(q2, "bob", at="2026-11-23T12:20:00.000Z"),
        "q2-alice-again": override_for(q2, "alice", at="2026-11-23T12:30:00.000Z", reason="checked again"),
        "q2-carol-reject": override_for(q2, "carol", resolution="reject", at="2026-11-23T12:15:00.000Z", reason="no"),
        "q2-bob-at-expiry": override_for(q2, "bob", at=expires),
        "q2-bob-after-expiry": override_for(q2, "bob", at="2026-11-23T13:00:00.124Z"),
        "q2-bob-just-before": override_for(q2, "bob", at="2026-11-23T13:00:00.122Z"),
        "q2-carol-reject-late": override_for(q2, "carol", resolution="reject", at="2026-11-23T14:00:00.000Z", reason="late"),
        "open-alice": override_for(q2_open, "alice", at="2027-05-01T09:00:00.000Z"),
        "open-bob": override_for(q2_open, "bob", at="2028-01-01T00:00:00.000Z"),
        "q1-alice": override_for(q1_exp, "alice", at="2026-11-23T12:59:59.999Z"),
        "q1-alice-late": override_for(q1_exp, "alice", at="2026-11-23T13:00:00.123Z"),
        "q3-alice": override_for(q3, "alice"), "q3-bob": override_for(q3, "bob"),
        "q3-carol": override_for(q3, "carol"),
        "v1-alice": override_for(v1_pending, "alice"), "v1-bob": override_for(v1_pending, "bob"),
        "v1-carol-reject": override_for(v1_pending, "carol", resolution="reject", reason="no"),
        "q2-alice-for-v1": override_for(v1_pending, "alice", at="2026-11-23T12:10:00.000Z"),
    }
    for name, env in ovr.items():
        files[f"ovr-{name}.json"] = env
    malformed = {}
    for label, o in [("approvals-0", {"approvals": 0, "expires_at": expires}),
                     ("approvals-10", {"approvals": 10, "expires_at": None})]:
        malformed[label] = attestation("a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", True, override=o, version="v2")
        files[f"v2-malformed-{label}.json"] = malformed[label]

    def v2_case(name, att_file, overrides, exit_code, authorized=None):
        args = [att_file]
        for o in overrides:
            args += ["--override", f"ovr-{o}.json"]
        args += ["--signals", "signals.json"]
        c = {"name": name, "args": args, "exit": exit_code}
        if authorized is not None:
            c["authorized"] = authorized
        return c

    v2_cases = [
        v2_case("v2 quorum met: 2 of 2 distinct approvers before expires_at", "v2-q2.json", ["q2-alice", "q2-bob"], 0, True),
        v2_case("v2 quorum met, overrides given in the other order", "v2-q2.json", ["q2-bob", "q2-alice"], 0, True),
        v2_case("v2 quorum short: 1 of 2", "v2-q2.json", ["q2-alice"], 0, False),
        v2_case("v2 no override at all: valid, not authorized", "v2-q2.json", [], 0, False),
        v2_case("v2 same approver twice counts once: not authorized", "v2-q2.json", ["q2-alice", "q2-alice-again"], 0, False),
        v2_case("v2 one reject among approvals: not authorized", "v2-q2.json", ["q2-alice", "q2-carol-reject", "q2-bob"], 0, False),
        v2_case("v2 override resolved exactly at expires_at is not counted", "v2-q2.json", ["q2-alice", "q2-bob-at-expiry"], 0, False),
        v2_case("v2 override resolved after expires_at is not counted", "v2-q2.json", ["q2-alice", "q2-bob-after-expiry"], 0, False),
        v2_case("v2 override resolved 1 ms before expires_at counts", "v2-q2.json", ["q2-alice", "q2-bob-just-before"], 0, True),
        v2_case("v2 expires_at null: approvals months later count", "v2-q2-open.json", ["open-alice", "open-bob"], 0, True),
        v2_case("v2 K=1 with expiry, approved in time", "v2-q1-expiring.json", ["q1-alice"], 0, True),
        v2_case("v2 K=1 with expiry, approved at expires_at: not counted", "v2-q1-expiring.json", ["q1-alice-late"], 0, False),
        v2_case("v2 quorum 3 of 3", "v2-q3.json", ["q3-alice", "q3-bob", "q3-carol"], 0, True),
        v2_case("v2 quorum 3, only 2", "v2-q3.json", ["q3-alice", "q3-carol"], 0, False),
        v2_case("v2 override for another execution makes the report invalid", "v2-q2.json", ["q2-alice", "q2-alice-for-v1"], 1, False),
        v2_case("v1 still works: one approval authorizes", "v1-pending.json", ["v1-alice"], 0, True),
        v2_case("v1 behaves as K=1: two approvals authorize", "v1-pending.json", ["v1-alice", "v1-bob"], 0, True),
        v2_case("v1 behaves as K=1: a reject besides an approval blocks", "v1-pending.json", ["v1-alice", "v1-carol-reject"], 0, False),
        v2_case("v2 malformed: override.approvals 0", "v2-malformed-approvals-0.json", [], 1, False),
        v2_case("v2 malformed: override.approvals 10", "v2-malformed-approvals-10.json", [], 1, False),
    ]
    # The expectations above are written from the SPEC; the Python verifier must agree.
    for c in v2_cases:
        att = files[c["args"][0]]
        given = [files[c["args"][i + 1]] for i, a in enumerate(c["args"]) if a == "--override"]
        valid, authorized, report = pm.verify(trust, att, signals=signals, overrides=given)
        if (0 if valid else 1) != c["exit"] or authorized != c.get("authorized", authorized):
            sys.exit(f"internal: parmana_py disagrees with the expectation for {c['name']!r}: "
                     f"valid={valid} authorized={authorized} errors={report.errors}")
        if c["name"].startswith("v2 malformed") and [e["code"] for e in report.errors] != ["malformed_payload"]:
            sys.exit(f"internal: {c['name']!r} is not malformed_payload in parmana_py: {report.errors}")
    cases += v2_cases

    # parmana.expiry/v1 (SPEC §19.2): signed by an attestation key; written for the
    # record (no `parmana verify` case: it is an audit record) and checked here.
    def expiry_for(att, at, key=att_key, kid=att_id):
        return pm.sign_envelope({"type": "parmana.expiry/v1", "execution_id": att["payload"]["execution_id"],
                                 "attestation_hash": pm.sha256_hex(pm.jcs(att)), "expired_at": at, "key_id": kid}, key)

    expiry = expiry_for(q2, expires)
    files["expiry-q2.json"] = expiry
    for label, env, att, want in [
            ("expiry at expires_at", expiry, q2, (True, "ok")),
            ("expiry after expires_at", expiry_for(q2, "2026-11-23T13:00:01.000Z"), q2, (True, "ok")),
            ("expiry before expires_at", expiry_for(q2, "2026-11-23T12:59:59.999Z"), q2, (False, "not_expired")),
            ("expiry of an attestation without expires_at", expiry_for(q2_open, expires), q2_open, (False, "not_expired")),
            ("expiry of a v1 attestation", expiry_for(v1_pending, expires), v1_pending, (False, "not_expired")),
            ("expiry bound to another attestation", expiry, q1_exp, (False, "attestation_mismatch")),
            ("expiry signed by an approver key", expiry_for(q2, expires, appr_key, appr_id), q2, (False, "untrusted_key")),
            ("expiry with an extra field", {"payload": dict(expiry["payload"], note="x"), "signature": expiry["signature"]},
             q2, (False, "malformed_payload")),
            ("expiry with a tampered time", {"payload": dict(expiry["payload"], expired_at="2026-11-23T13:00:00.200Z"),
                                             "signature": expiry["signature"]}, q2, (False, "invalid_signature"))]:
        got = pm.verify_expiry(trust, env, att)
        if got != want:
            sys.exit(f"internal: parmana_py.verify_expiry: {label}: {got}, want {want}")

    for name, doc in files.items():
        with open(os.path.join(d, name), "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, indent=1)
    with open(os.path.join(d, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
    print(f"wrote Python-signed artifacts to {d}")


if __name__ == "__main__":
    main()
