// The approver's key (docs/formats.md, `parmana.private-key/v1`): read from a file the
// user picks, checked, imported into WebCrypto as a NON-extractable Ed25519 key, and
// kept only as that CryptoKey object in this page's memory. The file's text and the
// seed bytes are dropped (the seed zeroed) right after the import; nothing is sent
// or stored anywhere.

import { canonicalBytes } from "./jcs.js";
import { CryptoError, base64, importSeed, keyIdOf, sign, unbase64, verify } from "./crypto.js";

const MAX_FILE_BYTES = 64 * 1024;

/**
 * Reads a key file and returns {cryptoKey, keyId, approverId, publicKey (base64),
 * fileName}. Throws CryptoError with a SPEC §13 code.
 */
export async function loadApproverKey(file) {
  if (!file) throw new CryptoError("invalid_request", "choose a key file");
  if (file.size > MAX_FILE_BYTES) throw new CryptoError("too_large", "this file is too large to be a key file");
  let text = await file.text();
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new CryptoError("invalid_json", "the key file is not JSON");
  } finally {
    text = null;
  }
  let seed = null;
  try {
    if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
      throw new CryptoError("malformed_payload", "the key file is not a JSON object");
    }
    if (doc.type !== "parmana.private-key/v1") {
      throw new CryptoError("malformed_payload", `the file's type is ${JSON.stringify(doc.type)}, not parmana.private-key/v1 (a private key file from parmana keygen)`);
    }
    if (doc.algorithm !== "Ed25519") {
      throw new CryptoError("malformed_payload", `the key's algorithm is ${JSON.stringify(doc.algorithm)}, not Ed25519`);
    }
    if (!Array.isArray(doc.roles) || !doc.roles.includes("approver")) {
      throw new CryptoError("untrusted_key", "this key does not hold the approver role");
    }
    if (typeof doc.approver_id !== "string" || doc.approver_id.length === 0) {
      throw new CryptoError("malformed_payload", "an approver key file needs an approver_id");
    }
    if (typeof doc.key_id !== "string" || !/^[0-9a-f]{32}$/.test(doc.key_id)) {
      throw new CryptoError("malformed_payload", "key_id must be 32 lowercase hex characters");
    }
    if (typeof doc.public_key !== "string" || typeof doc.private_key !== "string") {
      throw new CryptoError("malformed_payload", "the key file needs public_key and private_key");
    }
    const publicRaw = unbase64(doc.public_key);
    seed = unbase64(doc.private_key);
    doc.private_key = null;
    if (publicRaw.length !== 32) throw new CryptoError("invalid_key", "public_key is not 32 bytes");
    if (seed.length !== 32) throw new CryptoError("invalid_key", "private_key is not a 32-byte seed");
    if ((await keyIdOf(publicRaw)) !== doc.key_id) {
      throw new CryptoError("invalid_key", "key_id is not the id of public_key (sha256, first 32 hex)");
    }
    const cryptoKey = await importSeed(seed); // zeroes the seed
    seed = null;

    // The non-extractable key cannot show its public half: prove that it matches the
    // file's public_key by signing a fresh challenge and verifying it.
    const challenge = canonicalBytes({ type: "parmana.console.key-check", nonce: base64(crypto.getRandomValues(new Uint8Array(16))) });
    const signature = await sign(cryptoKey, challenge);
    if (!(await verify(publicRaw, signature, challenge))) {
      throw new CryptoError("invalid_key", "the private key does not belong to public_key");
    }
    return {
      cryptoKey,
      keyId: doc.key_id,
      approverId: doc.approver_id,
      publicKey: doc.public_key,
      fileName: file.name,
    };
  } finally {
    if (seed) seed.fill(0);
    if (doc && typeof doc === "object") doc.private_key = null;
  }
}

/** Signs JCS(payload) and returns the envelope {payload, signature}. */
export async function signOverride(key, payload) {
  const signature = await sign(key.cryptoKey, canonicalBytes(payload));
  return { payload, signature: base64(signature) };
}
