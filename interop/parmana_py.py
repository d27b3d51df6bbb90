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
    "parmana.attestation/v2": "attestation",
    "parmana.expiry/v1": "attestation",
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


class PmError(ValueError):
    """An error with a stable SPEC §13 code (str(e) is the code)."""

    def __init__(self, code, message=""):
        super().__init__(code)
        self.code, self.message = code, message


# --- Ed25519 public-key validity (SPEC §2.5) ---------------------------------------
# Written for this module, apart from interop/make_key_vectors.py (which classifies the
# vectors by enumerating the 8-torsion subgroup): here a key is decoded per RFC 8032
# §5.1.3 in affine coordinates and is of small order iff [8]A is the identity.
_P = 2 ** 255 - 19
_D = -121665 * pow(121666, _P - 2, _P) % _P
_I = pow(2, (_P - 1) // 4, _P)


def _decode_point(raw: bytes):
    if len(raw) != 32:
        return None, "not 32 bytes"
    n = int.from_bytes(raw, "little")
    y, sign = n % (1 << 255), n >> 255
    if y >= _P:
        return None, "non-canonical encoding (y >= p)"
    xx = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    x = pow(xx, (_P + 3) // 8, _P)
    if (x * x - xx) % _P != 0:
        x = x * _I % _P
    if (x * x - xx) % _P != 0:
        return None, "not a point on the curve"
    if x == 0 and sign:
        return None, "non-canonical encoding (sign bit set with x = 0)"
    if x % 2 != sign:
        x = _P - x
    return (x, y), None


def _affine_add(a, b):
    (x1, y1), (x2, y2) = a, b
    t = _D * x1 * x2 * y1 * y2 % _P
    return ((x1 * y2 + x2 * y1) * pow(1 + t, _P - 2, _P) % _P,
            (y1 * y2 + x1 * x2) * pow(1 - t, _P - 2, _P) % _P)


def check_public_key(raw: bytes) -> bytes:
    """Raises PmError("invalid_key") unless raw is a valid key under SPEC §2.5."""
    pt, why = _decode_point(raw)
    if pt is None:
        raise PmError("invalid_key", why)
    q = pt
    for _ in range(3):
        q = _affine_add(q, q)
    if q == (0, 1):
        raise PmError("invalid_key", "a point of small order (in the 8-torsion subgroup)")
    return raw


def public_key_bytes(b64: str) -> bytes:
    """A trust-store public_key field: strict base64 (invalid_encoding), then §2.5 (invalid_key)."""
    try:
        raw = b64decode_strict(b64)
    except (ValueError, binascii.Error):
        raise PmError("invalid_encoding", "public_key is not strict base64")
    return check_public_key(raw)


def check_trust_store(trust) -> dict:
    """What loading a trust store checks of its keys: every public key valid (§2.5).
    Raises PmError. (A key_id that does not match its key is left to find_key: untrusted.)"""
    for k in trust.get("keys", []):
        public_key_bytes(k.get("public_key"))
    return trust


def load_trust_store(path) -> dict:
    return check_trust_store(load_json(path))


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


def is_integer_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and float(v).is_integer()


def check_decision_override(o):
    """SPEC §19.1: the v2 decision field {"approvals": K (1-9), "expires_at": T or null}."""
    if not isinstance(o, dict) or set(o) != {"approvals", "expires_at"}:
        raise ValueError("decision.override fields")
    if not is_integer_number(o["approvals"]) or not 1 <= o["approvals"] <= 9:
        raise ValueError("decision.override.approvals must be an integer 1-9")
    if o["expires_at"] is not None:
        parse_ts(o["expires_at"])


def check_attestation_payload(p):
    """SPEC §6 (v1) and §19.1 (v2 = v1 plus the optional decision field "override",
    present only with requires_override: true)."""
    expect = {"type", "execution_id", "execution_fingerprint", "policy", "decision", "execution_state",
              "runtime_hash", "issued_at", "key_id"}
    if not isinstance(p, dict) or set(p) != expect:
        raise ValueError("fields")
    if p["type"] not in ("parmana.attestation/v1", "parmana.attestation/v2"):
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
    base = {"action", "requires_override", "reason", "rule_id"}
    allowed = [base, base | {"override"}] if p["type"] == "parmana.attestation/v2" else [base]
    if (not isinstance(d, dict) or set(d) not in allowed
            or d["action"] not in ("approve", "reject") or not isinstance(d["requires_override"], bool)
            or not isinstance(d["reason"], str) or not isinstance(d["rule_id"], str)):
        raise ValueError("decision")
    if "override" in d:
        if not d["requires_override"]:
            raise ValueError("decision.override without requires_override")
        check_decision_override(d["override"])
    if p["execution_state"] not in ("completed", "pending_override"):
        raise ValueError("execution_state")
    if (p["execution_state"] == "pending_override") != d["requires_override"]:
        raise ValueError("execution_state")
    parse_ts(p["issued_at"])
    if not (isinstance(p["key_id"], str) and HEX32.match(p["key_id"])):
        raise ValueError("key_id")


def override_requirement(p):
    """(K, T) for an attestation payload that requires an override: v2's decision
    "override", else (v1, or v2 without the field) K = 1 and no expiry (SPEC §19)."""
    o = p["decision"].get("override")
    if o is None:
        return 1, None
    return int(o["approvals"]), o["expires_at"]


def find_key(trust, kid):
    for k in trust.get("keys", []):
        if k["key_id"] == kid:
            raw = public_key_bytes(k["public_key"])  # PmError invalid_key / invalid_encoding
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


OVERRIDE_FIELDS = {"type", "execution_id", "attestation_hash", "resolution", "reason", "approver_id", "resolved_at",
                   "key_id"}


def override_ok(trust, attestation_env, override):
    """An override is valid for this attestation (SPEC §8): well-formed, bound to the
    execution and the exact attestation, the attestation requires an override, the key
    has the approver role and this approver_id and is valid at resolved_at, and the
    signature verifies. Timing against expires_at and distinctness are counted by the
    caller, not here."""
    try:
        p = attestation_env["payload"]
        if set(override) != {"payload", "signature"}:
            return False
        op = override["payload"]
        return bool(set(op) == OVERRIDE_FIELDS
                    and op["type"] == "parmana.override/v1"
                    and op["execution_id"] == p["execution_id"]
                    and op["attestation_hash"] == sha256_hex(jcs(attestation_env))
                    and p["decision"]["requires_override"]
                    and op["resolution"] in ("approve", "reject")
                    and isinstance(op["approver_id"], str) and op["approver_id"] != ""
                    and isinstance(op["reason"], str) and op["reason"] != ""
                    and key_trusted(trust, op["key_id"], op["type"], parse_ts(op["resolved_at"]), op["approver_id"])
                    and sig_ok(trust, override))
    except PmError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError):
        return False


def quorum_authorized(attestation_payload, valid_overrides):
    """SPEC §19.3 (and §8 as K = 1, no expiry): K valid approvals from K distinct
    approver_ids, each resolved before T (when T is not null), and no valid reject.
    An override resolved at or after T does not count, whatever its resolution."""
    k, t = override_requirement(attestation_payload)
    in_time = [o["payload"] for o in valid_overrides if t is None or o["payload"]["resolved_at"] < t]
    if any(op["resolution"] == "reject" for op in in_time):
        return False
    return len({op["approver_id"] for op in in_time if op["resolution"] == "approve"}) >= k


def verify(trust, env, signals=None, override=None, overrides=None):
    """SPEC §12 (+ §19.3): (valid, authorized, report). Several overrides may be given
    (`overrides`); `override` is the single-override form. An invalid key in the trust
    store raises PmError("invalid_key"), as loading the trust store does."""
    check_trust_store(trust)
    given = list(overrides or []) + ([override] if override is not None else [])
    r = Report()
    try:
        if set(env) != {"payload", "signature"}:
            raise ValueError("envelope")
        b64decode_strict(env["signature"])
        check_attestation_payload(env["payload"])
        r.checks["payload_well_formed"] = True
    except PmError:
        raise
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
    valid_overrides = []
    if given:
        oks = [override_ok(trust, env, o) for o in given]
        r.checks["override_valid"] = all(oks)
        valid_overrides = [o for o, ok in zip(given, oks) if ok]
    valid = all(r.checks[k] for k in ("payload_well_formed", "key_trusted", "signature_valid")) and all(
        v is not False for k, v in r.checks.items() if k != "runtime_verified")
    if not valid:
        authorized = False
    elif p["decision"]["requires_override"]:
        authorized = quorum_authorized(p, valid_overrides)
    else:
        authorized = p["decision"]["action"] == "approve"
    return valid, authorized, r


EXPIRY_FIELDS = {"type", "execution_id", "attestation_hash", "expired_at", "key_id"}


def verify_expiry(trust, expiry, attestation_env):
    """A parmana.expiry/v1 envelope (SPEC §19.2): well-formed, bound to this execution and
    attestation, which requires an override with a non-null expires_at no later than
    expired_at; signed by a key with the attestation role valid at expired_at.
    Returns (ok, reason)."""
    check_trust_store(trust)
    try:
        if set(expiry) != {"payload", "signature"}:
            return False, "malformed_payload"
        b64decode_strict(expiry["signature"])
        e = expiry["payload"]
        if set(e) != EXPIRY_FIELDS or e["type"] != "parmana.expiry/v1":
            return False, "malformed_payload"
        parse_ts(e["expired_at"])
        if not (isinstance(e["key_id"], str) and HEX32.match(e["key_id"])):
            return False, "malformed_payload"
        check_attestation_payload(attestation_env["payload"])
    except PmError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        return False, "malformed_payload"
    p = attestation_env["payload"]
    if e["execution_id"] != p["execution_id"] or e["attestation_hash"] != sha256_hex(jcs(attestation_env)):
        return False, "attestation_mismatch"
    if not p["decision"]["requires_override"]:
        return False, "not_pending"
    _, t = override_requirement(p)
    if t is None or e["expired_at"] < t:
        return False, "not_expired"
    if not key_trusted(trust, e["key_id"], e["type"], e["expired_at"]):
        return False, "untrusted_key"
    if not sig_ok(trust, expiry):
        return False, "invalid_signature"
    return True, "ok"


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
