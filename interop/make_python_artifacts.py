#!/usr/bin/env python3
"""Python → Swift: signs artifacts with an independent implementation so that
`parmana verify` can check them. Writes DIR/cases.json listing each case and the
exit code `parmana verify` must give.

Usage: make_python_artifacts.py DIR
"""
import json
import os
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import parmana_py as pm


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    att_key, appr_key, pol_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
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
                      entry(pol_key, ["policy"], valid_until="2026-06-01T00:00:00.000Z")],
             "runtimes": [{"runtime_hash": runtime_hash, "manifest": manifest}]}
    signals = {"claim_id": "clm-42", "amount": 0.000001, "big": 1e21, "neg_zero": -0.0, "ratio": 1 / 3,
               "names": ["Zoë", "\u00e9", "e\u0301"], "\ufb01": True, "\U0001F600": False}

    def attestation(eid, requires_override, key=att_key, kid=att_id, issued="2026-11-23T12:00:00.123Z"):
        return pm.sign_envelope({
            "type": "parmana.attestation/v1", "execution_id": eid,
            "execution_fingerprint": pm.sha256_hex(pm.jcs(signals)),
            "policy": {"policy_id": "claims.triage", "version": "2.0.0", "hash": pm.sha256_hex(b"p")},
            "decision": {"action": "approve", "requires_override": requires_override,
                         "reason": "manual_review" if requires_override else "within_limits",
                         "rule_id": "r1"},
            "execution_state": "pending_override" if requires_override else "completed",
            "runtime_hash": runtime_hash, "issued_at": issued, "key_id": kid}, key)

    good = attestation("3c9f1e2a-7b4d-4e8f-9a0b-1c2d3e4f5a6b", False)
    pending = attestation("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", True)
    override = pm.sign_envelope({
        "type": "parmana.override/v1", "execution_id": pending["payload"]["execution_id"],
        "attestation_hash": pm.sha256_hex(pm.jcs(pending)), "resolution": "approve",
        "reason": "checked", "approver_id": "alice@example.com", "resolved_at": "2026-11-23T12:05:00.000Z",
        "key_id": appr_id}, appr_key)
    tampered = json.loads(json.dumps(good))
    tampered["payload"]["decision"]["action"] = "reject"
    wrong_role = attestation("4d5e6f70-8192-4a3b-9c4d-5e6f70819203", False, key=pol_key, kid=pol_id,
                             issued="2026-03-01T00:00:00.000Z")
    files = {"trust.json": trust, "signals.json": signals, "good.json": good, "pending.json": pending,
             "override.json": override, "tampered.json": tampered, "wrong-role.json": wrong_role}
    for name, doc in files.items():
        with open(os.path.join(d, name), "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, indent=1)
    cases = [
        {"name": "python-signed attestation", "args": ["good.json", "--signals", "signals.json", "--require-known-runtime"], "exit": 0},
        {"name": "python-signed override", "args": ["pending.json", "--override", "override.json", "--signals", "signals.json"], "exit": 0, "authorized": True},
        {"name": "tampered decision", "args": ["tampered.json"], "exit": 1},
        {"name": "key with the wrong role", "args": ["wrong-role.json"], "exit": 1},
    ]
    with open(os.path.join(d, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
    print(f"wrote Python-signed artifacts to {d}")


if __name__ == "__main__":
    main()
