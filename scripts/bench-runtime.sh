#!/usr/bin/env bash
# Runtime benchmarks of issues 10 and 14, all in ONE run on this machine, each figure a
# ratio against a baseline measured in the same run (BENCHMARKS.md):
#   - raw Ed25519 signing (swift-crypto) and one fsync'd single-row SQLite commit;
#   - in-memory and durable (SQLite) decide, 1 and 64 callers, with p50/p99/p99.9;
#   - inclusion proof and checkpoint latency on logs of 10,000 and 1,000,000 entries;
#   - bytes per decision on disk;
#   - signing on 2 tasks (how far the cores scale the work that bounds a decision);
#   - stream mode (`decide --signals-lines`, 100,000 lines) against durable decide, 64 callers;
#   - the resident memory of `parmana serve` at BIG_LOG/10 and BIG_LOG decisions over HTTP.
# Usage: scripts/bench-runtime.sh [SECONDS=10] [BIG_LOG=1000000]   (release build)
#   PARMANA_TEST_BIN=path/to/parmana uses that binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
big=${2:-1000000}
source scripts/release-bin.sh   # sets p
command -v wrk > /dev/null || { echo "bench-runtime: needs wrk (apt-get install wrk)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$p" init --dir "$work/ws" > /dev/null 2>&1
run() { echo "… $*" >&2; "$@"; }
uptime > "$work/load-before.txt"

run "$p" bench sign --seconds 3 --json > "$work/sign.json"
run "$p" bench sign --seconds 3 --concurrency 2 --json > "$work/sign-2.json"
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
# Stream mode: 100,000 lines on a fresh workspace, timed (results in input order).
"$p" init --dir "$work/stream" > /dev/null 2>&1
python3 -c 'import json
for i in range(100000): print(json.dumps({"payment_id": f"s_{i}", "amount": 10 + i % 9000, "currency": "EUR", "kyc_verified": True}))' > "$work/stream.lines"
echo "… decide --signals-lines (100,000 lines)" >&2
python3 - "$p" "$work" > "$work/stream.json" <<'PY'
import json, subprocess, sys, time
p, work = sys.argv[1], sys.argv[2]
t = time.monotonic()
out = subprocess.run([p, "decide", "--dir", f"{work}/stream", "--policy-id", "payments.release", "--signals-lines",
                      f"{work}/stream.lines"], check=True, capture_output=True).stdout
secs = time.monotonic() - t
lines = out.count(b"\n")
print(json.dumps({"lines": lines, "seconds": round(secs, 2), "decisions_per_second": round(lines / secs)}))
PY
rm -f "$work/stream.lines"
fill "$work/p10k" 10000
run "$p" bench proof --dir "$work/p10k" --samples 2000 --json > "$work/proof-10k.json"
fill "$work/pbig" "$big"
run "$p" bench proof --dir "$work/pbig" --samples 2000 --json > "$work/proof-big.json"
db="$work/pbig/data/parmana.sqlite"
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE);" > /dev/null
bytes=$(stat -c %s "$db")

echo "… parmana serve: $big decisions over HTTP, resident memory sampled" >&2
python3 scripts/load/serve_rss.py "$p" "$work" "$big" > "$work/serve-rss.json"
uptime > "$work/load-after.txt"

python3 - "$work" "$bytes" "$big" <<'PY'
import json, sys
d, size_bytes, big = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
j = lambda n: json.load(open(f"{d}/{n}.json"))
sign, fsync = j("sign"), j("fsync")
m1, m64, d1, d64 = j("memory-1"), j("memory-64"), j("durable-1"), j("durable-64")
p10k, pbig = j("proof-10k"), j("proof-big")
sign2, stream, rss = j("sign-2"), j("stream"), j("serve-rss")
sign_rate = sign["signatures_per_second"]
fsync_us = fsync["latency_us"]["mean"]
rows = [
  ("raw Ed25519 sign (1 core)", f"{sign_rate:,.0f}/s", f"{sign['mean_us']} µs", ""),
  ("raw Ed25519 sign, 2 tasks", f"{sign2['signatures_per_second']:,.0f}/s", "", f"{sign2['signatures_per_second'] / sign_rate:.2f}× one task (how far the 2 cores scale signing)"),
  ("fsync'd single-row SQLite commit", f"{fsync['commits_per_second']:,.0f}/s", f"mean {fsync_us} µs, p99 {fsync['latency_us']['p99']} µs", ""),
  ("in-memory decide, 1 caller", f"{m1['decisions_per_second']:,.0f}/s", f"p50 {m1['latency_us']['p50']} / p99 {m1['latency_us']['p99']} / p99.9 {m1['latency_us']['p999']} µs",
   f"{m1['decisions_per_second'] / sign_rate:.2f}× signing (target ≥ 0.75)"),
  ("in-memory decide, 64 callers", f"{m64['decisions_per_second']:,.0f}/s", f"p50 {m64['latency_us']['p50']} / p99 {m64['latency_us']['p99']} µs",
   f"{m64['decisions_per_second'] / m1['decisions_per_second']:.2f}× one caller (target ≥ 1.8; signing scales {sign2['signatures_per_second'] / sign_rate:.2f}×)"),
  ("durable decide, 1 caller", f"{d1['decisions_per_second']:,.0f}/s", f"mean {d1['latency_us']['mean']} / p50 {d1['latency_us']['p50']} / p99 {d1['latency_us']['p99']} / p99.9 {d1['latency_us']['p999']} µs",
   f"mean {d1['latency_us']['mean'] / (fsync_us + m1['latency_us']['mean']):.2f}× (fsync commit + in-memory decide) (target ≤ 1.5)"),
  ("durable decide, 64 callers", f"{d64['decisions_per_second']:,.0f}/s", f"p50 {d64['latency_us']['p50']} / p99 {d64['latency_us']['p99']} / p99.9 {d64['latency_us']['p999']} µs",
   f"{d64['decisions_per_second'] / m64['decisions_per_second']:.2f}× in-memory 64 (target ≥ 0.6); {d64['decisions_per_second'] / fsync['commits_per_second']:.1f}× fsync'd commits"),
  (f"stream mode, decide --signals-lines, {stream['lines']:,} lines", f"{stream['decisions_per_second']:,.0f}/s", f"{stream['seconds']} s",
   f"{stream['decisions_per_second'] / d64['decisions_per_second']:.2f}× durable decide, 64 callers (target ≥ 0.8)"),
  (f"inclusion proof, log of {p10k['log_size']:,}", "", f"mean {p10k['inclusion_proof_us']['mean']} / p99 {p10k['inclusion_proof_us']['p99']} µs", ""),
  (f"inclusion proof, log of {pbig['log_size']:,}", "", f"mean {pbig['inclusion_proof_us']['mean']} / p99 {pbig['inclusion_proof_us']['p99']} µs",
   f"{pbig['inclusion_proof_us']['mean'] / p10k['inclusion_proof_us']['mean']:.2f}× the 10k log (target ≤ 2, < 1 ms)"),
  (f"checkpoint, log of {p10k['log_size']:,}", "", f"mean {p10k['checkpoint_us']['mean']} / p99 {p10k['checkpoint_us']['p99']} µs", ""),
  (f"checkpoint, log of {pbig['log_size']:,}", "", f"mean {pbig['checkpoint_us']['mean']} / p99 {pbig['checkpoint_us']['p99']} µs",
   f"{pbig['checkpoint_us']['mean'] / p10k['checkpoint_us']['mean']:.2f}× the 10k log (target ≤ 2, < 1 ms)"),
  (f"SQLite file after {big:,} decisions", "", f"{size_bytes:,} bytes", f"{size_bytes / (big + 4):.0f} bytes per decision (target ≤ 1024)"),
]
for mark, v in rss["rss_at"].items():
    rows.append((f"parmana serve, resident memory after {v['decisions']:,} decisions", "", f"{v['rss_mib']} MiB", ""))
first, last = list(rss["rss_at"].values())[0], list(rss["rss_at"].values())[-1]
rows.append(("parmana serve, resident memory growth", "", f"peak {rss['rss_peak_mib']} MiB",
             f"{last['rss_mib'] / first['rss_mib']:.2f}× from {first['decisions']:,} to {last['decisions']:,} decisions (target: flat); {rss['audit_verify']}"))
print(f"load: {open(d + '/load-before.txt').read().strip()} (before); {open(d + '/load-after.txt').read().strip()} (after)")
print("| measure | rate | latency | ratio |\n|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")
json.dump({"sign": sign, "sign_2": sign2, "stream": stream, "serve_rss": rss, "fsync": fsync, "memory_1": m1, "memory_64": m64, "durable_1": d1, "durable_64": d64,
           "proof_10k": p10k, "proof_big": pbig, "bytes": size_bytes}, open(f"{d}/../bench-runtime.json", "w"), indent=1)
PY
