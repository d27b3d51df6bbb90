// Self-test of the console's cryptography in this browser. The result is machine
// readable: #result carries data-status="pass"|"fail" and data-passed/-failed/-total,
// and each group row carries data-group/-passed/-failed.

import { canonicalBytes, canonicalize } from "./jcs.js";
import { base64, hex, importPublicKey, importSeed, sha256Hex, sign, unbase64, unhex, utf8, verify } from "./crypto.js";
import { leafHash, nodeHash, verifyInclusion } from "./verify.js";
import { clear, h } from "./dom.js";

const VECTORS = "vectors/jcs/";
const JCS_PAIRS = ["arrays", "french", "structures", "unicode"];

const groups = [];
let current = null;

function group(name) {
  current = { name, passed: 0, failed: 0, failures: [], started: performance.now(), ms: 0 };
  groups.push(current);
  return current;
}

function expect(ok, what) {
  if (ok) current.passed += 1;
  else {
    current.failed += 1;
    if (current.failures.length < 50) current.failures.push(what);
  }
}

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function fetchVector(name) {
  const r = await fetch(VECTORS + name, { cache: "no-store", credentials: "omit" });
  if (!r.ok) throw new Error(`${VECTORS}${name}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

// ---- JCS: the repository's RFC 8785 pairs --------------------------------------------

async function jcsPairs() {
  group("JCS vectors (Vectors/jcs/*.json)");
  for (const name of JCS_PAIRS) {
    try {
      const input = utf8Decoder.decode(await fetchVector(`${name}.input.json`));
      const expected = await fetchVector(`${name}.output.json`);
      const got = canonicalBytes(JSON.parse(input));
      expect(sameBytes(got, expected), `${name}: got ${new TextDecoder().decode(got)}`);
    } catch (e) {
      expect(false, `${name}: ${e.message}`);
    }
  }
}

// ---- JCS: numbers.txt, every line -------------------------------------------------------

async function jcsNumbers() {
  group("JCS numbers (Vectors/jcs/numbers.txt)");
  let text;
  try {
    text = utf8Decoder.decode(await fetchVector("numbers.txt"));
  } catch (e) {
    expect(false, `numbers.txt: ${e.message}`);
    return;
  }
  const view = new DataView(new ArrayBuffer(8));
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith("\r") ? lines[i].slice(0, -1) : lines[i];
    if (line === "") continue;
    const comma = line.indexOf(",");
    const bits = comma > 0 ? line.slice(0, comma) : "";
    const want = line.slice(comma + 1);
    if (!/^[0-9a-f]{1,16}$/.test(bits)) {
      expect(false, `line ${i + 1}: unreadable ${JSON.stringify(line)}`);
      continue;
    }
    const padded = bits.padStart(16, "0");
    view.setUint32(0, parseInt(padded.slice(0, 8), 16));
    view.setUint32(4, parseInt(padded.slice(8), 16));
    const x = view.getFloat64(0);
    if (!Number.isFinite(x)) {
      // NaN and ±Infinity have no JSON form: canonicalize must refuse them.
      let refused = false;
      try { canonicalize(x); } catch { refused = true; }
      expect(refused, `line ${i + 1}: ${bits} is not finite but was serialized`);
      continue;
    }
    let got;
    try { got = canonicalize(x); } catch (e) { got = `error ${e.message}`; }
    expect(got === want, `line ${i + 1}: ${bits} → ${got}, expected ${want}`);
  }
}

// ---- JCS: RFC 8785's own examples and escapes -------------------------------------------------

function jcsExamples() {
  group("JCS examples (RFC 8785 §3.2.2, §3.2.3, escapes)");
  const cases = [
    // RFC 8785 §3.2.2 (values) — expected text checked with PyPI rfc8785.
    ['{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
      "7b226c69746572616c73223a5b6e756c6c2c747275652c66616c73655d2c226e756d62657273223a5b3333333333333333332e333333333333332c31652b33302c342e352c302e3030322c31652d32375d2c22737472696e67223a22e282ac245c75303030665c6e4127425c225c5c5c5c5c222f227d"],
    // RFC 8785 §3.2.3 (sorting by UTF-16 code units: the emoji sorts before U+FB33).
    ['{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control", "\\u00f6": "Latin Small Letter O With Diaeresis"}',
      "7b225c72223a2243617272696167652052657475726e222c2231223a224f6e65222c22c280223a22436f6e74726f6c222c22c3b6223a224c6174696e20536d616c6c204c6574746572204f205769746820446961657265736973222c22e282ac223a224575726f205369676e222c22f09f9880223a22456d6f6a693a204772696e6e696e672046616365222c22efacb3223a22486562726577204c65747465722044616c6574205769746820446167657368227d"],
    // Escapes: only the JCS ones; DEL and U+2028 raw; -0 → 0; SPEC §1 number examples.
    ['{"a": "\\u0000\\u0008\\u0009\\u000a\\u000c\\u000d\\u001f\\u007f\\u2028", "nested": {"b": [1.0, -0.0, 1e21, 1e-7, 0.000001, 9007199254740991]}}',
      "7b2261223a225c75303030305c625c745c6e5c665c725c75303031667fe280a8222c226e6573746564223a7b2262223a5b312c302c31652b32312c31652d372c302e3030303030312c393030373139393235343734303939315d7d7d"],
  ];
  for (const [input, wantHex] of cases) {
    let got;
    try { got = hex(canonicalBytes(JSON.parse(input))); } catch (e) { got = `error ${e.message}`; }
    expect(got === wantHex, `${input.slice(0, 40)}… → ${got}`);
  }
  let refused = false;
  try { canonicalize(JSON.parse('"\\ud800"')); } catch (e) { refused = e.code === "invalid_string"; }
  expect(refused, "a lone surrogate must be refused (invalid_string)");
}

// ---- encodings and SHA-256 -----------------------------------------------------------------------

async function encodings() {
  group("base64 (strict) and SHA-256");
  expect(base64(utf8("")) === "" && base64(utf8("f")) === "Zg==" && base64(utf8("fo")) === "Zm8=" && base64(utf8("foo")) === "Zm9v"
    && base64(utf8("foobar")) === "Zm9vYmFy", "RFC 4648 §10 base64 encodings");
  expect(new TextDecoder().decode(unbase64("Zm9vYmE=")) === "fooba", "decode Zm9vYmE=");
  for (const bad of ["Zg", "Zg=", "Zh==", "Zm9=", "Zm9v\n", "Zm-v", "Zm_v", "Z===", "=Zm9", "Zm 9v"]) {
    let refused = false;
    try { unbase64(bad); } catch (e) { refused = e.code === "invalid_encoding"; }
    expect(refused, `base64 ${JSON.stringify(bad)} must be refused`);
  }
  expect(await sha256Hex(utf8("abc")) === "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "SHA-256(abc)");
  expect(await sha256Hex(new Uint8Array(0)) === "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "SHA-256(empty)");
}

// ---- Ed25519 through WebCrypto ----------------------------------------------------------------------

const KAT = {
  // RFC 8032 §7.1 TEST 1
  seed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
  publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
  emptySignature: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  // Vectors/attestation/kat.json, case "override" (generated with PyPI rfc8785 + cryptography)
  override: {
    type: "parmana.override/v1",
    execution_id: "88a9db95-5f31-4f0d-84de-28a3ec9e3c83",
    attestation_hash: "aaf39e7edc722233bef5080002daa7cbdf7585f1336157bb7da760480190375b",
    resolution: "approve",
    reason: "verified by phone with the customer",
    approver_id: "alice@example.com",
    resolved_at: "2026-11-23T12:05:00.000Z",
    key_id: "21fe31dfa154a261626bf854046fd227",
  },
  overridePayloadSha256: "acf29b5d1de4ba824df6e356e57c75468b319f056e912fe4a4176f9497cdea22",
  overrideSignature: "oTHjYLtuTPPA7fOe568Ce1NcbJ5OOaifhMRhAyLEafybUO5kNRgL+VyGN9ZcnfRCXXJbdMtwbYYPE+7POAaQBA==",
  overrideEnvelopeSha256: "21db952a60ac02fbabbf3cf2421d64e8848ce8c67897297d34f7ac4417de5459",
};

async function ed25519() {
  group("Ed25519 (WebCrypto, RFC 8032 and Parmana known answers)");
  let key;
  try {
    key = await importSeed(unhex(KAT.seed));
  } catch (e) {
    expect(false, `import of an Ed25519 seed failed: ${e.code ?? e.name}: ${e.message}`);
    return;
  }
  expect(key.extractable === false, "the imported private key is not extractable");
  const empty = hex(await sign(key, new Uint8Array(0)));
  expect(empty === KAT.emptySignature, `RFC 8032 TEST 1 signature: ${empty}`);
  const pub = unhex(KAT.publicKey);
  expect(await verify(pub, unhex(KAT.emptySignature), new Uint8Array(0)), "RFC 8032 TEST 1 verifies");
  expect(!(await verify(pub, unhex(KAT.emptySignature), Uint8Array.of(0))), "a signature over other bytes does not verify");
  expect(await sha256Hex(canonicalBytes(KAT.override)) === KAT.overridePayloadSha256, "sha256(JCS(override payload))");
  const sig = base64(await sign(key, canonicalBytes(KAT.override)));
  expect(sig === KAT.overrideSignature, `override signature ${sig}`);
  const envelopeHash = await sha256Hex(canonicalBytes({ payload: KAT.override, signature: sig }));
  expect(envelopeHash === KAT.overrideEnvelopeSha256, `override envelope hash ${envelopeHash}`);
  const tampered = { ...KAT.override, resolution: "reject" };
  expect(!(await verify(pub, unbase64(KAT.overrideSignature), canonicalBytes(tampered))), "a changed payload does not verify");
  await importPublicKey(pub).then(() => expect(true, ""), (e) => expect(false, `public key import: ${e.message}`));
}

// ---- RFC 6962 Merkle inclusion ----------------------------------------------------------------------

// Roots of the trees of the first n leaves, n = 0…20, from Vectors/merkle/rfc6962.json
// (interop/make_merkle_vectors.py, an independent Python model). Leaf data i = sha256("entry-" + i).
const MERKLE_ROOTS = [
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "8fc4565a030e7b984be355c138ed6411034ee100844784d733671db6048942cc",
  "ec41137f68d8e549730e6534038dd1a592e2886d9baf6fe5c7cfdecc8091a4b1", "639cd00d319a522c5f4cb1a0c15360ab2e14d7dc1b82586689da9d5a54520908",
  "83a15238d38b2c8c40b9e0648e563a7333ed0bc031152d2dfaf08cd6b4b68a8c", "686740a495ff2741cf86a9fc66aa54ec7db395646b6d164ef122141223627650",
  "581720ab3c84b73c8174255d963a1efefc1a018ea6f544bf7c164640659bf900", "80ba229b17c7597338c07959843e3d410d915b2a064b229a1ea26f7728769af7",
  "e7455cb4779d9c297b0c7a39ef44e19030561bbde40ea7167575bb9fcc7a232c", "7719eb21661fb92f37e846f824f8423fbfbba74e844c8be236a567506ae76359",
  "1cb489b8eedc24a585b2bb7035ab30e96ead6166cdfdc994dbc8aeae7a692b5b", "10c45da3ac51e2be5fa8441af85322d23e5e7889cb84355401f2f4db17ca6923",
  "c51f6b2434f56c174502486314da1141f1064ea363b856cf9fd7c76991f781f0", "2065898426a2d9d8dfc18c65380a8a58135b39cc362be9726190d05b0a9fac48",
  "2c98892885829c345154312440f60c57726a79ff92f7f587b873a3058efc366a", "45ce043dc225517a717acdb1c0a5b4b042cb121a350bee06c19d7a8c801cddbd",
  "f19e19847361c36e96fd3992da79d9b291610f9ab3e3513d3c97da810ecb5203", "84b39fd0350001ad0ef1d6886db35abfa3241db8139941892b8341c5d6c6207a",
  "cb81920c9a20f83b66ef950f6d42f6f95f792445d3dd261972cddf4ec45831e8", "ad7c34de2bc5000d3c5fe0c8d6bf8ce5167b6525c598b74989e32d0114fe26f3",
  "02c27c5320769fafd717afa42ee15441e68de5f01bd583e96be1c8aa993b762f",
];

function split(n) {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

async function mth(leaves) {
  if (leaves.length === 1) return leaves[0];
  const k = split(leaves.length);
  return nodeHash(await mth(leaves.slice(0, k)), await mth(leaves.slice(k)));
}

async function path(m, leaves) {
  if (leaves.length <= 1) return [];
  const k = split(leaves.length);
  if (m < k) return [...(await path(m, leaves.slice(0, k))), await mth(leaves.slice(k))];
  return [...(await path(m - k, leaves.slice(k))), await mth(leaves.slice(0, k))];
}

async function merkle() {
  group("Merkle inclusion (RFC 6962 / RFC 9162 §2.1.3.2)");
  const data = [];
  for (let i = 0; i < 20; i++) data.push(unhex(await sha256Hex(utf8(`entry-${i}`))));
  const leaves = [];
  for (const d of data) leaves.push(await leafHash(d));
  for (let n = 1; n <= 20; n++) {
    const tree = leaves.slice(0, n);
    const root = unhex(MERKLE_ROOTS[n]);
    expect(hex(await mth(tree)) === MERKLE_ROOTS[n], `root of ${n} leaves`);
    for (let i = 0; i < n; i++) {
      const p = await path(i, tree);
      expect(await verifyInclusion(tree[i], i, n, p, root), `leaf ${i} of ${n} verifies`);
      if (n > 1) {
        expect(!(await verifyInclusion(tree[(i + 1) % n], i, n, p, root)), `another leaf at ${i} of ${n} must not verify`);
        expect(!(await verifyInclusion(tree[i], (i + 1) % n, n, p, root)), `leaf ${i} of ${n} at another index must not verify`);
        expect(!(await verifyInclusion(tree[i], i, n, p.slice(0, -1), root)), `leaf ${i} of ${n} with a short path must not verify`);
      }
    }
  }
  expect(!(await verifyInclusion(leaves[0], 1, 1, [], leaves[0])), "an index outside the tree must not verify");
}

// ---- run ----------------------------------------------------------------------------------------------

async function run() {
  const started = performance.now();
  const steps = [jcsPairs, jcsNumbers, jcsExamples, encodings, ed25519, merkle];
  for (const step of steps) {
    try {
      await step();
    } catch (e) {
      expect(false, `${step.name}: ${e.name}: ${e.message}`);
    }
    current.ms = Math.round(performance.now() - current.started);
  }
  const passed = groups.reduce((n, g) => n + g.passed, 0);
  const failed = groups.reduce((n, g) => n + g.failed, 0);
  const result = document.getElementById("result");
  const ok = failed === 0 && passed > 0;
  result.dataset.status = ok ? "pass" : "fail";
  result.dataset.passed = String(passed);
  result.dataset.failed = String(failed);
  result.dataset.total = String(passed + failed);
  result.dataset.ms = String(Math.round(performance.now() - started));
  result.textContent = `${ok ? "PASS" : "FAIL"}: ${passed} passed, ${failed} failed (${passed + failed} checks in ${result.dataset.ms} ms)`;

  const body = clear(document.getElementById("groups-body"));
  for (const g of groups) {
    body.appendChild(h("tr", { dataset: { group: g.name, passed: g.passed, failed: g.failed } },
      h("th", { scope: "row" }, g.name), h("td", {}, String(g.passed)), h("td", {}, String(g.failed)), h("td", {}, String(g.ms))));
  }
  const failures = clear(document.getElementById("failures"));
  for (const g of groups) for (const f of g.failures) failures.appendChild(h("li", {}, `${g.name}: ${f}`));
  if (!failures.children.length) failures.appendChild(h("li", {}, "none"));
  console.log(`[selftest] ${result.textContent}`);
}

run();
