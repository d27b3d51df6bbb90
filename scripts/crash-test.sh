#!/usr/bin/env bash
# Crash safety (issue 4): start a stream of decisions in one process, kill -9 it
# mid-stream, several times. After every kill: the audit log verifies, every
# attestation that was printed is in the log, and no fingerprint is consumed without
# its execution record — all checked through parmana commands (audit verify, audit
# export), never through table names. Usage: scripts/crash-test.sh [BIN_DIR] [ROUNDS]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "${1:-$(cd "$here" && swift build --show-bin-path)}" && pwd)
rounds=${2:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
p="$bin/parmana"

"$p" init --dir "$work/ws" >/dev/null 2>&1
for round in $(seq 1 "$rounds"); do
  python3 - "$work/lines-$round.jsonl" "$round" <<'PY'
import json, sys
path, rnd = sys.argv[1], sys.argv[2]
with open(path, "w") as f:
    for i in range(20000):
        f.write(json.dumps({"payment_id": f"crash-{rnd}-{i}", "amount": (i % 200) * 100.5,
                            "currency": "EUR", "kyc_verified": i % 13 != 0}) + "\n")
PY
  "$p" decide --dir "$work/ws" --policy-id payments.release --signals-lines "$work/lines-$round.jsonl" > "$work/out-$round.jsonl" 2>/dev/null &
  pid=$!
  # Wait until decisions are flowing, then kill without warning.
  for _ in $(seq 1 200); do
    [ -s "$work/out-$round.jsonl" ] && break
    sleep 0.05
  done
  sleep "0.$((RANDOM % 5 + 2))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true

  # Invariants through parmana itself, so the same script runs on any back end: the log
  # and what the store serves beside it verify (no fingerprint consumed without its
  # execution: projection_mismatch otherwise), and every printed attestation is in the export.
  "$p" audit verify --dir "$work/ws" >/dev/null 2>&1 || { echo "round $round: audit verify fails after kill -9"; "$p" audit verify --dir "$work/ws"; exit 1; }
  "$p" audit export --dir "$work/ws" --out "$work/export-$round.jsonl" 2>/dev/null
  "$p" audit verify --log "$work/export-$round.jsonl" --trust "$work/ws/trust.json" >/dev/null 2>&1 \
    || { echo "round $round: the exported log does not verify offline"; exit 1; }
  python3 - "$work/export-$round.jsonl" "$work/out-$round.jsonl" "$round" <<'PY'
import hashlib, json, sys
import rfc8785
export, out, rnd = sys.argv[1], sys.argv[2], sys.argv[3]
recorded, executions = set(), 0
with open(export, "rb") as f:
    for line in f:
        obj = json.loads(line)
        if "entry" in obj and obj["entry"]["kind"] == "execution":
            recorded.add(obj["entry"]["record_hash"])
            executions += 1
printed = 0
with open(out, "rb") as f:
    data = f.read()
# Only complete lines count; the kill may cut the last one.
for line in data.split(b"\n")[:-1]:
    obj = json.loads(line)
    if "error" in obj:
        continue
    h = hashlib.sha256(rfc8785.dumps(obj["attestation"])).hexdigest()
    if h not in recorded:
        sys.exit(f"round {rnd}: printed attestation {obj['execution_id']} is not in the audit log")
    printed += 1
if printed == 0 or printed >= 20000:
    sys.exit(f"round {rnd}: the kill did not land mid-stream ({printed} decisions printed)")
print(f"round {rnd}: killed after {printed} printed decisions; the log and its projection verify; {executions} executions, all printed ones logged")
PY
done
echo "crash test: $rounds kill -9 rounds survived"
