"""An independent Python model of Parmana's wire formats (SPEC §1, §2, §6, §8, §10).

Written against the spec, not the Swift code, with PyPI `rfc8785` (JCS) and
`cryptography` (Ed25519). Used to cross-check the Swift implementation in CI.
"""
import base64
import binascii
import hashlib
import json
import re

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives import serialization

TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
HEX32 = re.compile(r"^[0-9a-f]{32}$")
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

ROLE_FOR_TYPE = {
    "parmana.attestation/v1": "attestation",
    "parmana.runtime-manifest/v1": "attestation",
    "parmana.override/v1": "approver",
    "parmana.policy/v1": "policy",
    "parmana.checkpoint/v1": "checkpoint",
}


def no_dupes(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate_key")
    return dict(pairs)


def load_json(path):
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"), object_pairs_hook=no_dupes)


def jcs(value) -> bytes:
    return rfc8785.dumps(value)


def sha256_hex(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def b64decode_strict(s: str) -> bytes:
    if not isinstance(s, str) or len(s) % 4 != 0:
        raise ValueError("invalid_encoding")
    raw = base64.b64decode(s, validate=True)
    if base64.b64encode(raw).decode() != s:
        raise ValueError("invalid_encoding")
    return raw


def key_id(raw_public: bytes) -> str:
    return sha256_hex(raw_public)[:32]


def raw_public(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def sign_envelope(payload: dict, private: Ed25519PrivateKey) -> dict:
    return {"payload": payload, "signature": base64.b64encode(private.sign(jcs(payload))).decode()}


def identity_hash(payload: dict) -> str:
    """policy_hash / runtime_hash: over the payload without key_id (SPEC §2.3)."""
    return sha256_hex(jcs({k: v for k, v in payload.items() if k != "key_id"}))


def parse_ts(s):
    if not isinstance(s, str) or not TS.match(s):
        raise ValueError("malformed_payload")
    return s  # fixed-width UTC form: lexical order is time order


class Report:
    def __init__(self):
        self.checks = {k: None for k in (
            "payload_well_formed", "key_trusted", "signature_valid", "runtime_verified",
            "fingerprint_matches", "policy_matches", "decision_reproduced", "override_valid", "audit_included")}
        self.errors = []

    def fail(self, code, msg):
        self.errors.append({"code": code, "message": msg})


def check_attestation_payload(p):
    expect = {"type", "execution_id", "execution_fingerprint", "policy", "decision", "execution_state",
              "runtime_hash", "issued_at", "key_id"}
    if not isinstance(p, dict) or set(p) != expect:
        raise ValueError("fields")
    if p["type"] != "parmana.attestation/v1":
        raise ValueError("type")
    if not (isinstance(p["execution_id"], str) and UUID4.match(p["execution_id"])):
        raise ValueError("execution_id")
    for f in ("execution_fingerprint", "runtime_hash"):
        if not (isinstance(p[f], str) and HEX64.match(p[f])):
            raise ValueError(f)
    pol = p["policy"]
    if not isinstance(pol, dict) or set(pol) != {"policy_id", "version", "hash"} or not HEX64.match(str(pol["hash"])):
        raise ValueError("policy")
    d = p["decision"]
    if (not isinstance(d, dict) or set(d) != {"action", "requires_override", "reason", "rule_id"}
            or d["action"] not in ("approve", "reject") or not isinstance(d["requires_override"], bool)
            or not isinstance(d["reason"], str) or not isinstance(d["rule_id"], str)):
        raise ValueError("decision")
    if p["execution_state"] not in ("completed", "pending_override"):
        raise ValueError("execution_state")
    if (p["execution_state"] == "pending_override") != d["requires_override"]:
        raise ValueError("execution_state")
    parse_ts(p["issued_at"])
    if not (isinstance(p["key_id"], str) and HEX32.match(p["key_id"])):
        raise ValueError("key_id")


def find_key(trust, kid):
    for k in trust.get("keys", []):
        if k["key_id"] == kid:
            raw = b64decode_strict(k["public_key"])
            if key_id(raw) != kid:
                return None
            return k, Ed25519PublicKey.from_public_bytes(raw)
    return None


def key_trusted(trust, kid, ptype, at, approver_id=None):
    found = find_key(trust, kid)
    if not found:
        return False
    k, _ = found
    role = ROLE_FOR_TYPE.get(ptype)
    if role not in k["roles"]:
        return False
    if at < k["valid_from"] or (k.get("valid_until") is not None and at >= k["valid_until"]):
        return False
    if role == "approver" and k.get("approver_id") != approver_id:
        return False
    return True


def sig_ok(trust, env):
    found = find_key(trust, env["payload"]["key_id"])
    if not found:
        return False
    try:
        found[1].verify(b64decode_strict(env["signature"]), jcs(env["payload"]))
        return True
    except (InvalidSignature, ValueError, binascii.Error):
        return False


def runtime_known(trust, runtime_hash):
    for rt in trust.get("runtimes", []):
        m = rt["manifest"]
        if rt["runtime_hash"] == runtime_hash and identity_hash(m["payload"]) == runtime_hash:
            if m["payload"].get("type") == "parmana.runtime-manifest/v1" and sig_ok(trust, m):
                found = find_key(trust, m["payload"]["key_id"])
                if found and "attestation" in found[0]["roles"]:
                    return True
    return False


def verify(trust, env, signals=None, override=None):
    r = Report()
    try:
        if set(env) != {"payload", "signature"}:
            raise ValueError("envelope")
        b64decode_strict(env["signature"])
        check_attestation_payload(env["payload"])
        r.checks["payload_well_formed"] = True
    except (ValueError, KeyError, TypeError, binascii.Error) as e:
        r.checks["payload_well_formed"] = False
        r.fail("malformed_payload", str(e))
        return False, False, r
    p = env["payload"]
    r.checks["key_trusted"] = key_trusted(trust, p["key_id"], p["type"], p["issued_at"])
    r.checks["signature_valid"] = sig_ok(trust, env)
    r.checks["runtime_verified"] = runtime_known(trust, p["runtime_hash"])
    if signals is not None:
        r.checks["fingerprint_matches"] = sha256_hex(jcs(signals)) == p["execution_fingerprint"]
    resolution = None
    if override is not None:
        ok = False
        try:
            op = override["payload"]
            ok = (set(op) == {"type", "execution_id", "attestation_hash", "resolution", "reason",
                              "approver_id", "resolved_at", "key_id"}
                  and op["type"] == "parmana.override/v1"
                  and op["execution_id"] == p["execution_id"]
                  and op["attestation_hash"] == sha256_hex(jcs(env))
                  and p["decision"]["requires_override"]
                  and op["resolution"] in ("approve", "reject")
                  and key_trusted(trust, op["key_id"], op["type"], parse_ts(op["resolved_at"]), op["approver_id"])
                  and sig_ok(trust, override))
            resolution = op["resolution"] if ok else None
        except (ValueError, KeyError, TypeError):
            ok = False
        r.checks["override_valid"] = ok
    valid = all(r.checks[k] for k in ("payload_well_formed", "key_trusted", "signature_valid")) and all(
        v is not False for k, v in r.checks.items() if k != "runtime_verified")
    if not valid:
        authorized = False
    elif p["decision"]["requires_override"]:
        authorized = resolution == "approve"
    else:
        authorized = p["decision"]["action"] == "approve"
    return valid, authorized, r


# --- audit log (SPEC §11): RFC 6962 hashing, RFC 9162 inclusion verification ---

def leaf_hash(entry_hash_hex):
    return hashlib.sha256(b"\x00" + bytes.fromhex(entry_hash_hex)).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def entry_hash(entry):
    return sha256_hex(jcs(entry))


def verify_inclusion(leaf, index, size, path, root):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_proof(trust, proof, attestation_env):
    """Checks an inclusion proof of an attestation (or override) against its signed checkpoint."""
    e = proof["entry"]
    if e["record_hash"] != sha256_hex(jcs(attestation_env)):
        return False, "entry records another artifact"
    if proof["leaf_index"] != e["seq"] - 1:
        return False, "leaf_index"
    cp = proof["checkpoint"]
    p = cp["payload"]
    if p.get("type") != "parmana.checkpoint/v1":
        return False, "checkpoint type"
    if not key_trusted(trust, p["key_id"], p["type"], parse_ts(p["issued_at"])) or not sig_ok(trust, cp):
        return False, "checkpoint signature"
    if p["size"] != proof["tree_size"]:
        return False, "tree size"
    ok = verify_inclusion(leaf_hash(entry_hash(e)), proof["leaf_index"], proof["tree_size"],
                          [bytes.fromhex(x) for x in proof["audit_path"]], bytes.fromhex(p["root_hash"]))
    return ok, "ok" if ok else "path does not reach the root"
