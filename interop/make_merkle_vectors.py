#!/usr/bin/env python3
"""Regenerates Vectors/merkle/rfc6962.json from an independent Python model of
RFC 6962 §2.1 (MTH, PATH, PROOF), written from the RFC text.

Leaf data for entry i is the 32 bytes of sha256("entry-" + i); leaf hash is
SHA-256(0x00 || data). Usage: python3 interop/make_merkle_vectors.py
"""
import hashlib
import json
import os


def h(b):
    return hashlib.sha256(b).digest()


def mth(d):
    n = len(d)
    if n == 0:
        return h(b"")
    if n == 1:
        return h(b"\x00" + d[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return h(b"\x01" + mth(d[:k]) + mth(d[k:]))


def path(m, d):
    n = len(d)
    if n <= 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]


def subproof(m, d, b):
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return subproof(m, d[:k], b) + [mth(d[k:])]
    return subproof(m - k, d[k:], False) + [mth(d[:k])]


def main():
    data = [h(f"entry-{i}".encode()) for i in range(20)]
    trees = []
    for n in range(0, 21):
        d = data[:n]
        t = {"size": n, "root": mth(d).hex(), "inclusion": [], "consistency": []}
        for m in range(n):
            t["inclusion"].append({"index": m, "path": [x.hex() for x in path(m, d)]})
        for m in range(1, n):
            t["consistency"].append({"first": m, "first_root": mth(d[:m]).hex(),
                                     "proof": [x.hex() for x in subproof(m, d, True)]})
        trees.append(t)
    doc = {"description": "RFC 6962 reference values from interop/make_merkle_vectors.py",
           "leaf_data": [x.hex() for x in data], "trees": trees}
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Vectors", "merkle", "rfc6962.json")
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("wrote", os.path.relpath(out))


if __name__ == "__main__":
    main()
