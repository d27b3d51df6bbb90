// Checks done in the page, independently of the server (SPEC §2, §10, §11):
// envelope signatures against the trust store, RFC 6962 Merkle inclusion, and a
// whole inclusion proof with its signed checkpoint.

import { canonicalBytes } from "./jcs.js";
import { concat, hex, isHash, keyIdOf, sha256, sha256Hex, unbase64, unhex, verify } from "./crypto.js";

export { concat };

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function isTimestamp(s) {
  return typeof s === "string" && TIME.test(s);
}

/** RFC 6962 leaf hash of an entry hash: SHA-256(0x00 ‖ entry_hash bytes). */
export async function leafHash(entryHashBytes) {
  return sha256(concat(Uint8Array.of(0x00), entryHashBytes));
}

/** RFC 6962 interior node: SHA-256(0x01 ‖ left ‖ right). */
export async function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(0x01), left, right));
}

function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

/**
 * RFC 9162 §2.1.3.2: whether `path` (array of 32-byte hashes) proves `leaf` at
 * `index` in a tree of `size` leaves whose root is `root`.
 */
export async function verifyInclusion(leaf, index, size, path, root) {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  // Shifts on Numbers are 32-bit: use BigInt so logs past 2^31 entries still work.
  let fn = BigInt(index);
  let sn = BigInt(size - 1);
  let r = leaf;
  for (const p of path) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && equalBytes(r, root);
}

/**
 * The trust-store key that may sign `role` payloads at `time` (SPEC §10): the key
 * exists, holds the role, and valid_from ≤ time < valid_until. Returns {key} or {reason}.
 */
export function trustedKey(trust, keyId, role, time) {
  const keys = Array.isArray(trust?.keys) ? trust.keys : [];
  const key = keys.find((k) => k && k.key_id === keyId);
  if (!key) return { reason: `key ${keyId} is not in the trust store` };
  if (!Array.isArray(key.roles) || !key.roles.includes(role)) {
    return { reason: `key ${keyId} does not hold the ${role} role` };
  }
  if (!isTimestamp(time)) return { reason: "the payload's time is not a timestamp" };
  // Timestamps share one fixed format, so text order is time order.
  if (typeof key.valid_from === "string" && time < key.valid_from) {
    return { reason: `key ${keyId} is valid only from ${key.valid_from}` };
  }
  if (typeof key.valid_until === "string" && time >= key.valid_until) {
    return { reason: `key ${keyId} was valid only until ${key.valid_until}` };
  }
  return { key };
}

/**
 * Verifies an envelope's Ed25519 signature over JCS(payload) with a trust-store key
 * that holds `role` at `time`. Returns {ok, reason}.
 */
export async function verifyEnvelope(envelope, trust, role, time) {
  const payload = envelope?.payload;
  if (!payload || typeof payload !== "object" || typeof envelope.signature !== "string") {
    return { ok: false, reason: "not an envelope {payload, signature}" };
  }
  const found = trustedKey(trust, payload.key_id, role, time);
  if (!found.key) return { ok: false, code: "untrusted_key", reason: found.reason };
  let pub, sig;
  try {
    pub = unbase64(found.key.public_key);
    sig = unbase64(envelope.signature);
  } catch (e) {
    return { ok: false, code: "invalid_encoding", reason: e.message };
  }
  if ((await keyIdOf(pub)) !== payload.key_id) {
    return { ok: false, code: "untrusted_key", reason: "the trust store's key does not hash to its key_id" };
  }
  let ok;
  try {
    ok = await verify(pub, sig, canonicalBytes(payload));
  } catch (e) {
    return { ok: false, code: e.code ?? "invalid_signature", reason: e.message };
  }
  return ok ? { ok: true, key: found.key } : { ok: false, code: "invalid_signature", reason: "the signature does not verify" };
}

/** hex(sha256(JCS(value))): attestation_hash, record_hash, entry_hash, fingerprint. */
export async function canonicalHash(value) {
  return sha256Hex(canonicalBytes(value));
}

/**
 * Checks an inclusion proof (`parmana.inclusion-proof/v1`) for audit entry `seq`:
 * the entry is what we expect, its record hash is the record's, the audit path leads
 * to the checkpoint's root, and a trusted checkpoint key signed that checkpoint.
 *
 * expect = {seq, kind, executionId, recordHash, fingerprint?}
 * Returns {ok, reason, checks: [{name, ok, detail}], checkpoint, entryHash}.
 */
export async function checkInclusionProof(proof, trust, expect) {
  const checks = [];
  let failed = null;
  // detail: [text when it holds, text when it does not] or one text for both.
  const check = (name, ok, detail) => {
    const text = Array.isArray(detail) ? detail[ok ? 0 : 1] : detail;
    checks.push({ name, ok: Boolean(ok), detail: text });
    if (!ok && !failed) failed = `${name}: ${text}`;
    return ok;
  };
  const done = (extra = {}) => ({ ok: failed === null, reason: failed, checks, ...extra });

  if (!check("proof type", proof?.type === "parmana.inclusion-proof/v1", `type ${JSON.stringify(proof?.type)}`)) return done();
  const entry = proof.entry;
  if (!check("entry present", entry && typeof entry === "object", ["the proof carries its audit entry", "the proof carries no entry"])) return done();
  check("entry seq", entry.seq === expect.seq, [`seq ${entry.seq}`, `entry seq ${entry.seq}, expected ${expect.seq}`]);
  check("leaf index", proof.leaf_index === entry.seq - 1, [`leaf_index ${proof.leaf_index} = seq − 1`, `leaf_index ${proof.leaf_index} for seq ${entry.seq}`]);
  if (expect.kind) check("entry kind", entry.kind === expect.kind, [`kind ${entry.kind}`, `kind ${JSON.stringify(entry.kind)}, expected ${expect.kind}`]);
  if (expect.executionId) {
    check("entry execution", entry.execution_id === expect.executionId, ["the entry names this execution", `entry names execution ${entry.execution_id}`]);
  }
  if (expect.fingerprint) {
    check("entry fingerprint", entry.execution_fingerprint === expect.fingerprint,
      ["the entry records this execution_fingerprint", "the entry records another execution_fingerprint"]);
  }
  check("record hash", entry.record_hash === expect.recordHash, [
    `entry.record_hash = sha256(JCS(attestation)) = ${expect.recordHash}`,
    `entry.record_hash ${entry.record_hash} ≠ sha256(JCS(record)) ${expect.recordHash}`]);

  let entryHash;
  try {
    entryHash = await canonicalHash(entry);
  } catch (e) {
    check("entry hash", false, e.message);
    return done();
  }
  check("entry hash", isHash(entryHash), `entry_hash = sha256(JCS(entry)) = ${entryHash}`);

  const cp = proof.checkpoint?.payload;
  if (!check("checkpoint type", cp?.type === "parmana.checkpoint/v1", `type ${JSON.stringify(cp?.type)}`)) {
    return done({ entryHash });
  }
  check("checkpoint size", cp.size === proof.tree_size, [`size ${cp.size} = tree_size`, `checkpoint size ${cp.size}, proof tree_size ${proof.tree_size}`]);
  const sig = await verifyEnvelope(proof.checkpoint, trust, "checkpoint", cp.issued_at);
  check("checkpoint signature", sig.ok, sig.ok ? `signed by checkpoint key ${cp.key_id} at ${cp.issued_at}` : sig.reason);

  const path = Array.isArray(proof.audit_path) ? proof.audit_path : null;
  const pathBytes = path && path.every(isHash) ? path.map(unhex) : null;
  const root = isHash(cp.root_hash) ? unhex(cp.root_hash) : null;
  if (!check("audit path", pathBytes !== null && root !== null, [`${path?.length} hashes`, "audit_path and root_hash must be 64-hex hashes"])) {
    return done({ entryHash, checkpoint: cp });
  }
  const leaf = await leafHash(unhex(entryHash));
  const included = await verifyInclusion(leaf, proof.leaf_index, proof.tree_size, pathBytes, root);
  check("Merkle inclusion", included, included
    ? `leaf ${proof.leaf_index} of ${proof.tree_size} leads to root ${cp.root_hash}`
    : `the audit path does not lead to the checkpoint's root ${cp.root_hash}`);
  if (entry.seq === cp.size) {
    check("last entry hash", cp.last_entry_hash === entryHash,
      ["the checkpoint's last_entry_hash is this entry's hash", "the checkpoint's last_entry_hash is not this entry's hash"]);
  }
  return done({ entryHash, checkpoint: cp });
}
