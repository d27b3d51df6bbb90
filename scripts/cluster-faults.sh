#!/usr/bin/env bash
# Scripted fault tests of a three-node cluster (issue 11, SPEC §17, §18), on both
# topologies, through the real `parmana` binary over HTTP, with a throwaway Redis and
# PostgreSQL of this run only (scripts/services.sh, private PARMANA_SERVICES_DIR):
#   A: three workspaces joined with `init --join`, one SQLite log each, one Redis;
#   B: three workspaces on one PostgreSQL log, each node with its own attestation key.
# Checks, each on both topologies (exit 1 naming the check on any violation):
#   a. contention: 300 identical POST /v1/decisions at once, spread over the three nodes:
#      exactly one 201; the 299 others are 409 replay_detected naming the winning execution.
#   c. dropped reply: a decision with an Idempotency-Key sent to node 1 over a raw socket
#      that is closed before the reply is read; the retry with the same key on node 2
#      gets the original 201 byte for byte (the same bytes node 1 returns for that key),
#      the same execution id, and exactly one execution exists in the logs.
#   b. kill -9 of node 2 in the middle of a stream of unique decisions (18 connections
#      in flight over the three nodes), then a restart: every attestation a client got
#      (201) is in some node's exported log; after reconciliation (`parmana replay
#      reconcile` on every node, on top of the restarted node's start-up reconciliation)
#      no Redis claim is left without its execution, nothing is in flight or in doubt
#      and every idempotency key is done (A); `audit verify --log` over all the nodes'
#      exports is VALID with no fingerprint in two logs; each store verifies with its
#      projection (`audit verify --dir`).
# Covered by Swift tests instead (scripts/test.sh runs them against real servers):
#   - Redis stopped, then restarted (scripts/services.sh stop-redis / restart-redis), and
#     Redis hung with SIGSTOP, then SIGCONT: Tests/ParmanaRedisTests/RedisOutageTests.swift;
#   - PostgreSQL stopped and restarted, stopped under load, log lock held:
#     Tests/ParmanaPostgresTests/PostgresFaultTests.swift;
#   - refusal at start of maxmemory-policy allkeys-lru, appendfsync everysec and
#     appendonly no: Tests/ParmanaRedisTests/RedisDurabilityTests.swift;
#   - a server dying mid-reply, timeouts, garbage: Tests/ParmanaRedisTests/RedisFailureTests.swift.
# Usage: scripts/cluster-faults.sh [PARMANA_BINARY]   (STREAM_SECONDS=N lengthens the stream)
set -euo pipefail
cd "$(dirname "$0")/.."
p=${1:-$(swift build --show-bin-path)/parmana}
p="$(cd "$(dirname "$p")" && pwd)/$(basename "$p")"
stream_seconds=${STREAM_SECONDS:-1.5}
work=$(mktemp -d "${TMPDIR:-/tmp}/parmana-cluster-faults.XXXXXX")
export PARMANA_SERVICES_DIR="$work/services"   # our own servers, never the caller's
declare -A node_pid=()
client=""
finish() {
  local rc=$? pid
  [ -n "$client" ] && kill "$client" 2>/dev/null || true
  for pid in "${node_pid[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${node_pid[@]}"; do wait "$pid" 2>/dev/null || true; done
  bash scripts/services.sh stop >/dev/null 2>&1 || true
  if [ "$rc" -eq 0 ]; then rm -rf "$work"; else echo "cluster-faults: FAILED; workspaces, node logs and client results kept in $work" >&2; fi
}
trap finish EXIT

say() { printf '== %s\n' "$*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
set_config() { python3 -c 'import json,sys; f,k,v=sys.argv[1:]; c=json.load(open(f)); c[k]=v; json.dump(c,open(f,"w"),indent=2)' "$@"; }
get_config() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }

# ---------------------------------------------------------------- python helpers
cat > "$work/contest.py" <<'PY'
# 300 identical decisions at once over the nodes; prints a summary, exits 1 on a violation.
import http.client, json, sys, threading
token, body, n, urls = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
barrier, results = threading.Barrier(n), [None] * n
def one(i):
    host, port = urls[i % len(urls)].split(":")
    c = http.client.HTTPConnection(host, int(port), timeout=60)
    c.connect()
    barrier.wait()
    try:
        c.request("POST", "/v1/decisions", body, {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        r = c.getresponse()
        results[i] = (r.status, r.read())
    except Exception as e:
        results[i] = (0, repr(e).encode())
threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
for t in threads: t.start()
for t in threads: t.join()
wins = [(i, json.loads(b)) for i, (s, b) in enumerate(results) if s == 201]
if len(wins) != 1:
    sys.exit(f"expected exactly one 201, got {len(wins)}; statuses {sorted({s for s, _ in results})}")
winner = wins[0][1]["execution_id"]
bad = []
for i, (s, b) in enumerate(results):
    if s == 201: continue
    try: e = json.loads(b)["error"]
    except Exception: e = {}
    if s != 409 or e.get("code") != "replay_detected" or e.get("execution_id") != winner:
        bad.append((i % len(urls) + 1, s, b[:300]))
if bad:
    sys.exit(f"{len(bad)} of the {n - 1} others are not 409 replay_detected naming {winner}; first: node {bad[0][0]}: {bad[0][1]} {bad[0][2]!r}")
print(f"1 × 201 (node {wins[0][0] % len(urls) + 1}, execution {winner}), {n - 1} × 409 replay_detected naming it")
print(winner)
PY

cat > "$work/dropped.py" <<'PY'
# A reply dropped on purpose: the request is sent to node 1 over a raw socket that is then
# closed unread; the client retries with the same Idempotency-Key on node 2 (409
# request_in_progress while the first is still being decided), then asks node 1 again.
import http.client, json, select, socket, sys, time
token, key, body, u1, u2, out = sys.argv[1:7]
h1, p1 = u1.split(":")
raw = (f"POST /v1/decisions HTTP/1.1\r\nHost: {u1}\r\nAuthorization: Bearer {token}\r\n"
       f"Content-Type: application/json\r\nIdempotency-Key: {key}\r\nContent-Length: {len(body.encode())}\r\n\r\n{body}").encode()
s = socket.create_connection((h1, int(p1)))
s.sendall(raw)
# Node 1 decides and sends its reply; the client closes without reading it (the kernel
# discards it): what a client sees when the reply is lost on the way.
if not select.select([s], [], [], 20)[0]: sys.exit("node 1 sent no reply within 20 s")
s.close()
def post(url):
    host, port = url.split(":")
    deadline = time.time() + 20
    while True:
        c = http.client.HTTPConnection(host, int(port), timeout=30)
        c.request("POST", "/v1/decisions", body, {"Authorization": "Bearer " + token, "Content-Type": "application/json", "Idempotency-Key": key})
        r = c.getresponse(); b = r.read(); c.close()
        if r.status == 409 and b'"request_in_progress"' in b and time.time() < deadline:
            time.sleep(0.05); continue
        return r.status, r.getheader("Idempotent-Replayed"), b
s2, rep2, b2 = post(u2)
s1, rep1, b1 = post(u1)
if s2 != 201: sys.exit(f"the retry on node 2 answered {s2}: {b2[:300]!r}")
if rep2 != "true": sys.exit(f"the retry on node 2 is not a replay of node 1's decision (Idempotent-Replayed: {rep2}): node 2 decided anew")
if s1 != 201 or rep1 != "true": sys.exit(f"node 1 answered {s1} (Idempotent-Replayed: {rep1}) to the same key: {b1[:300]!r}")
if b1 != b2: sys.exit("node 2's retry and node 1's answer for the same key differ in their bytes")
d = json.loads(b2)
open(out, "w").write(json.dumps({"execution_id": d["execution_id"], "key_id": d["attestation"]["payload"]["key_id"],
                                  "fingerprint": d["attestation"]["payload"]["execution_fingerprint"]}))
print(f"node 2's retry: 201, Idempotent-Replayed: true, {len(b2)} bytes identical to node 1's answer for the key; execution {d['execution_id']}")
PY

cat > "$work/stream.py" <<'PY'
# A stream of unique decisions over several keep-alive connections per node until STOP
# exists; every 201 is appended to OUT (execution id, fingerprint, signature) at once.
import http.client, json, os, sys, threading, time
token, out, stop, tag, per_node, urls = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6:]
lock, f = threading.Lock(), open(out, "a", buffering=1)
counts = {"201": 0, "other": 0, "connection_errors": 0}
def worker(node, k):
    host, port = urls[node].split(":")
    c, i = None, 0
    while not os.path.exists(stop):
        i += 1
        body = json.dumps({"policy_id": "payments.release", "signals": {"payment_id": f"{tag}-{node}-{k}-{i}", "amount": 10 + i % 900, "currency": "EUR", "kyc_verified": True}})
        try:
            if c is None: c = http.client.HTTPConnection(host, int(port), timeout=30)
            c.request("POST", "/v1/decisions", body, {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
            r = c.getresponse(); b = r.read()
        except Exception:
            with lock: counts["connection_errors"] += 1
            if c is not None: c.close()
            c = None; time.sleep(0.05); continue
        with lock:
            if r.status == 201:
                d = json.loads(b); a = d["attestation"]
                f.write(json.dumps({"node": node + 1, "execution_id": d["execution_id"], "fingerprint": a["payload"]["execution_fingerprint"], "signature": a["signature"], "key_id": a["payload"]["key_id"]}) + "\n")
                counts["201"] += 1
            else:
                counts["other"] += 1
                if counts["other"] <= 3: sys.stderr.write(f"node {node + 1}: {r.status} {b[:200]!r}\n")
threads = [threading.Thread(target=worker, args=(n, k)) for n in range(len(urls)) for k in range(per_node)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps(counts))
PY

cat > "$work/check.py" <<'PY'
# The logs against what clients were told: every 201 attestation is in some export; each
# fingerprint of interest executed exactly once; with Redis (topology A) every claim has
# its execution in the named node's log and the reverse, nothing in flight or in doubt,
# every idempotency key done.
import json, sys
args = json.loads(sys.argv[1])
executions = {}        # execution_id -> (node_id of the exporting log, fingerprint, signature)
by_fp = {}
for path in args["exports"]:
    lines = open(path).read().splitlines()
    node = json.loads(lines[0])["node_id"]
    for line in lines[1:]:
        o = json.loads(line)
        if "entry" in o and o["entry"]["kind"] == "execution":
            e = o["entry"]
            executions[e["execution_id"]] = (node, e["execution_fingerprint"], o["record"]["signature"])
            by_fp.setdefault(e["execution_fingerprint"], []).append(e["execution_id"])
missing = []
n = 0
for line in open(args["results"]):
    r = json.loads(line); n += 1
    got = executions.get(r["execution_id"])
    if got is None or got[1] != r["fingerprint"] or got[2] != r["signature"]:
        missing.append(r)
if missing:
    sys.exit(f"every attestation returned is in a log: {len(missing)} of {n} are not, first {missing[0]}")
print(f"all {n} attestations returned (201) are in the exported logs ({len(executions)} executions in all)")
for name, fp in args.get("once", {}).items():
    if len(by_fp.get(fp, [])) != 1:
        sys.exit(f"{name}: fingerprint {fp} is executed {len(by_fp.get(fp, []))} times in the logs, not once")
if args.get("once"): print(f"executed exactly once in the logs: {', '.join(args['once'])}")
twice = {fp: ids for fp, ids in by_fp.items() if len(ids) > 1}
if twice and len(args["exports"]) > 1:
    sys.exit(f"no fingerprint in two logs: {len(twice)} are, first {next(iter(twice.items()))}")

if "redis" in args:
    # Dumped with redis-cli: every key under the prefix, the claims' values (MGET, in key
    # order), and per set or hash key its size or state.
    prefix, dump = args["prefix"], args["redis"]
    keys = open(dump + "/keys.txt").read().split()
    claim_keys = [k for k in keys if k.startswith(prefix + "claim:")]
    values = open(dump + "/claims.txt").read().split("\n")[:len(claim_keys)]
    orphans = []
    for k, v in zip(claim_keys, values):
        fp = k[len(prefix + "claim:"):]
        node, _, eid = v.partition("/")
        got = executions.get(eid)
        if got is None or got[0] != node or got[1] != fp:
            orphans.append((k, v))
    if orphans:
        sys.exit(f"no Redis claim without its execution: {len(orphans)} of {len(claim_keys)} claims name no execution in their node's log, first {orphans[0]}")
    if len(claim_keys) != len(executions):
        sys.exit(f"{len(executions)} executions in the logs but {len(claim_keys)} claims in Redis")
    other = dict(line.split(" ", 1) for line in open(dump + "/others.txt").read().splitlines() if line)
    open_sets = {k: v for k, v in other.items() if k.startswith((prefix + "inflight:", prefix + "indoubt:")) and v != "0"}
    if open_sets: sys.exit(f"claims still in flight or in doubt after reconciliation: {open_sets}")
    idem = {k: v for k, v in other.items() if k.startswith(prefix + "idem:")}
    not_done = {k: v for k, v in idem.items() if v != "done"}
    if not_done: sys.exit(f"idempotency keys not done: {not_done}")
    bound = [k for k in keys if k.startswith(prefix + "claimidem:")]
    if bound: sys.exit(f"idempotency keys still bound to unsettled claims: {bound[:3]}")
    print(f"Redis (redis-cli): {len(claim_keys)} claims, each naming its execution in its node's log, one per execution; none in flight or in doubt; {len(idem)} idempotency keys, all done")
PY

# ---------------------------------------------------------------- cluster plumbing
say "services: a private Redis and PostgreSQL (scripts/services.sh)"
eval "$(bash scripts/services.sh start redis postgres 2> "$work/services.err")" || { cat "$work/services.err"; fail "services did not start"; }

# start NODE_DIR: serve on the port in its config.json; waits for /readyz.
start() {   # start NODE_DIR [LOG_LEVEL]
  local d=$1 port pid
  port=$(get_config "$d/config.json" listen | cut -d: -f2)
  "$p" serve --dir "$d" --log-level "${2:-warning}" >> "$d.out" 2>> "$d.err" &
  pid=$!
  node_pid[$d]=$pid
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$port/readyz" > /dev/null && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  tail -20 "$d.err" >&2
  fail "node $d did not come up on port $port"
}
stop() {   # graceful (SIGTERM): in-flight requests finish
  local d=$1
  kill -TERM "${node_pid[$d]}" 2>/dev/null || true
  wait "${node_pid[$d]}" 2>/dev/null || true
  unset "node_pid[$d]"
}

# cluster TOPOLOGY DIR: three node workspaces DIR/n1…n3 as docs/deployment.md describes, serving.
cluster() {
  local t=$1 d=$2 n db
  mkdir -p "$d"
  "$p" init --dir "$d/n1" --node-id node-1 > /dev/null 2>&1
  if [ "$t" = A ]; then
    set_config "$d/n1/config.json" replay_store "$PARMANA_TEST_REDIS_URL"
    set_config "$d/n1/config.json" replay_store_prefix "faults:"
  else
    db="faults_$RANDOM$RANDOM"
    psql "$PARMANA_TEST_POSTGRES_URL" -qc "CREATE DATABASE $db" > /dev/null
    set_config "$d/n1/config.json" store "${PARMANA_TEST_POSTGRES_URL%/*}/$db"
  fi
  for n in 2 3; do
    "$p" init --dir "$d/n$n" --join "$d/n1" --node-id "node-$n" > /dev/null 2>&1 || fail "$t: init --join node-$n"
    [ "$t" = B ] && set_config "$d/n$n/config.json" log_id "$(get_config "$d/n1/config.json" log_id)"
  done
  cp "$d/n1/trust.json" "$d/n2/trust.json"
  for n in 1 2 3; do set_config "$d/n$n/config.json" listen "127.0.0.1:$(free_port)"; done
  for n in 1 2 3; do start "$d/n$n"; done
}
urls() { local d=$1; echo "$(get_config "$d/n1/config.json" listen) $(get_config "$d/n2/config.json" listen) $(get_config "$d/n3/config.json" listen)"; }

# ---------------------------------------------------------------- the checks
run() {
  local t=$1 d="$work/$1" token contested winner n
  say "$t: three nodes ($([ "$t" = A ] && echo "one Redis, one SQLite log each" || echo "one PostgreSQL log"))"
  cluster "$t" "$d"
  token=$(cat "$d/n1/tokens/admin.token")
  # shellcheck disable=SC2046
  set -- $(urls "$d")

  say "$t (a): 300 identical concurrent decisions spread over the three nodes"
  contested='{"policy_id":"payments.release","signals":{"payment_id":"contested","amount":99,"currency":"EUR","kyc_verified":true}}'
  python3 "$work/contest.py" "$token" "$contested" 300 "$@" > "$d/contest.txt" 2> "$d/contest.err" \
    || fail "$t (a) contention: $(cat "$d/contest.err")"
  head -1 "$d/contest.txt"

  say "$t (c): a dropped reply, retried with the same Idempotency-Key on another node"
  python3 "$work/dropped.py" "$token" "order-dropped-$t" \
    '{"policy_id":"payments.release","signals":{"payment_id":"dropped","amount":42,"currency":"EUR","kyc_verified":true}}' \
    "$1" "$2" "$d/dropped.json" 2> "$d/dropped.err" || fail "$t (c) dropped reply: $(cat "$d/dropped.err")"

  say "$t (b): kill -9 of node 2 in the middle of a stream of decisions (18 connections), then a restart"
  : > "$d/results.jsonl"
  python3 "$work/stream.py" "$token" "$d/results.jsonl" "$d/stop" "stream-$t" 6 "$@" > "$d/stream.txt" 2> "$d/stream.err" &
  client=$!
  for _ in $(seq 1 100); do [ "$(wc -l < "$d/results.jsonl")" -gt 50 ] && break; sleep 0.1; done
  sleep "$stream_seconds"
  kill -9 "${node_pid[$d/n2]}"; wait "${node_pid[$d/n2]}" 2>/dev/null || true; unset "node_pid[$d/n2]"
  echo "killed node 2 after $(wc -l < "$d/results.jsonl") decisions answered 201"
  sleep 0.5
  start "$d/n2" info   # serve reconciles the node's in-flight and in-doubt claims before deciding
  echo "node 2 restarted (start-up reconciliation)"
  sleep "$stream_seconds"
  touch "$d/stop"; wait "$client" || fail "$t (b): the stream client failed: $(cat "$d/stream.err")"
  client=""
  echo "stream: $(cat "$d/stream.txt") $([ -s "$d/stream.err" ] && head -3 "$d/stream.err")"
  python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); sys.exit(c["other"] != 0)' "$d/stream.txt" \
    || fail "$t (b): answers other than 201 from the running nodes: $(head -3 "$d/stream.err")"
  if [ "$t" = A ]; then
    for n in 1 2 3; do
      "$p" replay reconcile --dir "$d/n$n" --json > "$d/reconcile-$n.json" 2> /dev/null || fail "$t (b): replay reconcile on node $n: $(cat "$d/reconcile-$n.json")"
    done
    echo "replay reconcile: $(for n in 1 2 3; do python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("node %s kept %d, released %d" % (sys.argv[2], len(d["kept"]), len(d["released"])), end="; ")' "$d/reconcile-$n.json" $n; done)"
  fi
  if grep -q 'replay claims reconciled' "$d/n2.err"; then echo "node 2's start-up: $(grep -o 'kept=[0-9]* released=[0-9]*' "$d/n2.err" | head -1) $(grep -o 'replay claims reconciled[^[]*' "$d/n2.err" | head -1)"; fi
  for n in 1 2 3; do stop "$d/n$n"; done

  say "$t: exports of every node's log, verified together offline; every store with its projection"
  local logs=() exports=()
  for n in 1 2 3; do
    "$p" audit export --dir "$d/n$n" --out "$d/n$n.jsonl" 2> /dev/null || fail "$t: audit export on node $n"
    "$p" audit verify --dir "$d/n$n" > "$d/verify-$n.txt" 2>&1 || { cat "$d/verify-$n.txt"; fail "$t: audit verify --dir node $n (log and projection)"; }
  done
  if [ "$t" = A ]; then
    logs=(--log "$d/n1.jsonl" --log "$d/n2.jsonl" --log "$d/n3.jsonl"); exports=("$d/n1.jsonl" "$d/n2.jsonl" "$d/n3.jsonl")
  else
    # One shared log: every node exports the same entries; verify it once.
    for n in 2 3; do cmp -s <(tail -n +2 "$d/n1.jsonl") <(tail -n +2 "$d/n$n.jsonl") || fail "$t: node $n exports other entries than node 1"; done
    logs=(--log "$d/n1.jsonl"); exports=("$d/n1.jsonl")
  fi
  "$p" audit verify "${logs[@]}" --trust "$d/n1/trust.json" > "$d/audit.txt" 2> "$d/audit.err" || { cat "$d/audit.txt"; fail "$t: audit verify --log over the exports"; }
  cat "$d/audit.txt"
  if [ "$t" = A ]; then grep -q 'in 3 logs, no fingerprint in two' "$d/audit.txt" || fail "$t: audit verify did not check the three logs together"; fi
  winner=$(tail -1 "$d/contest.txt")
  local args
  args=$(python3 - "$d" "$t" "${exports[@]}" <<'PY'
import json, sys
d, t, exports = sys.argv[1], sys.argv[2], sys.argv[3:]
dropped = json.load(open(d + "/dropped.json"))
a = {"exports": exports, "results": d + "/results.jsonl",
     "once": {"contested signals (a)": None, "dropped reply (c)": dropped["fingerprint"]}}
if t == "A":
    a["redis"], a["prefix"] = d + "/redis", "faults:"
print(json.dumps(a))
PY
)
  # The contested fingerprint, from the winning execution in the exports.
  args=$(python3 - "$args" "$winner" <<'PY'
import json, sys
a, winner = json.loads(sys.argv[1]), sys.argv[2]
for path in a["exports"]:
    for line in open(path):
        if winner in line and '"kind":"execution"' in line:
            a["once"]["contested signals (a)"] = json.loads(line)["entry"]["execution_fingerprint"]
if a["once"]["contested signals (a)"] is None: sys.exit(f"the winning execution {winner} is in no log")
print(json.dumps(a))
PY
) || fail "$t (a): the winning execution $winner is in no exported log"
  if [ "$t" = A ]; then
    mkdir -p "$d/redis"
    redis-cli -u "$PARMANA_TEST_REDIS_URL" --scan --pattern 'faults:*' | sort > "$d/redis/keys.txt"
    grep '^faults:claim:' "$d/redis/keys.txt" | xargs -r -n 500 redis-cli -u "$PARMANA_TEST_REDIS_URL" MGET > "$d/redis/claims.txt"
    : > "$d/redis/others.txt"
    while read -r k; do
      case "$k" in
        faults:inflight:*|faults:indoubt:*) echo "$k $(redis-cli -u "$PARMANA_TEST_REDIS_URL" SCARD "$k")" ;;
        faults:idem:*) echo "$k $(redis-cli -u "$PARMANA_TEST_REDIS_URL" HGET "$k" state)" ;;
      esac
    done < "$d/redis/keys.txt" >> "$d/redis/others.txt"
  fi
  python3 "$work/check.py" "$args" || fail "$t: the logs do not hold what the clients were told (see above)"
  # (c): the dropped request was decided by node 1: in node 1's own log (A), signed by node 1's key (B).
  python3 - "$d" "$t" <<'PY' || fail "$t (c): the dropped request was not decided by node 1"
import json, sys
d, t = sys.argv[1], sys.argv[2]
dropped = json.load(open(d + "/dropped.json"))
if t == "A":
    ok = any(dropped["execution_id"] in l and '"kind":"execution"' in l for l in open(d + "/n1.jsonl"))
else:
    node1_keys = {json.loads(l)["key_id"] for l in open(d + "/results.jsonl") if json.loads(l)["node"] == 1}
    ok = dropped["key_id"] in node1_keys
if not ok: sys.exit(f"execution {dropped['execution_id']} was not made by node 1")
print(f"(c): execution {dropped['execution_id']} was made by node 1 ({'in its own log' if t == 'A' else 'signed by its key'}); its reply was dropped, the retries returned it")
PY
}

run A
run B
say "done: exactly-once held on both topologies under contention, a dropped reply and kill -9"
