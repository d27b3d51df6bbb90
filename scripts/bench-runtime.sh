#!/usr/bin/env bash
# Runtime benchmarks of issues 10 and 14, all in ONE run on this machine, each figure a
# ratio against a baseline measured in the same run (BENCHMARKS.md):
#   - raw Ed25519 signing (swift-crypto) and one fsync'd single-row SQLite commit;
#   - in-memory and durable (SQLite) decide, 1 and 64 callers, with p50/p99/p99.9;
#   - inclusion proof and checkpoint latency on logs of 10,000 and 1,000,000 entries;
#   - bytes per decision on disk.
# Usage: scripts/bench-runtime.sh [SECONDS=10] [BIG_LOG=1000000]   (release build)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
big=${2:-1000000}
swift build -c release --product parmana 2>&1 | tail -1
p="$(swift build -c release --show-bin-path)/parmana"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$p" init --dir "$work/ws" > /dev/null 2>&1
run() { echo "… $*" >&2; "$@"; }

run "$p" bench sign --seconds 3 --json > "$work/sign.json"
run "$p" bench fsync --dir "$work/ws" --seconds 5 --json > "$work/fsync.json"
for c in 1 64; do
  run "$p" bench decide --dir "$work/ws" --store memory: --concurrency "$c" --seconds "$seconds" --prefix "m$c" --json > "$work/memory-$c.json"
  "$p" init --dir "$work/d$c" > /dev/null 2>&1
  run "$p" bench decide --dir "$work/d$c" --concurrency "$c" --seconds "$seconds" --prefix "d$c" --json > "$work/durable-$c.json"
done

# Proofs at two log sizes: fill logs with durable decisions, then time proofs and checkpoints.
fill() {  # DIR N
  "$p" init --dir "$1" > /dev/null 2>&1
  python3 - "$2" > "$1.lines" <<'PY'
import json, sys
for i in range(int(sys.argv[1])):
    print(json.dumps({"payment_id": f"fill_{i}", "amount": 10 + i % 9000, "currency": "EUR", "kyc_verified": True}))
PY
  echo "… filling a log with $2 decisions" >&2
  "$p" decide --dir "$1" --policy-id payments.release --signals-lines "$1.lines" > /dev/null
  rm -f "$1.lines"
}
fill "$work/p10k" 10000
run "$p" bench proof --dir "$work/p10k" --samples 2000 --json > "$work/proof-10k.json"
fill "$work/pbig" "$big"
run "$p" bench proof --dir "$work/pbig" --samples 2000 --json > "$work/proof-big.json"
db="$work/pbig/data/parmana.sqlite"
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE);" > /dev/null
bytes=$(stat -c %s "$db")

python3 - "$work" "$bytes" "$big" <<'PY'
import json, sys
d, size_bytes, big = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
j = lambda n: json.load(open(f"{d}/{n}.json"))
sign, fsync = j("sign"), j("fsync")
m1, m64, d1, d64 = j("memory-1"), j("memory-64"), j("durable-1"), j("durable-64")
p10k, pbig = j("proof-10k"), j("proof-big")
sign_rate = sign["signatures_per_second"]
fsync_us = fsync["latency_us"]["mean"]
rows = [
  ("raw Ed25519 sign (1 core)", f"{sign_rate:,.0f}/s", f"{sign['mean_us']} µs", ""),
  ("fsync'd single-row SQLite commit", f"{fsync['commits_per_second']:,.0f}/s", f"mean {fsync_us} µs, p99 {fsync['latency_us']['p99']} µs", ""),
  ("in-memory decide, 1 caller", f"{m1['decisions_per_second']:,.0f}/s", f"p50 {m1['latency_us']['p50']} / p99 {m1['latency_us']['p99']} / p99.9 {m1['latency_us']['p999']} µs",
   f"{m1['decisions_per_second'] / sign_rate:.2f}× signing (target ≥ 0.75)"),
  ("in-memory decide, 64 callers", f"{m64['decisions_per_second']:,.0f}/s", f"p50 {m64['latency_us']['p50']} / p99 {m64['latency_us']['p99']} µs",
   f"{m64['decisions_per_second'] / m1['decisions_per_second']:.2f}× one caller (target ≥ 1.8)"),
  ("durable decide, 1 caller", f"{d1['decisions_per_second']:,.0f}/s", f"mean {d1['latency_us']['mean']} / p50 {d1['latency_us']['p50']} / p99 {d1['latency_us']['p99']} / p99.9 {d1['latency_us']['p999']} µs",
   f"mean {d1['latency_us']['mean'] / (fsync_us + m1['latency_us']['mean']):.2f}× (fsync commit + in-memory decide) (target ≤ 1.5)"),
  ("durable decide, 64 callers", f"{d64['decisions_per_second']:,.0f}/s", f"p50 {d64['latency_us']['p50']} / p99 {d64['latency_us']['p99']} / p99.9 {d64['latency_us']['p999']} µs",
   f"{d64['decisions_per_second'] / m64['decisions_per_second']:.2f}× in-memory 64 (target ≥ 0.6); {d64['decisions_per_second'] / fsync['commits_per_second']:.1f}× fsync'd commits"),
  (f"inclusion proof, log of {p10k['log_size']:,}", "", f"mean {p10k['inclusion_proof_us']['mean']} / p99 {p10k['inclusion_proof_us']['p99']} µs", ""),
  (f"inclusion proof, log of {pbig['log_size']:,}", "", f"mean {pbig['inclusion_proof_us']['mean']} / p99 {pbig['inclusion_proof_us']['p99']} µs",
   f"{pbig['inclusion_proof_us']['mean'] / p10k['inclusion_proof_us']['mean']:.2f}× the 10k log (target ≤ 2, < 1 ms)"),
  (f"checkpoint, log of {p10k['log_size']:,}", "", f"mean {p10k['checkpoint_us']['mean']} / p99 {p10k['checkpoint_us']['p99']} µs", ""),
  (f"checkpoint, log of {pbig['log_size']:,}", "", f"mean {pbig['checkpoint_us']['mean']} / p99 {pbig['checkpoint_us']['p99']} µs",
   f"{pbig['checkpoint_us']['mean'] / p10k['checkpoint_us']['mean']:.2f}× the 10k log (target ≤ 2, < 1 ms)"),
  (f"SQLite file after {big:,} decisions", "", f"{size_bytes:,} bytes", f"{size_bytes / (big + 4):.0f} bytes per decision (target ≤ 1024)"),
]
print("| measure | rate | latency | ratio |\n|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")
json.dump({"sign": sign, "fsync": fsync, "memory_1": m1, "memory_64": m64, "durable_1": d1, "durable_64": d64,
           "proof_10k": p10k, "proof_big": pbig, "bytes": size_bytes}, open(f"{d}/../bench-runtime.json", "w"), indent=1)
PY
