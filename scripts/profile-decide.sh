#!/usr/bin/env bash
# Where a decision's CPU time goes: `perf record` of `parmana bench decide` (release),
# folded into categories (signing, hashing, canonical JSON, store, allocation, reference
# counting, kernel, …) and the top symbols. docs/performance.md holds a checked-in run.
# Usage: scripts/profile-decide.sh [STORE=memory:] [CONCURRENCY=1] [SECONDS=10]
#   STORE: memory: or sqlite (the workspace's durable store), or http: `parmana serve`
#   on the durable store, profiled while wrk sends decisions over CONCURRENCY keep-alive
#   connections (scripts/load/decisions.lua; wrk is not profiled).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
  ""|memory:|sqlite|http:) ;;
  *) echo "profile-decide: STORE is memory:, sqlite or http:, not '$1' (--help)" >&2; exit 2 ;;
esac
store=${1:-memory:}
concurrency=${2:-1}
seconds=${3:-10}
command -v perf > /dev/null || { echo "profile-decide: needs perf (apt-get install linux-perf)" >&2; exit 2; }
source scripts/release-bin.sh   # sets p
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$p" init --dir "$work/ws" > /dev/null 2>&1
storeArgs=(); [ "$store" = "memory:" ] && storeArgs=(--store memory:)
if [ "$store" = "http:" ]; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$p" serve --dir "$work/ws" --listen "127.0.0.1:$port" --log-level warning > /dev/null 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
  until curl -sf "http://127.0.0.1:$port/readyz" > /dev/null; do kill -0 $server; sleep 0.1; done
  echo "== perf record of parmana serve (durable SQLite) under wrk -c$concurrency for ${seconds}s" >&2
  perf record -F 1999 -g -p $server -o "$work/perf.data" -- sleep "$seconds" > /dev/null 2>&1 &
  recorder=$!
  PARMANA_TOKEN=$(cat "$work/ws/tokens/admin.token") wrk -t$(( concurrency < 2 ? 1 : 2 )) -c"$concurrency" \
    -d"$((seconds + 1))s" -s scripts/load/decisions.lua "http://127.0.0.1:$port" | tail -1 > "$work/wrk.json"
  wait $recorder || true
  kill -TERM $server; wait $server || true
  python3 -c 'import json,sys; w=json.load(open(sys.argv[1])); json.dump({"decisions_per_second": w["requests_per_second"], "latency_us": {"p50": round(w["p50_ms"]*1000)}, "store": "sqlite over HTTP", "concurrency": int(sys.argv[2])}, open(sys.argv[3], "w"))' \
    "$work/wrk.json" "$concurrency" "$work/bench.json"
else
  echo "== perf record: bench decide ${storeArgs[*]:-(durable SQLite)} --concurrency $concurrency --seconds $seconds" >&2
  perf record -F 1999 -g -o "$work/perf.data" "$p" bench decide --dir "$work/ws" "${storeArgs[@]}" \
    --concurrency "$concurrency" --seconds "$seconds" --json > "$work/bench.json" 2> /dev/null
fi
perf report -i "$work/perf.data" --no-children --sort dso,symbol --stdio -g none 2> /dev/null > "$work/flat.txt"
perf report -i "$work/perf.data" --children --sort symbol --stdio -g none 2> /dev/null > "$work/children.txt"
python3 - "$work" <<'PY'
import json, re, sys
work = sys.argv[1]
bench = json.load(open(f"{work}/bench.json"))
rows = []
for line in open(f"{work}/flat.txt"):
    m = re.match(r"\s+([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*)$", line)
    if m: rows.append((float(m.group(1)), m.group(2), m.group(4).strip()))
children = {}
for line in open(f"{work}/children.txt"):
    m = re.match(r"\s+([\d.]+)%\s+([\d.]+)%\s+\[.\]\s+(.*)$", line)
    if m: children.setdefault(m.group(3).strip(), float(m.group(1)))
# Startup and teardown, not the decide loop: hashing our own executable (runtime_hash),
# opening the workspace, freeing the in-memory store at exit.
setup = sum(v for k, v in children.items() if "executableSHA256SSvpZfiSSyXEfU_" in k) + \
        next((v for k, v in children.items() if re.search(r"ParmanaRuntime0B0CfD$", k)), 0)
cats = [
    ("Ed25519 signing (BoringSSL: scalar mult, field ops, SHA-512)", r"curve25519|x25519|fe_|ED25519|sha512|ge_|sc_"),
    ("SHA-256 (fingerprint, record, entry, Merkle nodes)", r"sha256"),
    ("reference counting (swift_retain/release, uniqueness)", r"swift_retain|swift_release|bridgeObject|isUniquelyReferenced|RefCounts|swift_unknownObject"),
    ("allocation (malloc, free, Swift allocObject)", r"malloc|free|_int_|unlink_chunk|consolidate|swift_allocObject|swift_deallocClassInstance|swift_slowAlloc|swift_slowDealloc|StackAllocator|tcache"),
    ("hash tables (Swift Dictionary/Set, Hasher)", r"Hasher|Dictionary|NativeSet|RawSetStorage|_HashTable"),
    ("canonical JSON, hex, base64, timestamps", r"CanonicalJSON|ECMAScript|Base64|Hex|Timestamp|JSONObject|JSONValue|JSONParser"),
    ("policy evaluation", r"CompiledPolicy|SignalBinder|Policy"),
    ("memory copies (memmove, memcmp)", r"memmove|memcpy|memcmp|memset"),
    ("SQLite (and GRDB)", r"sqlite|GRDB"),
    ("SwiftNIO, Hummingbird, HTTP types", r"NIO|Hummingbird|HTTPTypes|HTTPField"),
    ("Foundation (JSONSerialization, Data, String bridging)", r"Foundation|NSString|_NSCF|CFString"),
    ("Swift concurrency runtime", r"swift_task|swift_job|swift::|AsyncTask|_dispatch|Concurrency"),
    ("kernel (page faults, scheduling, syscalls)", r"^\[k\]|KERNEL"),
]
total = sum(r[0] for r in rows)
agg = {name: 0.0 for name, _ in cats}; agg["other"] = 0.0
others = []
for pct, dso, sym in rows:
    key = "KERNEL " + sym if dso.startswith("[kernel") else sym
    for name, pat in cats:
        if re.search(pat, key):
            agg[name] += pct; break
    else:
        agg["other"] += pct
        others.append((pct, dso, sym))
print(f"bench: {bench['decisions_per_second']} decisions/s, p50 {bench['latency_us']['p50']} µs, store {bench['store']}, concurrency {bench['concurrency']}")
print(f"samples outside the decide loop (startup: hashing the binary; teardown): {setup:.1f}%\n")
print("| where | share of samples |\n|---|---|")
for name, v in sorted(agg.items(), key=lambda kv: -kv[1]):
    print(f"| {name} | {v:.1f}% |")
print("\ntop symbols (self):\n")
print("| self | dso | symbol |\n|---|---|---|")
for pct, dso, sym in rows[:25]:
    print(f"| {pct:.2f}% | {dso} | `{sym[:110]}` |")
print("\nlargest symbols in \"other\":\n")
print("| self | dso | symbol |\n|---|---|---|")
for pct, dso, sym in others[:15]:
    print(f"| {pct:.2f}% | {dso} | `{sym[:110]}` |")
print("\ninclusive (children) for Parmana frames:\n")
print("| incl. | frame |\n|---|---|")
for k, v in sorted(children.items(), key=lambda kv: -kv[1]):
    if re.search(r"Parmana|SigningKey|Crypto10Curve", k) and v >= 1.0:
        print(f"| {v:.1f}% | `{k[:120]}` |")
PY
