#!/usr/bin/env bash
# Cross-checks the Swift implementation against the independent Python one, both ways.
# Usage: interop/run.sh [BIN_DIR]   (BIN_DIR holds the built `parmana` and `parmana-interop`)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "${1:-$(cd "$here/.." && swift build --show-bin-path)}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== Swift → Python"
"$bin/parmana-interop" emit "$work/swift"
python3 "$here/verify_swift_artifacts.py" "$work/swift"

echo "== Python → Swift"
python3 "$here/make_python_artifacts.py" "$work/py"
python3 - "$work/py" "$bin/parmana" <<'PY'
import json, subprocess, sys
d, parmana = sys.argv[1], sys.argv[2]
failed = 0
for case in json.load(open(f"{d}/cases.json")):
    p = subprocess.run([parmana, "verify", *case["args"], "--trust", "trust.json", "--json"], cwd=d, capture_output=True, text=True)
    ok = p.returncode == case["exit"]
    if ok and "authorized" in case:
        ok = json.loads(p.stdout)["authorized"] == case["authorized"]
    print(("ok   " if ok else "FAIL ") + f"{case['name']} (exit {p.returncode}, want {case['exit']})")
    if not ok:
        print(p.stdout, p.stderr)
        failed += 1
sys.exit(1 if failed else 0)
PY
echo "== Runtime artifacts (parmana decide / override / audit proof) → Python"
ws="$work/ws"; a="$work/artifacts"; mkdir -p "$a"
"$bin/parmana" init --dir "$ws" >/dev/null 2>"$work/init.err" || { cat "$work/init.err"; exit 1; }
echo '{"payment_id":"interop-1","amount":99.5,"currency":"EUR","kyc_verified":true,"tags":["über"]}' > "$a/s-completed.json"
echo '{"payment_id":"interop-2","amount":50000,"currency":"USD","kyc_verified":true}' > "$a/s-pending.json"
"$bin/parmana" decide --dir "$ws" --policy-id payments.release --signals "$a/s-completed.json" --json > "$a/completed.json"
"$bin/parmana" decide --dir "$ws" --policy-id payments.release --signals "$a/s-pending.json" --json > "$a/pending.json"
pending_id=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['execution_id'])" "$a/pending.json")
completed_id=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['execution_id'])" "$a/completed.json")
"$bin/parmana" override approve "$pending_id" --dir "$ws" --key "$ws/keys/approver-demo.key" --reason "interop check" --json > "$a/override.json"
"$bin/parmana" audit checkpoint --dir "$ws" --json > /dev/null
"$bin/parmana" audit proof --dir "$ws" --execution "$completed_id" --json > "$a/proof-completed.json"
"$bin/parmana" audit proof --dir "$ws" --execution "$pending_id" --json > "$a/proof-pending.json"
"$bin/parmana" audit export --dir "$ws" --out "$a/log.jsonl" 2>/dev/null
python3 "$here/verify_workspace.py" "$ws" "$a"

echo "== Differential policy evaluation (Swift vs independent Python, 100,000 pairs)"
python3 "$here/differential.py" "$bin/parmana-interop" --pairs "${INTEROP_DIFF_PAIRS:-100000}"

echo "== Public keys (SPEC §2.5): Python and the CLI refuse every forgeable key"
python3 "$here/check_key_vectors.py" "$bin" | tail -1

echo "== YAML read as a standard YAML reader reads it (ruamel.yaml 1.2, PyYAML 1.1), 2,000+ documents"
python3 "$here/yaml_differential.py" "$bin" | tail -1

echo "== Vectors are reproducible by their scripts"
python3 "$here/make_kat_vectors.py" >/dev/null
python3 "$here/make_key_vectors.py" >/dev/null
python3 "$here/make_yaml_vectors.py" >/dev/null
git -C "$here/.." diff --exit-code -- Vectors/attestation Vectors/keys Vectors/yaml && echo "ok   Vectors/attestation, Vectors/keys, Vectors/yaml unchanged"
echo "interop: all checks passed"
