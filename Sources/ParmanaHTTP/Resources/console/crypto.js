// Hashing, encodings and Ed25519 through WebCrypto (SPEC §1, §2). Nothing here
// leaves the page; private keys are imported non-extractable.

export class CryptoError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** WebCrypto exists only in a secure context (HTTPS, or http://localhost / 127.0.0.1). */
export function subtle() {
  if (!globalThis.isSecureContext || !globalThis.crypto || !globalThis.crypto.subtle) {
    throw new CryptoError("webcrypto_unavailable",
      "WebCrypto is not available: the console must be opened over HTTPS or from localhost");
  }
  return globalThis.crypto.subtle;
}

const encoder = new TextEncoder();

export function utf8(s) {
  return encoder.encode(s);
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export async function sha256(bytes) {
  return new Uint8Array(await subtle().digest("SHA-256", bytes));
}

export async function sha256Hex(bytes) {
  return hex(await sha256(bytes));
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function hex(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]];
  return s;
}

/** Strict lowercase hex → bytes; null when it is not. */
export function unhex(s) {
  if (typeof s !== "string" || s.length % 2 !== 0 || !/^[0-9a-f]*$/.test(s)) return null;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
  return out;
}

export function isHash(s) {
  return typeof s === "string" && /^[0-9a-f]{64}$/.test(s);
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_INDEX = new Map(Array.from(B64, (c, i) => [c, i]));

export function base64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    s += B64[(n >> 18) & 63] + B64[(n >> 12) & 63];
    s += i + 1 < bytes.length ? B64[(n >> 6) & 63] : "=";
    s += i + 2 < bytes.length ? B64[n & 63] : "=";
  }
  return s;
}

/**
 * Strict standard base64 with padding (SPEC §2.1): no URL alphabet, no whitespace,
 * no missing padding, no non-zero padding bits. Throws invalid_encoding otherwise.
 */
export function unbase64(s) {
  const bad = () => new CryptoError("invalid_encoding", "not strict standard base64 with padding");
  if (typeof s !== "string" || s.length % 4 !== 0) throw bad();
  const pad = s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0;
  const body = s.length - pad;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const v = [];
    for (let j = 0; j < 4; j++) {
      const c = s[i + j];
      if (i + j >= body) { v.push(0); continue; }
      const x = B64_INDEX.get(c);
      if (x === undefined) throw bad();
      v.push(x);
    }
    const n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
    if (i + 4 === s.length) {
      if (pad === 2 && (n & 0xffff) !== 0) throw bad();
      if (pad === 1 && (n & 0xff) !== 0) throw bad();
    }
  }
  return out;
}

// RFC 8410 PrivateKeyInfo prefix for an Ed25519 seed: SEQUENCE { INTEGER 0,
// SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING (32) } }.
const PKCS8_ED25519_PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

/**
 * Imports a 32-byte RFC 8032 seed as a non-extractable Ed25519 signing key. The
 * caller's seed buffer and the temporary PKCS#8 buffer are zeroed before returning.
 */
export async function importSeed(seed) {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new CryptoError("invalid_key", "an Ed25519 seed is 32 bytes");
  }
  const pkcs8 = new Uint8Array(48);
  pkcs8.set(PKCS8_ED25519_PREFIX);
  pkcs8.set(seed, 16);
  try {
    return await subtle().importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
  } catch (e) {
    if (e instanceof CryptoError) throw e;
    throw new CryptoError("webcrypto_unavailable", `this browser could not import an Ed25519 key (${e.name}: ${e.message})`);
  } finally {
    pkcs8.fill(0);
    seed.fill(0);
  }
}

export async function importPublicKey(raw) {
  if (!(raw instanceof Uint8Array) || raw.length !== 32) {
    throw new CryptoError("invalid_key", "an Ed25519 public key is 32 bytes");
  }
  try {
    return await subtle().importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
  } catch (e) {
    throw new CryptoError("invalid_key", `the public key was refused (${e.name}: ${e.message})`);
  }
}

export async function sign(key, bytes) {
  return new Uint8Array(await subtle().sign({ name: "Ed25519" }, key, bytes));
}

/** Whether `signature` (bytes) is an Ed25519 signature of `bytes` by the raw public key. */
export async function verify(publicRaw, signature, bytes) {
  if (signature.length !== 64) return false;
  const key = await importPublicKey(publicRaw);
  return subtle().verify({ name: "Ed25519" }, key, signature, bytes);
}

/** key_id = first 32 hex characters of sha256(raw public key) (SPEC §2.2). */
export async function keyIdOf(publicRaw) {
  return (await sha256Hex(publicRaw)).slice(0, 32);
}
