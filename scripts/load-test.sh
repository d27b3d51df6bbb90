#!/usr/bin/env bash
# Load test of the HTTP API with the durable SQLite store, against the in-process
# durable throughput measured in the same run on the same machine (BENCHMARKS.md).
# Decisions with unique signals over keep-alive connections (wrk + scripts/load/decisions.lua).
# Usage: scripts/load-test.sh [SECONDS=10] [CONNECTIONS=64]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-64}
if ! command -v wrk > /dev/null; then
  echo "load-test: installing wrk (apt)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk > /dev/null
fi
bash scripts/bootstrap.sh
echo "== release build (a few minutes the first time)"
swift build -c release --product parmana 2>&1 | tail -1
p="$(swift build -c release --show-bin-path)/parmana"
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
server=""

echo "== in process: $connections concurrent callers, ${seconds}s, durable SQLite (WAL, synchronous=FULL, group commit)"
"$p" init --dir "$work/inproc" > /dev/null 2>&1
"$p" bench decide --dir "$work/inproc" --concurrency "$connections" --seconds "$seconds" --json > "$work/inproc.json"
cat "$work/inproc.json" | tr -d '\n '; echo

echo "== over HTTP: wrk, 2 threads, $connections keep-alive connections, ${seconds}s, same store settings"
"$p" init --dir "$work/http" > /dev/null 2>&1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$p" serve --dir "$work/http" --listen "127.0.0.1:$port" --log-level warning > "$work/serve.out" 2> "$work/serve.err" &
server=$!
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break; kill -0 $server || exit 1; sleep 0.1; done
PARMANA_TOKEN=$(cat "$work/http/tokens/admin.token") wrk -t2 -c"$connections" -d"${seconds}s" -s scripts/load/decisions.lua \
  "http://127.0.0.1:$port" | tail -1 > "$work/http.json"
cat "$work/http.json"
kill -TERM $server; wait $server || true
server=""
"$p" audit verify --dir "$work/http" 2>/dev/null | head -1

python3 - "$work/inproc.json" "$work/http.json" <<'PY'
import json, sys
inproc = json.load(open(sys.argv[1])); http = json.load(open(sys.argv[2]))
ratio = http["requests_per_second"] / inproc["decisions_per_second"]
print(f"in-process durable: {inproc['decisions_per_second']:.0f} decisions/s")
print(f"HTTP durable:       {http['requests_per_second']:.0f} decisions/s, p50 {http['p50_ms']:.2f} ms, p99 {http['p99_ms']:.2f} ms, non-2xx {http['non_2xx']}")
print(f"ratio HTTP / in-process: {ratio:.2f} (target >= 0.5)")
if http["non_2xx"] or http["socket_errors"]:
    sys.exit("load-test: some requests failed")
PY
