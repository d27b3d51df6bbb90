#!/usr/bin/env bash
# Many nodes, measured (issue 11, BENCHMARKS.md "Many nodes (issue 11)"): total durable
# decision throughput over HTTP at 16 keep-alive connections, in ONE run on this machine,
# for
#   single: one node on SQLite                         (wrk -t2 -c16 against it)
#   pair:   two independent nodes on SQLite, nothing shared (wrk -t1 -c8 against each, at
#           once): A's floor, the same two processes on the same cores without claims
#   A:      two nodes, one Redis, one SQLite log each  (wrk -t1 -c8 against each, at once)
#   B:      two nodes on one PostgreSQL log            (wrk -t1 -c8 against each, at once)
# with unique signals on every request (scripts/load/decisions.lua). Every configuration
# gets fresh workspaces, a warm-up, then the measured run; afterwards every log verifies
# (A: the two exports together, no fingerprint in two). Prints one JSON document with
# each configuration's throughput, p50 and p99 (with two wrk processes: the larger of
# the two, an upper bound of the combined percentile) and the ratios against the single
# node; targets: p99 <= 5 ms and >= 0.5x the single node's throughput. Then, in the same
# run, the floors under them: one fsync'd SQLite commit, one Redis write (appendfsync
# always) and round-trip, one PostgreSQL commit ("floors" in the JSON).
# Redis, PostgreSQL, the nodes and wrk all share this machine's cores.
# Usage: scripts/bench-cluster.sh [PARMANA_RELEASE_BINARY] [SECONDS=10]
#   (BENCH_WARMUP_SECONDS=2, BENCH_FLOOR_SECONDS=3)
#   (without a binary: swift build -c release --product parmana first)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${2:-10}
warmup=${BENCH_WARMUP_SECONDS:-2}
floor_seconds=${BENCH_FLOOR_SECONDS:-3}
if [ -n "${1:-}" ]; then
  p="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
else
  echo "== release build (a few minutes the first time)" >&2
  swift build -c release --product parmana 2>&1 | tail -1 >&2
  p="$(swift build -c release --show-bin-path)/parmana"
fi
if ! command -v wrk > /dev/null; then
  echo "== installing wrk (apt)" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk > /dev/null
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/parmana-bench-cluster.XXXXXX")
export PARMANA_SERVICES_DIR="$work/services"
pids=()
finish() {
  local rc=$? pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  bash scripts/services.sh stop >/dev/null 2>&1 || true
  if [ "$rc" -eq 0 ]; then rm -rf "$work"; else echo "bench-cluster: FAILED; files kept in $work" >&2; fi
}
trap finish EXIT
say() { printf '== %s\n' "$*" >&2; }
fail() { echo "bench-cluster: FAILED: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
set_config() { python3 -c 'import json,sys; f,k,v=sys.argv[1:]; c=json.load(open(f)); c[k]=v; json.dump(c,open(f,"w"),indent=2)' "$@"; }
get_config() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }
quiet() { "$@" > "$work/last.log" 2>&1 || { cat "$work/last.log" >&2; fail "$*"; }; }   # output only on failure

serve() {  # serve DIR: on a free port, in the background; waits for /readyz
  local d=$1 port pid
  port=$(free_port)
  set_config "$d/config.json" listen "127.0.0.1:$port"
  "$p" serve --dir "$d" --log-level warning > "$d.out" 2> "$d.err" &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$port/readyz" > /dev/null && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$d.err" >&2; fail "$d did not come up"
}
stop_all() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}

# scripts/load/decisions.lua makes each thread's signals unique from the time, its thread
# id and LOAD_RUN: every wrk process (the two at once, a warm-up and the run after it) gets
# its own LOAD_RUN, so no two send the same signals (they would be answered 409).
runs=0
# load NAME THREADS CONNECTIONS SECONDS DIR…: one wrk per node at once; NAME-K.json per wrk.
# Also writes NAME.wrkcpu: the CPU ticks the wrk processes used (this shell's reaped children).
load() {
  local name=$1 threads=$2 conns=$3 secs=$4; shift 4
  local k=0 d wrks=() urls=() tokens=() children
  for d in "$@"; do urls+=("$(get_config "$d/config.json" listen)"); tokens+=("$(cat "$d/tokens/admin.token")"); done
  children=$(awk '{print $16 + $17}' /proc/$$/stat)
  for d in "$@"; do
    runs=$((runs + 1))
    LOAD_RUN=$runs PARMANA_TOKEN=${tokens[$k]} wrk -t"$threads" -c"$conns" -d"${secs}s" -s scripts/load/decisions.lua \
      "http://${urls[$k]}" > "$work/$name-$((k + 1)).out" 2>&1 &
    wrks+=($!); k=$((k + 1))
  done
  for k in "${wrks[@]}"; do wait "$k"; done
  echo $(($(awk '{print $16 + $17}' /proc/$$/stat) - children)) > "$work/$name.wrkcpu"
  for k in $(seq 1 $#); do tail -1 "$work/$name-$k.out" > "$work/$name-$k.json"; done
}

# cpu NAME: the machine's CPU counters (/proc/stat), then "WHO PID TICKS" (utime + stime)
# for each node, the Redis server, and the PostgreSQL server and its backends.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2> /dev/null || echo 0; }
cpu() {
  local pid
  { head -1 /proc/stat
    for pid in "${pids[@]}"; do echo "nodes $pid $(ticks "$pid")"; done
    echo "redis $PARMANA_TEST_REDIS_PID $(ticks "$PARMANA_TEST_REDIS_PID")"
    for pid in "$PARMANA_TEST_POSTGRES_PID" $(ps --ppid "$PARMANA_TEST_POSTGRES_PID" -o pid= || true); do echo "postgres $pid $(ticks "$pid")"; done
    # Scripts Redis ran for clients (EVALSHA, EVAL: one round-trip each); PostgreSQL
    # transaction ids handed out (one per writing transaction, plus this query's own).
    echo "count redis_scripts $(redis-cli -u "$PARMANA_TEST_REDIS_URL" INFO commandstats | tr -d '\r' | awk -F'[:=,]' '$1 == "cmdstat_evalsha" || $1 == "cmdstat_eval" {n += $3} END {print n + 0}')"
    echo "count postgres_write_transactions $(psql "$PARMANA_TEST_POSTGRES_URL" -Atc 'SELECT pg_current_xact_id()')"
  } > "$work/$1.cpu"
}
# measure NAME THREADS CONNECTIONS DIR…: warm-up, then the measured run, with the CPU used
# during it (how busy the whole machine was, other users included; the nodes' share).
measure() {
  local name=$1 threads=$2 conns=$3; shift 3
  load "warmup-$name" "$threads" "$conns" "$warmup" "$@"
  cpu "$name-before"
  load "$name" "$threads" "$conns" "$seconds" "$@"
  cpu "$name-after"
}

uptime_before=$(uptime)
say "services: a private Redis and PostgreSQL"
eval "$(bash scripts/services.sh start redis postgres 2> "$work/services.err")" || { cat "$work/services.err" >&2; fail "services"; }

say "single: one node on SQLite, wrk -t2 -c16, ${seconds}s"
quiet "$p" init --dir "$work/single"
serve "$work/single"
measure single 2 16 "$work/single"
stop_all
"$p" audit verify --dir "$work/single" > "$work/single.verify" 2>&1 || { cat "$work/single.verify" >&2; fail "single: audit verify"; }

# The floor under A: the same two processes on the same cores, sharing nothing (two
# independent single nodes). What A loses beyond this is the cost of the shared claims.
say "pair: two independent nodes on SQLite, nothing shared; wrk -t1 -c8 against each at once, ${seconds}s"
quiet "$p" init --dir "$work/pair1"
quiet "$p" init --dir "$work/pair2"
serve "$work/pair1"; serve "$work/pair2"
measure pair 1 8 "$work/pair1" "$work/pair2"
stop_all
"$p" audit verify --dir "$work/pair1" > "$work/pair.verify" 2>&1 || { cat "$work/pair.verify" >&2; fail "pair: audit verify"; }

say "A: two nodes, one Redis, one SQLite log each; wrk -t1 -c8 against each at once, ${seconds}s"
quiet "$p" init --dir "$work/a1" --node-id node-1
set_config "$work/a1/config.json" replay_store "$PARMANA_TEST_REDIS_URL"
quiet "$p" init --dir "$work/a2" --join "$work/a1" --node-id node-2
serve "$work/a1"; serve "$work/a2"
measure a 1 8 "$work/a1" "$work/a2"
stop_all
for n in 1 2; do "$p" audit export --dir "$work/a$n" --out "$work/a$n.jsonl" 2> /dev/null; done
"$p" audit verify --log "$work/a1.jsonl" --log "$work/a2.jsonl" --trust "$work/a1/trust.json" > "$work/a.verify" 2>&1 \
  || { cat "$work/a.verify" >&2; fail "A: audit verify over the two logs"; }

say "B: two nodes on one PostgreSQL log; wrk -t1 -c8 against each at once, ${seconds}s"
quiet "$p" init --dir "$work/b1" --node-id node-1
set_config "$work/b1/config.json" store "$PARMANA_TEST_POSTGRES_URL"
quiet "$p" init --dir "$work/b2" --join "$work/b1" --node-id node-2
set_config "$work/b2/config.json" log_id "$(get_config "$work/b1/config.json" log_id)"
serve "$work/b1"; serve "$work/b2"
measure b 1 8 "$work/b1" "$work/b2"
stop_all
"$p" audit verify --dir "$work/b1" > "$work/b.verify" 2>&1 || { cat "$work/b.verify" >&2; fail "B: audit verify"; }

# The floors under these figures, measured in the same run on the same servers and disk,
# one client (latency) and 16 clients (rate): one fsync'd SQLite commit (`parmana bench
# fsync`); one Redis write (SET, appendfsync always) and one PING (redis-benchmark); one
# PostgreSQL commit of a row-locked counter update and a 600-byte insert, the shape of
# topology B's append (pgbench). A decision in topology A waits for a Redis write (the
# claim), a SQLite commit and another Redis write (the settle), in that order; one in
# topology B for a PostgreSQL commit under the log's row lock.
say "floors: SQLite commit, Redis write and round-trip, PostgreSQL commit; ${floor_seconds}s each"
quiet "$p" init --dir "$work/floor"
"$p" bench fsync --dir "$work/floor" --seconds "$floor_seconds" --json > "$work/floor-sqlite.json" 2> "$work/last.log" \
  || { cat "$work/last.log" >&2; fail "bench fsync"; }
redis_hostport=${PARMANA_TEST_REDIS_URL#redis://}; redis_hostport=${redis_hostport##*@}; redis_hostport=${redis_hostport%%/*}
[ "$(redis-cli -h "${redis_hostport%:*}" -p "${redis_hostport##*:}" CONFIG GET appendfsync | tail -1)" = always ] || fail "Redis is not appendfsync always"
redis-benchmark -h "${redis_hostport%:*}" -p "${redis_hostport##*:}" -c 1 -n 3000 -t ping,set --csv > "$work/floor-redis-1.csv" 2> "$work/last.log" \
  || { cat "$work/last.log" >&2; fail "redis-benchmark"; }
redis-benchmark -h "${redis_hostport%:*}" -p "${redis_hostport##*:}" -c 16 -n 30000 -t set --csv > "$work/floor-redis-16.csv" 2> "$work/last.log" \
  || { cat "$work/last.log" >&2; fail "redis-benchmark"; }
pgbench=${PARMANA_TEST_PG_CTL%/*}/pgbench
psql "$PARMANA_TEST_POSTGRES_URL" -qc "CREATE TABLE floor_head (id int PRIMARY KEY, n bigint); INSERT INTO floor_head VALUES (1, 0); CREATE TABLE floor_log (client int, body text)" > /dev/null
printf 'BEGIN;\nUPDATE floor_head SET n = n + 1 WHERE id = 1;\nINSERT INTO floor_log VALUES (:client_id, repeat($$x$$, 600));\nCOMMIT;\n' > "$work/floor.sql"
mkdir -p "$work/pgbench"
(cd "$work/pgbench" && "$pgbench" -n -c 1 -T "$floor_seconds" -f "$work/floor.sql" -l --log-prefix=c1 "$PARMANA_TEST_POSTGRES_URL" > "$work/floor-pg-1.txt" 2>&1) \
  || { cat "$work/floor-pg-1.txt" >&2; fail "pgbench"; }
"$pgbench" -n -c 16 -j 2 -T "$floor_seconds" -f "$work/floor.sql" "$PARMANA_TEST_POSTGRES_URL" > "$work/floor-pg-16.txt" 2>&1 \
  || { cat "$work/floor-pg-16.txt" >&2; fail "pgbench"; }
uptime_after=$(uptime)

python3 - "$work" "$seconds" "$uptime_before" "$uptime_after" "$(nproc)" "$floor_seconds" "$(getconf CLK_TCK)" <<'PY'
import json, sys
work, seconds, before, after, cores, seconds_floor, clk_tck = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
ncores = cores
def runs(name, n):
    return [json.load(open(f"{work}/{name}-{k}.json")) for k in range(1, n + 1)]
def cpu(name, r):
    # /proc/stat "cpu user nice system idle iowait irq softirq steal …" (ticks), then
    # "WHO PID TICKS"; a process that started during the run counts from 0.
    (m0, *p0), (m1, *p1) = ([l.split() for l in open(f"{work}/{name}-{w}.cpu").read().splitlines()] for w in ("before", "after"))
    d = [int(b) - int(a) for a, b in zip(m0[1:9], m1[1:9])]
    before = {(w, pid): int(t) for w, pid, t in p0}
    used, counts = {}, {}
    requests = sum(x["requests"] for x in r)
    for w, pid, t in p1:
        if w == "count":
            n = int(t) - before[(w, pid)] - (1 if pid == "postgres_write_transactions" else 0)
            if n / requests >= 0.01: counts[pid + "_per_decision"] = round(n / requests, 2)
            continue
        used[w] = used.get(w, 0) + max(0, int(t) - before.get((w, pid), 0))
    elapsed = max(x["seconds"] for x in r)
    used["wrk"] = int(open(f"{work}/{name}.wrkcpu").read())
    cores = {w: round(t / clk_tck / elapsed, 2) for w, t in used.items() if w == "nodes" or t / clk_tck / elapsed >= 0.005}
    busy = (1 - (d[3] + d[4]) / sum(d)) * ncores
    # Everything else that ran on the machine meanwhile (other users, this script's helpers).
    cores["other"] = round(max(0.0, busy - sum(t for t in used.values()) / clk_tck / elapsed), 2)
    return {"machine_busy": round(busy / ncores, 3), "cores": cores,
            "nodes_cpu_us_per_decision": round(used["nodes"] / clk_tck * 1e6 / requests), **counts}
def verified(name):
    return open(f"{work}/{name}.verify").read().splitlines()[-1]
out = {"seconds": seconds, "connections": 16, "cores": cores, "uptime_before": before.strip(), "uptime_after": after.strip(), "configurations": {}}
bad = []
for name, label, n in [("single", "one node, SQLite", 1), ("pair", "two independent SQLite nodes (A's floor)", 2),
                       ("a", "topology A: two nodes, Redis + SQLite each", 2), ("b", "topology B: two nodes, one PostgreSQL", 2)]:
    r = runs(name, n)
    for x in r:
        if x["non_2xx"] or x["socket_errors"]: bad.append(f"{name}: {x}")
    out["configurations"][name] = {
        "label": label,
        "decisions_per_second": round(sum(x["requests_per_second"] for x in r)),
        "requests": sum(x["requests"] for x in r),
        "p50_ms": max(x["p50_ms"] for x in r), "p99_ms": max(x["p99_ms"] for x in r),
        "per_node": r, "log": verified(name), "cpu": cpu(name, r)}
base = out["configurations"]["single"]["decisions_per_second"]
for name, c in out["configurations"].items():
    c["ratio_vs_single"] = round(c["decisions_per_second"] / base, 3)
    if name in ("a", "b"):
        c["target_p99_le_5ms"] = c["p99_ms"] <= 5.0
        c["target_ratio_ge_0_5"] = c["ratio_vs_single"] >= 0.5
# The floors (see above): latency at one client, rate at 16.
import csv, glob, re
def pct(xs, q):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(q * len(xs)))]
sq = json.load(open(f"{work}/floor-sqlite.json"))
r1 = {row["test"]: row for row in csv.DictReader(open(f"{work}/floor-redis-1.csv"))}
r16 = {row["test"]: row for row in csv.DictReader(open(f"{work}/floor-redis-16.csv"))}
pg = [int(line.split()[2]) / 1000 for path in glob.glob(f"{work}/pgbench/c1.*") for line in open(path)]
pg16 = float(re.search(r"tps = ([0-9.]+)", open(f"{work}/floor-pg-16.txt").read()).group(1))
out["floors"] = {
    "sqlite_fsync_commit": {"per_second_1_client": sq["commits_per_second"], "p50_ms": round(sq["latency_us"]["p50"] / 1000, 3), "p99_ms": round(sq["latency_us"]["p99"] / 1000, 3)},
    "redis_ping": {"per_second_1_client": round(float(r1["PING_MBULK"]["rps"])), "p50_ms": float(r1["PING_MBULK"]["p50_latency_ms"]), "p99_ms": float(r1["PING_MBULK"]["p99_latency_ms"])},
    "redis_write_appendfsync_always": {"per_second_1_client": round(float(r1["SET"]["rps"])), "p50_ms": float(r1["SET"]["p50_latency_ms"]), "p99_ms": float(r1["SET"]["p99_latency_ms"]),
                                       "per_second_16_clients": round(float(r16["SET"]["rps"]))},
    "postgres_commit": {"per_second_1_client": round(len(pg) / seconds_floor), "p50_ms": round(pct(pg, 0.5), 3), "p99_ms": round(pct(pg, 0.99), 3), "per_second_16_clients": round(pg16)},
}
print(json.dumps(out, indent=2))
for name, f in out["floors"].items():
    more = f", {f['per_second_16_clients']}/s at 16 clients" if "per_second_16_clients" in f else ""
    sys.stderr.write(f"floor: {name:32s} {f['per_second_1_client']:6d}/s at 1 client, p50 {f['p50_ms']:6.3f} ms, p99 {f['p99_ms']:6.3f} ms{more}\n")
for name, c in out["configurations"].items():
    met = "" if name not in ("a", "b") else f"  p99<=5ms: {'yes' if c['target_p99_le_5ms'] else 'NO'}, >=0.5x: {'yes' if c['target_ratio_ge_0_5'] else 'NO'}"
    sys.stderr.write(f"{c['label']:45s} {c['decisions_per_second']:7d}/s  p50 {c['p50_ms']:6.2f} ms  p99 {c['p99_ms']:6.2f} ms  {c['ratio_vs_single']:.2f}x{met}\n"
                     f"{'':45s} machine {c['cpu']['machine_busy'] * 100:.0f}% busy of {cores} cores; cores used: {', '.join(f'{w} {v:.2f}' for w, v in c['cpu']['cores'].items())}; {c['cpu']['nodes_cpu_us_per_decision']} µs of node CPU per decision"
                     + "".join(f"; {v} {k.replace('_', ' ')}" for k, v in c["cpu"].items() if k.endswith("_per_decision") and not k.startswith("nodes")) + "\n")
if bad: sys.exit("bench-cluster: requests failed: " + "; ".join(bad))
PY
