#!/usr/bin/env python3
"""Checks Vectors/keys/public_keys.json (SPEC §2.5) against
(a) the Python verifier (parmana_py.public_key_bytes / check_trust_store): it must
    refuse (invalid_key) or accept each key exactly as the vector says;
(b) the real CLI: in a scratch workspace (`parmana init`), `parmana trust add-key`
    with a key entry file must exit 2 with error code invalid_key for an invalid key,
    and exit 0 for a valid one;
(c) end to end, for each small-order key: an override whose signature is forged with
    no private key (R = identity, S = 0, the reason varied until it verifies) and a
    trust store that lists that key as an approver: `parmana verify` must refuse the
    trust store (exit 2, invalid_key) rather than report the forgery authorized.
It also reports, for information, whether OpenSSL (PyPI cryptography) accepts the
vectors' forged signatures.

Usage: check_key_vectors.py BIN_DIR   (the directory holding the built `parmana`)
Exit 1 on any disagreement.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import make_key_vectors as kv  # noqa: E402
import parmana_py as pm  # noqa: E402

VECTORS = os.path.join(HERE, "..", "Vectors", "keys", "public_keys.json")
SIGNALS = {"claim_id": "forged-1"}


def binary(bin_dir, name, wait_seconds=600):
    """The binary, waiting (a rebuild may be under way) up to wait_seconds for it."""
    path = os.path.join(bin_dir, name)
    deadline = time.time() + wait_seconds
    while not os.access(path, os.X_OK):
        if time.time() > deadline:
            sys.exit(f"{path} is missing")
        print(f"waiting for {path} …", file=sys.stderr)
        time.sleep(20)
    return path


def error_code(p):
    for stream in (p.stdout, p.stderr):
        for line in stream.splitlines():
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            if isinstance(doc, dict) and isinstance(doc.get("error"), dict):
                return doc["error"].get("code")
        try:
            doc = json.loads(stream)
            if isinstance(doc, dict) and isinstance(doc.get("error"), dict):
                return doc["error"].get("code")
        except ValueError:
            pass
    return None


def key_entry(raw, roles=("approver",), approver_id="x@example.com"):
    e = {"key_id": pm.sha256_hex(raw)[:32], "public_key": base64.b64encode(raw).decode(), "roles": list(roles),
         "valid_from": "2026-01-01T00:00:00.000Z", "valid_until": None}
    if approver_id:
        e["approver_id"] = approver_id
    return e


def python_side(cases, fail):
    for c in cases:
        try:
            pm.public_key_bytes(c["public_key"])
            got = "accepted"
        except pm.PmError as e:
            got = "refused " + e.code
        want = "accepted" if c["valid"] else "refused invalid_key"
        fail(got == want, f"python: {c['name']}: {got}" + ("" if got == want else f" (want {want})"))
        trust = {"type": "parmana.trust-store/v1", "keys": [key_entry(base64.b64decode(c["public_key"]))], "runtimes": []}
        try:
            pm.check_trust_store(trust)
            got = "accepted"
        except pm.PmError as e:
            got = "refused " + e.code
        fail(got == want, f"python trust store: {c['name']}: {got}" + ("" if got == want else f" (want {want})"))


def cli_side(parmana, cases, work, fail):
    template = os.path.join(work, "template")
    p = subprocess.run([parmana, "init", "--dir", template], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"parmana init failed: {p.stdout}{p.stderr}")
    for i, c in enumerate(cases):
        ws = os.path.join(work, f"ws{i}")
        shutil.copytree(template, ws)
        f = os.path.join(work, f"key{i}.pub.json")
        with open(f, "w") as out:
            json.dump(key_entry(base64.b64decode(c["public_key"])), out)
        p = subprocess.run([parmana, "trust", "add-key", "--dir", ws, "--public-key", f, "--roles", "approver",
                            "--approver-id", "x@example.com", "--json"], capture_output=True, text=True)
        code = error_code(p) if p.returncode else None
        ok = (p.returncode == 0) if c["valid"] else (p.returncode == 2 and code == "invalid_key")
        got = f"exit {p.returncode}" + (f", {code}" if code else "")
        want = "exit 0" if c["valid"] else "exit 2, invalid_key"
        fail(ok, f"cli trust add-key: {c['name']} [{c['reason']}]: {got}" + ("" if ok else f" (want {want})"))
        shutil.rmtree(ws)


def forged_override(small_key, attestation_env):
    """An override payload for the small-order key and a signature made without a
    private key: R = encoding of the identity, S = 0, valid once k*A = O."""
    a = kv.decode(small_key)
    n = kv.order(a)
    r = kv.encode(kv.IDENTITY)
    i = 0
    while True:
        payload = {"type": "parmana.override/v1", "execution_id": attestation_env["payload"]["execution_id"],
                   "attestation_hash": pm.sha256_hex(pm.jcs(attestation_env)), "resolution": "approve",
                   "reason": f"forged {i}", "approver_id": "mallory@example.com",
                   "resolved_at": "2026-11-23T12:05:00.000Z", "key_id": pm.key_id(small_key)}
        if (kv.sha512_int(r, small_key, pm.jcs(payload)) % kv.L) % n == 0:
            sig = r + bytes(32)
            assert kv.verify_cofactorless(small_key, pm.jcs(payload), sig)
            return {"payload": payload, "signature": base64.b64encode(sig).decode()}
        i += 1


def end_to_end(parmana, cases, work, fail):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    import hashlib
    att = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"parmana key vectors: attestation").digest())
    att_raw = pm.raw_public(att)
    att_entry = key_entry(att_raw, roles=("attestation",), approver_id=None)
    manifest = pm.sign_envelope({
        "type": "parmana.runtime-manifest/v1", "runtime": "parmana", "version": "0.1.0",
        "executable_sha256": pm.sha256_hex(b"key-vectors"),
        "semantics": {"canonicalization": "RFC8785", "policy_language": "parmana.policy/v1",
                      "signature": "Ed25519", "hash": "SHA-256"}, "key_id": att_entry["key_id"]}, att)
    pending = pm.sign_envelope({
        "type": "parmana.attestation/v1", "execution_id": "0f0e0d0c-0b0a-4908-8706-050403020100",
        "execution_fingerprint": pm.sha256_hex(pm.jcs(SIGNALS)),
        "policy": {"policy_id": "claims.triage", "version": "2.0.0", "hash": pm.sha256_hex(b"p")},
        "decision": {"action": "approve", "requires_override": True, "reason": "manual_review", "rule_id": "r1"},
        "execution_state": "pending_override", "runtime_hash": pm.identity_hash(manifest["payload"]),
        "issued_at": "2026-11-23T12:00:00.123Z", "key_id": att_entry["key_id"]}, att)
    d = os.path.join(work, "e2e")
    os.makedirs(d)
    with open(os.path.join(d, "pending.json"), "w") as f:
        json.dump(pending, f)
    for i, c in enumerate(cases):
        if c["reason"] != "small_order":
            continue
        raw = base64.b64decode(c["public_key"])
        override = forged_override(raw, pending)
        trust = {"type": "parmana.trust-store/v1",
                 "keys": [att_entry, key_entry(raw, approver_id="mallory@example.com")],
                 "runtimes": [{"runtime_hash": pm.identity_hash(manifest["payload"]), "manifest": manifest}]}
        with open(os.path.join(d, f"trust{i}.json"), "w") as f:
            json.dump(trust, f)
        with open(os.path.join(d, f"forged{i}.json"), "w") as f:
            json.dump(override, f)
        p = subprocess.run([parmana, "verify", "pending.json", "--override", f"forged{i}.json", "--trust", f"trust{i}.json",
                            "--json"], cwd=d, capture_output=True, text=True)
        code = error_code(p) if p.returncode else None
        authorized = None
        try:
            authorized = json.loads(p.stdout).get("authorized")
        except (ValueError, AttributeError):
            pass
        ok = p.returncode == 2 and code == "invalid_key"
        got = f"exit {p.returncode}" + (f", {code}" if code else "") + (", AUTHORIZED BY A FORGED OVERRIDE" if authorized else "")
        fail(ok, f"cli verify, forged override by {c['name']}: {got}" + ("" if ok else " (want exit 2, invalid_key)"))


def openssl_info(cases):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    accepted = []
    for c in cases:
        if "forged_signature" in c:
            try:
                Ed25519PublicKey.from_public_bytes(base64.b64decode(c["public_key"])).verify(
                    base64.b64decode(c["forged_signature"]), bytes.fromhex(c["forged_message"]))
                accepted.append(c["name"])
            except Exception:  # noqa: BLE001 - any refusal is fine
                pass
    print(f"info: OpenSSL (cryptography) accepts {len(accepted)} of the vectors' "
          f"{sum('forged_signature' in c for c in cases)} forged signatures: the key check must come first")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    bin_dir = sys.argv[1]
    if os.path.isfile(bin_dir):
        bin_dir = os.path.dirname(bin_dir)
    cases = json.load(open(VECTORS, encoding="utf-8"))["cases"]
    failures = []

    def fail(ok, line):
        print(("ok   " if ok else "FAIL ") + line)
        if not ok:
            failures.append(line)

    # The vectors' own forgeries verify under RFC 8032 cofactorless verification.
    for c in cases:
        if "forged_signature" in c:
            fail(kv.verify_cofactorless(base64.b64decode(c["public_key"]), bytes.fromhex(c["forged_message"]),
                                        base64.b64decode(c["forged_signature"])), f"vector forgery verifies: {c['name']}")
    openssl_info(cases)
    python_side(cases, fail)
    parmana = binary(bin_dir, "parmana")
    with tempfile.TemporaryDirectory() as work:
        cli_side(parmana, cases, work, fail)
        end_to_end(parmana, cases, work, fail)
    if failures:
        print(f"{len(failures)} failure(s):")
        for f in failures:
            print("  " + f)
        sys.exit(1)
    print("key vectors: Python and the CLI agree with every case")


if __name__ == "__main__":
    main()
