#!/usr/bin/env python3
"""Swift → Python: verifies artifacts that the Swift code signed, with an independent
implementation (PyPI rfc8785 + cryptography). Exits 1 on any disagreement.

Usage: verify_swift_artifacts.py DIR   (DIR written by `parmana-interop DIR`)
"""
import os
import sys

import parmana_py as pm


def main():
    d = sys.argv[1]
    j = lambda n: pm.load_json(os.path.join(d, n))
    trust = j("trust.json")
    signals = j("signals.json")
    hashes = j("hashes.json")
    failures = []

    def expect(name, cond):
        print(("ok   " if cond else "FAIL ") + name)
        if not cond:
            failures.append(name)

    expect("fingerprint matches Python's JCS", pm.sha256_hex(pm.jcs(signals)) == hashes["execution_fingerprint"])
    expect("attestation hash matches", pm.sha256_hex(pm.jcs(j("attestation.json"))) == hashes["attestation_hash"])
    rt = trust["runtimes"][0]
    expect("runtime hash matches", pm.identity_hash(rt["manifest"]["payload"]) == hashes["runtime_hash"])
    for k in trust["keys"]:
        expect(f"key_id {k['key_id']} matches its public key", pm.key_id(pm.b64decode_strict(k["public_key"])) == k["key_id"])

    valid, authorized, r = pm.verify(trust, j("attestation.json"), signals=signals)
    expect("completed attestation valid + authorized", valid and authorized and r.checks["runtime_verified"])
    valid, authorized, r = pm.verify(trust, j("attestation-pending.json"), signals=signals)
    expect("pending attestation valid, not authorized alone", valid and not authorized)
    valid, authorized, r = pm.verify(trust, j("attestation-pending.json"), signals=signals, override=j("override.json"))
    expect("pending attestation + override authorized", valid and authorized and r.checks["override_valid"])
    valid, authorized, r = pm.verify(trust, j("attestation-tampered.json"))
    expect("tampered attestation invalid", not valid and r.checks["signature_valid"] is False)
    valid, _, r = pm.verify(trust, j("attestation.json"), signals=dict(signals, amount=1))
    expect("other signals do not match", not valid and r.checks["fingerprint_matches"] is False)
    if failures:
        print(f"{len(failures)} disagreement(s)")
        sys.exit(1)
    print("Swift → Python: all artifacts agree")


if __name__ == "__main__":
    main()
