#!/usr/bin/env python3
"""Writes a workspace database in the v2 SQLite schema (Parmana before the compact log
of issue 10), with real signatures, so the v3 migration is tested on what older
workspaces hold. Independent of the Swift code: entries, hashes and signatures come
from interop/parmana_py.py (written from the SPEC).

Writes, next to this script: parmana.sqlite (the v2 database) and trust.json.
Deterministic: fixed seeds and timestamps. Run: python3 Tests/Fixtures/legacy-v2/make_legacy_db.py
"""
import base64
import hashlib
import json
import os
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")
sys.path.insert(0, os.path.join(ROOT, "interop"))
import parmana_py as pm  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

# The v2 schema, exactly as SQLiteEvidenceStore created it before issue 10.
V2_SCHEMA = """
CREATE TABLE IF NOT EXISTS replay (
    fingerprint TEXT PRIMARY KEY, execution_id TEXT NOT NULL, consumed_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS executions (
    execution_id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, attestation TEXT NOT NULL,
    attestation_hash TEXT NOT NULL, state TEXT NOT NULL, override TEXT, seq INTEGER NOT NULL,
    override_seq INTEGER);
CREATE INDEX IF NOT EXISTS pending_executions ON executions(execution_id) WHERE state = 'pending_override';
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, execution_id TEXT, execution_fingerprint TEXT,
    record_hash TEXT NOT NULL, prev_hash TEXT NOT NULL, recorded_at TEXT NOT NULL,
    entry_hash TEXT NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_record_hash ON audit(record_hash) WHERE kind IN ('policy_loaded', 'runtime_started');
CREATE TABLE IF NOT EXISTS checkpoints (id INTEGER PRIMARY KEY AUTOINCREMENT, size INTEGER NOT NULL, envelope TEXT NOT NULL);
"""


def key(seed_byte):
    return Ed25519PrivateKey.from_private_bytes(bytes([seed_byte]) * 32)


def b64(raw):
    return base64.b64encode(raw).decode()


def main():
    attestation, policy_key, approver = key(1), key(2), key(3)
    kid = lambda k: pm.key_id(pm.raw_public(k))  # noqa: E731
    epoch = "2026-01-01T00:00:00.000Z"
    manifest_payload = {
        "type": "parmana.runtime-manifest/v1", "runtime": "parmana", "version": "0.1.0",
        "executable_sha256": hashlib.sha256(b"parmana 0.1.0 (legacy fixture)").hexdigest(),
        "semantics": {"canonicalization": "RFC8785", "policy_language": "parmana.policy/v1", "signature": "Ed25519", "hash": "SHA-256"},
        "key_id": kid(attestation),
    }
    manifest = pm.sign_envelope(manifest_payload, attestation)
    runtime_hash = pm.identity_hash(manifest_payload)
    trust = {
        "type": "parmana.trust-store/v1",
        "keys": [
            {"key_id": kid(attestation), "public_key": b64(pm.raw_public(attestation)), "roles": ["attestation", "checkpoint"],
             "valid_from": epoch, "valid_until": None, "label": "attestation"},
            {"key_id": kid(policy_key), "public_key": b64(pm.raw_public(policy_key)), "roles": ["policy"],
             "valid_from": epoch, "valid_until": None, "label": "policy"},
            {"key_id": kid(approver), "public_key": b64(pm.raw_public(approver)), "roles": ["approver"],
             "valid_from": epoch, "valid_until": None, "label": "demo approver", "approver_id": "demo-approver@example.com"},
        ],
        "runtimes": [{"runtime_hash": runtime_hash, "manifest": manifest}],
    }
    with open(os.path.join(ROOT, "examples", "policies", "payments.release.json"), "rb") as f:
        policy_doc = json.loads(f.read())
    policy_payload = dict(policy_doc, key_id=kid(policy_key))
    policy_env = pm.sign_envelope(policy_payload, policy_key)
    policy_hash = pm.identity_hash(policy_payload)

    path = os.path.join(HERE, "parmana.sqlite")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    con = sqlite3.connect(path)
    con.executescript(V2_SCHEMA)
    entries = []

    def append(kind, record, at, execution_id=None, fingerprint=None):
        seq = len(entries) + 1
        prev = entries[-1]["hash"] if entries else "0" * 64
        entry = {"seq": seq, "kind": kind, "execution_id": execution_id, "execution_fingerprint": fingerprint,
                 "record_hash": pm.sha256_hex(pm.jcs(record)), "prev_hash": prev, "recorded_at": at}
        h = pm.entry_hash(entry)
        con.execute("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (seq, kind, execution_id, fingerprint, entry["record_hash"], prev, at, h, pm.jcs(record).decode()))
        entries.append({"entry": entry, "hash": h})
        return seq

    append("runtime_started", manifest, "2026-11-20T09:00:00.000Z")
    append("policy_loaded", policy_env, "2026-11-20T09:00:00.001Z")

    def decide(n, amount, at):
        signals = {"payment_id": f"legacy-{n}", "amount": amount, "currency": "EUR", "kyc_verified": True}
        fp = pm.sha256_hex(pm.jcs(signals))
        pending = amount > 10000
        decision = ({"action": "approve", "requires_override": True, "reason": "manual_review", "rule_id": "large-or-risky"}
                    if pending else {"action": "approve", "requires_override": False, "reason": "within_limits", "rule_id": "standard"})
        execution_id = f"0000000{n}-1111-4222-8333-444444444444"
        payload = {"type": "parmana.attestation/v1", "execution_id": execution_id, "execution_fingerprint": fp,
                   "policy": {"policy_id": "payments.release", "version": policy_doc["version"], "hash": policy_hash},
                   "decision": decision, "execution_state": "pending_override" if pending else "completed",
                   "runtime_hash": runtime_hash, "issued_at": at, "key_id": kid(attestation)}
        env = pm.sign_envelope(payload, attestation)
        seq = append("execution", env, at, execution_id, fp)
        text = pm.jcs(env).decode()
        con.execute("INSERT INTO replay VALUES (?, ?, ?)", (fp, execution_id, at))
        con.execute("INSERT INTO executions VALUES (?, ?, ?, ?, ?, NULL, ?, NULL)",
                    (execution_id, fp, text, pm.sha256_hex(pm.jcs(env)), payload["execution_state"], seq))
        return execution_id, env, fp

    decide(1, 120.5, "2026-11-20T09:01:00.000Z")
    approved_id, approved_env, approved_fp = decide(2, 25000, "2026-11-20T09:02:00.000Z")
    decide(3, 50000, "2026-11-20T09:03:00.000Z")
    override = pm.sign_envelope({
        "type": "parmana.override/v1", "execution_id": approved_id, "attestation_hash": pm.sha256_hex(pm.jcs(approved_env)),
        "resolution": "approve", "reason": "verified by phone", "approver_id": "demo-approver@example.com",
        "resolved_at": "2026-11-20T09:05:00.000Z", "key_id": kid(approver)}, approver)
    seq = append("override", override, "2026-11-20T09:05:00.000Z", approved_id, approved_fp)
    con.execute("UPDATE executions SET state = 'override_approved', override = ?, override_seq = ? WHERE execution_id = ?",
                (pm.jcs(override).decode(), seq, approved_id))

    # A checkpoint of the whole log, signed by the attestation key (it holds the checkpoint role).
    def mth(ls):
        if len(ls) == 1:
            return ls[0]
        k = 1
        while k * 2 < len(ls):
            k *= 2
        return pm.node_hash(mth(ls[:k]), mth(ls[k:]))
    root = mth([pm.leaf_hash(e["hash"]) for e in entries]).hex()
    cp = pm.sign_envelope({"type": "parmana.checkpoint/v1", "log_id": "parmana-legacyfixture01", "size": len(entries),
                           "root_hash": root, "last_entry_hash": entries[-1]["hash"], "issued_at": "2026-11-20T09:06:00.000Z",
                           "key_id": kid(attestation)}, attestation)
    con.execute("INSERT INTO checkpoints (size, envelope) VALUES (?, ?)", (len(entries), pm.jcs(cp).decode()))
    con.commit()
    con.execute("PRAGMA journal_mode = DELETE")
    con.close()
    with open(os.path.join(HERE, "trust.json"), "w") as f:
        json.dump(trust, f, indent=2)
        f.write("\n")
    print(f"wrote {os.path.relpath(path, ROOT)} ({len(entries)} entries, 1 checkpoint) and trust.json")


if __name__ == "__main__":
    main()
