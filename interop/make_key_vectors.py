#!/usr/bin/env python3
"""Regenerates Vectors/keys/public_keys.json: Ed25519 public-key encodings classified
as SPEC §2.5 demands (canonical, on the curve, not in the 8-torsion subgroup).

The curve arithmetic is written here from RFC 8032 (§5.1 parameters, §5.1.3 point
decoding, §5.1.4 point addition in extended coordinates, §5.1.7 verification), with
the Python standard library only: no Ed25519 library decides what a vector says.

The 8-torsion subgroup is found, not typed in: [L]P of a curve point P lies in it,
and a point of order 8 there generates all eight. Small-order keys that admit a
forged signature (one that RFC 8032 cofactorless verification accepts, made with no
private key) get "forged_message" (hex) and "forged_signature" (base64): R is the
identity's encoding, S = 0, and the message is the first "parmana forged N" whose
k = SHA-512(R || A || M) mod L is a multiple of the key's order, so that
[S]B = O = R + [k]A.

Usage: python3 interop/make_key_vectors.py   (rewrites the file; `git diff` must then be empty)
"""
import base64
import hashlib
import json
import os

# --- RFC 8032 §5.1: edwards25519 ---------------------------------------------------
P = 2 ** 255 - 19
L = 2 ** 252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
B_Y = (4 * pow(5, P - 2, P)) % P


def inv(x):
    return pow(x, P - 2, P)


# Points in extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, x*y = T/Z (§5.1.4).
IDENTITY = (0, 1, 1, 0)


def add(p1, p2):
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = 2 * t1 * t2 * D % P
    d = 2 * z1 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def mul(k, pt):
    q = IDENTITY
    while k > 0:
        if k & 1:
            q = add(q, pt)
        pt = add(pt, pt)
        k >>= 1
    return q


def neg(pt):
    x, y, z, t = pt
    return ((-x) % P, y, z, (-t) % P)


def equal(p1, p2):
    x1, y1, z1, _ = p1
    x2, y2, z2, _ = p2
    return (x1 * z2 - x2 * z1) % P == 0 and (y1 * z2 - y2 * z1) % P == 0


def affine(pt):
    x, y, z, _ = pt
    zi = inv(z)
    return x * zi % P, y * zi % P


def on_curve_affine(x, y):
    return (-x * x + y * y - 1 - D * x * x * y * y) % P == 0


def from_affine(x, y):
    assert on_curve_affine(x, y)
    return (x, y, 1, x * y % P)


def recover_x(y, sign):
    """§5.1.3 steps 2-4 for an already reduced y: the x of the point, or None."""
    u = (y * y - 1) % P
    v = (D * y * y + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    if (v * x * x - u) % P == 0:
        pass
    elif (v * x * x + u) % P == 0:
        x = x * SQRT_M1 % P
    else:
        return None
    if x == 0 and sign == 1:
        return None
    if x & 1 != sign:
        x = P - x
    return x


def decode(enc):
    """RFC 8032 §5.1.3, strict: the point, or None (wrong length, y >= p, off the curve,
    x = 0 with the sign bit set)."""
    if len(enc) != 32:
        return None
    n = int.from_bytes(enc, "little")
    y, sign = n & ((1 << 255) - 1), n >> 255
    if y >= P:
        return None
    x = recover_x(y, sign)
    return None if x is None else from_affine(x, y)


def decode_lenient(enc):
    """What a careless decoder does: y reduced mod p, the sign bit ignored when x = 0."""
    n = int.from_bytes(enc, "little")
    y, sign = (n & ((1 << 255) - 1)) % P, n >> 255
    x = recover_x(y, 0)
    if x is None:
        return None
    if x != 0 and x & 1 != sign:
        x = P - x
    return from_affine(x, y)


def encode(pt):
    x, y = affine(pt)
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def raw_encoding(y, sign):
    """Any 255-bit y (reduced or not) with a sign bit: the 32 bytes as sent."""
    assert 0 <= y < 2 ** 255
    return (y | (sign << 255)).to_bytes(32, "little")


BASE = from_affine(recover_x(B_Y, 0), B_Y)


def sha512_int(*parts):
    return int.from_bytes(hashlib.sha512(b"".join(parts)).digest(), "little")


def public_from_seed(seed):
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return encode(mul(a, BASE))


def verify_cofactorless(public, message, signature):
    """RFC 8032 §5.1.7 with the cofactorless equation [S]B = R + [k]A."""
    if len(signature) != 64:
        return False
    a_pt, r_pt = decode(public), decode(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a_pt is None or r_pt is None or s >= L:
        return False
    k = sha512_int(signature[:32], public, message) % L
    return equal(mul(s, BASE), add(r_pt, mul(k, a_pt)))


def order(pt):
    """The order of a point of the 8-torsion subgroup (1, 2, 4 or 8)."""
    for n in (1, 2, 4, 8):
        if equal(mul(n, pt), IDENTITY):
            return n
    raise ValueError("not a torsion point")


def torsion_subgroup():
    """The eight points of E[8], generated by an order-8 point found as [L]P."""
    y = 2
    while True:
        y += 1
        x = recover_x(y, 0)
        if x is None:
            continue
        t = mul(L, from_affine(x, y))
        if not equal(mul(4, t), IDENTITY):
            break
    pts = [mul(i, t) for i in range(8)]
    assert equal(mul(8, t), IDENTITY) and len({encode(q) for q in pts}) == 8
    return pts


# --- checks of the arithmetic against RFC 8032 §7.1 -------------------------------
RFC8032 = [
    ("RFC 8032 §7.1 TEST 1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("RFC 8032 §7.1 TEST 2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ("RFC 8032 §7.1 TEST 3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
]


def self_check():
    assert on_curve_affine(*affine(BASE)) and equal(mul(L, BASE), IDENTITY)
    for name, seed, pk, msg, sig in RFC8032:
        assert public_from_seed(bytes.fromhex(seed)).hex() == pk, name
        assert verify_cofactorless(bytes.fromhex(pk), bytes.fromhex(msg), bytes.fromhex(sig)), name
        bad = bytearray(bytes.fromhex(sig))
        bad[0] ^= 1
        assert not verify_cofactorless(bytes.fromhex(pk), bytes.fromhex(msg), bytes(bad)), name


# --- the vectors ------------------------------------------------------------------
def b64(b):
    return base64.b64encode(b).decode()


def forge(public, n):
    """A signature that verifies for `public` (of order n) with no private key."""
    r = encode(IDENTITY)
    i = 0
    while True:
        msg = b"parmana forged %d" % i
        if (sha512_int(r, public, msg) % L) % n == 0:
            sig = r + (0).to_bytes(32, "little")
            assert verify_cofactorless(public, msg, sig)
            return msg, sig
        i += 1


def build():
    self_check()
    cases = []

    def case(name, raw, valid, reason, **extra):
        c = {"name": name, "public_key": b64(raw), "valid": valid, "reason": reason}
        c.update(extra)
        cases.append(c)

    torsion = torsion_subgroup()
    torsion_enc = {encode(t) for t in torsion}
    # 1. The 8-torsion subgroup, canonical encodings, each with a forgery.
    for t in sorted(torsion, key=lambda q: (order(q), encode(q))):
        enc, n = encode(t), order(t)
        x, y = affine(t)
        label = "identity (0, 1)" if n == 1 else f"order {n}, y = {'p-1' if y == P - 1 else y if y < 2 ** 16 else hex(y)[:12] + '…'}, x {'= 0' if x == 0 else 'odd' if x & 1 else 'even'}"
        msg, sig = forge(enc, n)
        case(f"small order: {label}", enc, False, "small_order", forged_message=msg.hex(), forged_signature=b64(sig))
    # 2. Every non-canonical encoding of them: y + p where it fits in 255 bits, and the
    #    sign bit set with x = 0. Found by decoding leniently (y reduced mod p, the sign
    #    bit ignored when x = 0), as a careless decoder would.
    seen = set()
    for t in torsion:
        _, y = affine(t)
        for yy in (y, y + P):
            for sign in (0, 1):
                if yy >= 2 ** 255:
                    continue
                raw = raw_encoding(yy, sign)
                lenient = decode_lenient(raw)
                if raw in torsion_enc or raw in seen or lenient is None or encode(lenient) not in torsion_enc:
                    continue
                seen.add(raw)
                why = []
                if yy >= P:
                    why.append("y = p" if yy == P else "y = p+%d" % (yy - P))
                if affine(lenient)[0] == 0 and sign == 1:
                    why.append("sign bit set with x = 0")
                case(f"non-canonical small order (order {order(lenient)}, the point {encode(lenient).hex()[:8]}…): "
                     + " and ".join(why) + f", sign {sign}", raw, False, "non_canonical")
    # 3. Off the curve.
    off = []
    y = 1
    while len(off) < 4:
        y += 1
        if recover_x(y, 0) is None:
            off.append(y)
    assert off[0] == 2
    for y in off:
        case(f"off curve: y = {y}", raw_encoding(y, 0), False, "off_curve")
    y = P - 1
    while recover_x(y, 0) is not None:
        y -= 1
    case(f"off curve: y = p-{P - y}", raw_encoding(y, 0), False, "off_curve")
    case("off curve: y = 2, sign bit set", raw_encoding(2, 1), False, "off_curve")
    # 4. Non-canonical encodings (y >= p) of ordinary points, and of nothing.
    ordinary_small_y = [y for y in range(0, 2 ** 255 - P) if recover_x(y, 0) is not None
                        and encode(from_affine(recover_x(y, 0), y)) not in torsion_enc]
    for y in ordinary_small_y[:3]:
        for sign in (0, 1):
            assert decode(raw_encoding(y, sign)) is not None
            case(f"non-canonical ordinary point: y = p+{y}, sign {sign} (canonical y = {y} is valid)",
                 raw_encoding(y + P, sign), False, "non_canonical")
    nothing_y = next(y for y in range(2, 2 ** 255 - P) if recover_x(y, 0) is None)
    case(f"non-canonical, and off curve once reduced: y = p+{nothing_y}", raw_encoding(nothing_y + P, 0), False, "non_canonical")
    case("all bits set: y = 2^255-1 = p+18, sign 1", b"\xff" * 32, False, "non_canonical")
    # 5. Wrong lengths.
    seed1 = bytes.fromhex(RFC8032[0][1])
    pk1 = public_from_seed(seed1)
    case("wrong length: 31 bytes (RFC 8032 TEST 1 key, last byte dropped)", pk1[:31], False, "wrong_length")
    case("wrong length: 33 bytes (RFC 8032 TEST 1 key + 0x00)", pk1 + b"\x00", False, "wrong_length")
    case("wrong length: empty", b"", False, "wrong_length")
    case("wrong length: 64 bytes (a seed and its public key)", seed1 + pk1, False, "wrong_length")
    # 6. Ordinary valid keys.
    for name, seed, pk, _, _ in RFC8032:
        case(f"valid: {name} public key", bytes.fromhex(pk), True, "ok")
    case("valid: base point B", encode(BASE), True, "ok")
    for y in ordinary_small_y[:2]:
        case(f"valid: small canonical y = {y}, sign 1", raw_encoding(y, 1), True, "ok")
    # 7. Mixed order: ordinary point + a torsion component. On the curve, canonical,
    #    not in E[8]: §2.5 accepts it.
    a1 = decode(pk1)
    for n in (2, 4, 8):
        t = next(q for q in torsion if order(q) == n)
        m = add(a1, t)
        enc = encode(m)
        assert decode(enc) is not None and enc not in torsion_enc and not equal(mul(8, m), IDENTITY)
        assert not equal(mul(L, m), IDENTITY)
        case(f"mixed order: TEST 1 key + a point of order {n}", enc, True, "mixed_order_accepted")
    # Every case's classification, recomputed from the definition.
    for c in cases:
        raw = base64.b64decode(c["public_key"])
        pt = decode(raw)
        valid = pt is not None and not equal(mul(8, pt), IDENTITY)
        assert valid == c["valid"], c["name"]
        assert (c["reason"] == "small_order") == (pt is not None and encode(pt) in torsion_enc), c["name"]
        assert (c["reason"] == "wrong_length") == (len(raw) != 32), c["name"]
    assert len({c["public_key"] for c in cases}) == len(cases)
    assert len({c["name"] for c in cases}) == len(cases)
    return cases


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    out = os.path.join(root, "Vectors", "keys", "public_keys.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    doc = {
        "description": "Ed25519 public keys and what SPEC §2.5 makes of them: a key must be the canonical "
                       "32-byte encoding (RFC 8032 §5.1.3) of a curve point outside the 8-torsion subgroup; "
                       "anything else is invalid_key. Small-order keys carry a signature forged without a "
                       "private key (forged_message hex, forged_signature base64) that RFC 8032 cofactorless "
                       "verification accepts.",
        "generator": "interop/make_key_vectors.py",
        "cases": build(),
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {len(doc['cases'])} cases to {os.path.relpath(out, root)}")


if __name__ == "__main__":
    main()
