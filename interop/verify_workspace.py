#!/usr/bin/env python3
"""Swift → Python for the runtime: verifies, with the independent implementation,
attestations, overrides and inclusion proofs produced by `parmana decide`,
`parmana override` and `parmana audit proof` in a workspace, and recomputes the
audit log's hash chain, record hashes and Merkle root from `parmana audit export`
(parmana.log-export/v1, SPEC §16.4): what an auditor receives.

Usage: verify_workspace.py WS_DIR ARTIFACT_DIR
ARTIFACT_DIR holds completed.json, pending.json (201 bodies), override.json,
proof-completed.json, proof-pending.json, the signals s-completed.json, s-pending.json,
and log.jsonl (the export).
"""
import json
import os
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

    # The chain and Merkle root, recomputed from the export.
    with open(os.path.join(d, "log.jsonl"), "rb") as f:
        lines = [json.loads(line) for line in f if line.strip()]
    header, rest = lines[0], lines[1:]
    entries = [x for x in rest if "entry" in x]
    checkpoints = [x["checkpoint"] for x in rest if "checkpoint" in x]
    expect("export: a parmana.log-export/v1 header from seq 1 with the log's size",
           header["type"] == "parmana.log-export/v1" and header["from"] == 1 and header["size"] == len(entries))
    prev, leaves = "0" * 64, []
    chain_ok = True
    for n, x in enumerate(entries, start=1):
        entry = x["entry"]
        chain_ok &= entry["seq"] == n and entry["prev_hash"] == prev and entry["record_hash"] == pm.sha256_hex(pm.jcs(x["record"]))
        prev = pm.entry_hash(entry)
        chain_ok &= x["entry_hash"] == prev
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
    expect("export: every exported checkpoint's root recomputed in Python",
           bool(checkpoints) and all(mth(leaves[:c["payload"]["size"]]).hex() == c["payload"]["root_hash"] for c in checkpoints))
    if failures:
        sys.exit(f"{len(failures)} disagreement(s)")
    print("runtime artifacts: Swift and Python agree")


if __name__ == "__main__":
    main()
