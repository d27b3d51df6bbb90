#!/usr/bin/env bash
# Walks through Parmana's foundation: canonical JSON, fingerprints, keys, and offline
# verification of an attestation (signed here by the independent Python signer, so
# the demo also shows that the two implementations agree).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
echo "== building parmana (first build takes a few minutes)"
swift build --product parmana
swift build --product parmana-interop
bin=$(swift build --show-bin-path)
p="$bin/parmana"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo; echo "== canonicalize (RFC 8785)"
echo '{ "b": [1.0, -0, 1e21], "a": "\u00e9" }' | tee /dev/stderr | "$p" canonicalize; echo
echo; echo "== fingerprint of signals"
echo '{"payment_id":"pay_1","amount":1250.5}' | "$p" fingerprint
echo; echo "== keygen"
"$p" keygen --role attestation --out "$work/node.key"
ls -l "$work"
echo; echo "== a Swift-signed attestation, verified offline"
"$bin/parmana-interop" emit "$work/a" >/dev/null
"$p" verify "$work/a/attestation.json" --trust "$work/a/trust.json" --signals "$work/a/signals.json" --require-known-runtime
echo; echo "== the same attestation with one bit of its signature flipped"
"$p" verify "$work/a/attestation-tampered.json" --trust "$work/a/trust.json" || echo "(exit $? — refused, as it must be)"
