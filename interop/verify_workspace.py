#!/usr/bin/env python3
"""Swift → Python for the runtime: verifies, with the independent implementation,
attestations, overrides and inclusion proofs produced by `parmana decide`,
`parmana override` and `parmana audit proof` in a workspace, and recomputes the
audit log's hash chain and Merkle root straight from the SQLite file.

Usage: verify_workspace.py WS_DIR ARTIFACT_DIR
ARTIFACT_DIR holds completed.json, pending.json (201 bodies), override.json,
proof-completed.json, proof-pending.json and the signals s-completed.json, s-pending.json.
"""
import json
import os
import sqlite3
import sys

import parmana_py as pm


def main():
    ws, d = sys.argv[1], sys.argv[2]
    j = lambda n: pm.load_json(os.path.join(d, n))
    trust = pm.load_json(os.path.join(ws, "trust.json"))
    failures = []

    def expect(name, cond):
        print(("ok   " if cond else "FAIL ") + name)
        if not cond:
            failures.append(name)

    completed, pending = j("completed.json"), j("pending.json")
    valid, authorized, r = pm.verify(trust, completed["attestation"], signals=j("s-completed.json"))
    expect("decide: completed attestation valid + authorized, runtime registered",
           valid and authorized and r.checks["runtime_verified"])
    valid, authorized, r = pm.verify(trust, pending["attestation"], signals=j("s-pending.json"))
    expect("decide: pending attestation valid, not authorized without an override", valid and not authorized)
    valid, authorized, r = pm.verify(trust, pending["attestation"], signals=j("s-pending.json"), override=j("override.json")["override"])
    expect("override: approved override authorizes", valid and authorized and r.checks["override_valid"])
    for name in ("completed", "pending"):
        ok, why = pm.verify_proof(trust, j(f"proof-{name}.json"), j(f"{name}.json")["attestation"])
        expect(f"audit proof: {name} attestation included at the signed checkpoint ({why})", ok)
    bad = json.loads(json.dumps(j("proof-completed.json")))
    bad["audit_path"][0] = "00" * 32 if bad["audit_path"] else bad["audit_path"]
    ok, _ = pm.verify_proof(trust, bad, completed["attestation"]) if bad["audit_path"] else (False, "")
    expect("audit proof: a corrupted path is refused", not ok)

    # The chain and Merkle root, recomputed from the database file.
    con = sqlite3.connect(os.path.join(ws, "data", "parmana.sqlite"))
    prev, leaves = "0" * 64, []
    chain_ok = True
    for seq, kind, eid, fp, rh, ph, at, record in con.execute(
            "SELECT seq, kind, execution_id, execution_fingerprint, record_hash, prev_hash, recorded_at, record FROM audit ORDER BY seq"):
        entry = {"seq": seq, "kind": kind, "execution_id": eid, "execution_fingerprint": fp,
                 "record_hash": rh, "prev_hash": ph, "recorded_at": at}
        chain_ok &= ph == prev and rh == pm.sha256_hex(pm.jcs(json.loads(record)))
        prev = pm.entry_hash(entry)
        leaves.append(pm.leaf_hash(prev))

    def mth(ls):
        if len(ls) == 1:
            return ls[0]
        k = 1
        while k * 2 < len(ls):
            k *= 2
        return pm.node_hash(mth(ls[:k]), mth(ls[k:]))

    expect("audit log: hash chain and record hashes recomputed in Python", chain_ok)
    cp = j("proof-pending.json")["checkpoint"]["payload"]
    expect("audit log: Merkle root recomputed in Python equals the signed checkpoint",
           mth(leaves[:cp["size"]]).hex() == cp["root_hash"])
    if failures:
        sys.exit(f"{len(failures)} disagreement(s)")
    print("runtime artifacts: Swift and Python agree")


if __name__ == "__main__":
    main()
