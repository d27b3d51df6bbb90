#!/usr/bin/env bash
# Where topology B's time goes (issue 11, BENCHMARKS.md "Many nodes"): two nodes append to
# one PostgreSQL log (wrk -t1 -c8 against each, unique signals) while PostgreSQL logs every
# statement with its duration; then, per write transaction, the time the log's row lock
# (log_head … FOR UPDATE) is held and what fills it: the node's turnaround from the lock
# to the batch statement, the batch statement, the turnaround to COMMIT, the COMMIT.
# Statement logging slows everything down; read the shares, not the rates. The log's
# timestamps have millisecond resolution: means over thousands of transactions.
# Usage: [PARMANA_TEST_BIN=BINARY] scripts/profile-log-lock.sh [SECONDS=4]
#   (without PARMANA_TEST_BIN: a release build first)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-4}
source scripts/release-bin.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/parmana-log-lock.XXXXXX")
export PARMANA_SERVICES_DIR="$work/services"
pids=()
finish() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  bash scripts/services.sh stop > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap finish EXIT
set_config() { python3 -c 'import json,sys; f,k,v=sys.argv[1:]; c=json.load(open(f)); c[k]=v; json.dump(c,open(f,"w"),indent=2)' "$@"; }
get_config() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
eval "$(bash scripts/services.sh start postgres 2> "$work/services.err")" || { cat "$work/services.err" >&2; exit 1; }
log=$(dirname "$PARMANA_TEST_POSTGRES_DATA")/postgres.log
"$p" init --dir "$work/b1" --node-id node-1 > /dev/null 2>&1
set_config "$work/b1/config.json" store "$PARMANA_TEST_POSTGRES_URL"
"$p" init --dir "$work/b2" --join "$work/b1" --node-id node-2 > /dev/null 2>&1
set_config "$work/b2/config.json" log_id "$(get_config "$work/b1/config.json" log_id)"
for n in 1 2; do
  port=$(free_port)
  set_config "$work/b$n/config.json" listen "127.0.0.1:$port"
  "$p" serve --dir "$work/b$n" --log-level warning > /dev/null 2> "$work/b$n.err" &
  pids+=($!)
  for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/readyz" > /dev/null && break; sleep 0.1; done
done
psql "$PARMANA_TEST_POSTGRES_URL" -qc "ALTER SYSTEM SET log_min_duration_statement = 0" \
  -c "ALTER SYSTEM SET log_line_prefix = '%m [%p] '" -c "SELECT pg_reload_conf()" > /dev/null
start=$(wc -l < "$log")
wrks=()
for n in 1 2; do
  LOAD_RUN=$n PARMANA_TOKEN=$(cat "$work/b$n/tokens/admin.token") wrk -t1 -c8 -d"${seconds}s" -s scripts/load/decisions.lua \
    "http://$(get_config "$work/b$n/config.json" listen)" > "$work/wrk$n.out" 2>&1 &
  wrks+=($!)
done
for w in "${wrks[@]}"; do wait "$w"; done
tail -n +"$start" "$log" > "$work/statements.log"
python3 - "$work/statements.log" "$work/wrk1.out" "$work/wrk2.out" <<'PY'
import collections, json, re, sys
from datetime import datetime
line = re.compile(r'^(\S+ \S+) UTC \[(\d+)\] LOG:  duration: ([\d.]+) ms  (parse|bind|execute) \S+: (.*)')
by_backend = collections.defaultdict(list)
for l in open(sys.argv[1]):
    m = line.match(l)
    if m:
        at = datetime.strptime(m.group(1), '%Y-%m-%d %H:%M:%S.%f').timestamp() * 1000
        by_backend[m.group(2)].append((at, float(m.group(3)), m.group(4), m.group(5)[:12]))
parts = collections.defaultdict(list)
for statements in by_backend.values():
    txs, cur = [], None
    for s in statements:
        if s[3].startswith('BEGIN') and s[2] == 'parse': cur = []
        if cur is not None: cur.append(s)
        if cur is not None and s[2] == 'execute' and s[3].startswith('COMMIT'): txs.append(cur); cur = None
    for t in txs[len(txs) // 5: 4 * len(txs) // 5]:  # the steady middle
        lock = [s for s in t if s[2] == 'execute' and s[3].startswith('SELECT size')]
        batch = [s for s in t if s[3].startswith('WITH ok')]
        commit = [s for s in t if s[3].startswith('COMMIT')]
        if not (lock and batch and commit): continue
        granted = lock[0][0]
        b0, b1 = min(s[0] - s[1] for s in batch), max(s[0] for s in batch if s[2] == 'execute')
        c0, c1 = min(s[0] - s[1] for s in commit), commit[-1][0]
        parts["waiting for the lock"].append(lock[0][1])
        parts["held: node turnaround, lock granted -> batch statement"].append(b0 - granted)
        parts["held: batch statement (bind, plan, execute)"].append(b1 - b0)
        parts["held: node turnaround, batch done -> COMMIT"].append(c0 - b1)
        parts["held: COMMIT (WAL flush)"].append(c1 - c0)
        parts["held in all: lock granted -> COMMIT done"].append(c1 - granted)
out = {k: {"mean_ms": round(sum(v) / len(v), 3), "transactions": len(v)} for k, v in parts.items()}
requests = sum(json.loads(open(f).read().strip().splitlines()[-1])["requests"] for f in sys.argv[2:])
n = len(parts["held in all: lock granted -> COMMIT done"])
print(json.dumps({"decisions": requests, "transactions_measured": n, "parts": out}, indent=2))
for k, v in out.items():
    sys.stderr.write(f"{k:55s} {v['mean_ms']:6.3f} ms (mean of {v['transactions']})\n")
PY
