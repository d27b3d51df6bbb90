#!/usr/bin/env bash
# The README section "Many nodes", run for real (SPEC §17, §18): three nodes in each
# topology on loopback, against throwaway Redis and PostgreSQL servers of this run only.
#   A: three workspaces joined with `init --join` (one SQLite log each), one Redis for replay;
#   B: three workspaces, one PostgreSQL log, each node with its own attestation key in the
#      shared trust store (docs/deployment.md, "Topology B").
# In each: a decision on node 1; the same signals on node 2 → 409 naming node 1's
# execution; an Idempotency-Key retry on node 3 → node 1's bytes; node 1's attestation
# verified by node 2 (POST /v1/verify) and offline; every node's log exported and
# verified with one `audit verify --log … --trust …`. Fails on any unexpected answer;
# stops every server it started.
# Usage: scripts/cluster-demo.sh [PARMANA_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
p=${1:-$(swift build --show-bin-path)/parmana}
p="$(cd "$(dirname "$p")" && pwd)/$(basename "$p")"
work=$(mktemp -d "${TMPDIR:-/tmp}/parmana-cluster-demo.XXXXXX")
# Our own services, never those of the caller (scripts/test.sh exports its own directory).
export PARMANA_SERVICES_DIR="$work/services"
pids=()
finish() {
  local rc=$? pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  bash scripts/services.sh stop >/dev/null 2>&1 || true
  if [ "$rc" -eq 0 ]; then rm -rf "$work"; else echo "cluster-demo: FAILED; workspaces and logs kept in $work" >&2; fi
}
trap finish EXIT

say() { printf '\n== %s\n' "$*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# set_config FILE KEY VALUE / get_config FILE KEY: the README's one-liners.
set_config() { python3 -c 'import json,sys; f,k,v=sys.argv[1:]; c=json.load(open(f)); c[k]=v; json.dump(c,open(f,"w"),indent=2)' "$@"; }
get_config() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); [d := d[k] for k in sys.argv[2:]]; print(d if isinstance(d,str) else json.dumps(d))" "$@"; }

say "services: a throwaway Redis and PostgreSQL on free loopback ports (scripts/services.sh)"
eval "$(bash scripts/services.sh start redis postgres 2> "$work/services.err")" || { cat "$work/services.err"; fail "services did not start"; }
echo "redis ${PARMANA_TEST_REDIS_URL}, postgres ${PARMANA_TEST_POSTGRES_URL%%:*}://…@${PARMANA_TEST_POSTGRES_URL##*@}"

# serve DIR PORT: starts a node in the background and waits until /readyz says every store is ready.
serve() {
  local dir=$1 port=$2 pid
  "$p" serve --dir "$dir" --listen "127.0.0.1:$port" --log-level warning > "$dir.out" 2> "$dir.err" &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$port/readyz" > /dev/null && { echo "node $(get_config "$dir/config.json" node_id) serving http://127.0.0.1:$port (pid $pid)"; return 0; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$dir.err" >&2
  fail "node $dir did not come up on port $port"
}

stop_nodes() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}

# walk TOPOLOGY DIR: the README's steps against three running nodes whose workspaces are DIR/n1…n3.
walk() {
  local t=$1 d=$2 token url1 url2 url3 id code
  token=$(cat "$d/n1/tokens/admin.token")
  url1=$(get_config "$d/n1/config.json" listen); url2=$(get_config "$d/n2/config.json" listen); url3=$(get_config "$d/n3/config.json" listen)
  local body='{"policy_id":"payments.release","signals":{"payment_id":"pay_1","amount":120.5,"currency":"EUR","kyc_verified":true}}'
  post() {  # post OUT URL [curl args…]: prints the status; body to OUT, headers to OUT.headers
    local out=$1 url=$2; shift 2
    curl -s -o "$out" -D "$out.headers" -w '%{http_code}' -X POST "http://$url/v1/decisions" \
      -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@" -d "$body"
  }

  say "$t: a decision on node 1 (Idempotency-Key: order-1): 201"
  code=$(post "$d/d1.json" "$url1" -H 'Idempotency-Key: order-1')
  [ "$code" = 201 ] || { cat "$d/d1.json"; fail "$t: node 1 answered $code, not 201"; }
  id=$(field "$d/d1.json" execution_id)
  echo "node 1: execution $id, $(field "$d/d1.json" execution_state), decision $(field "$d/d1.json" attestation payload decision action), signed by key $(field "$d/d1.json" attestation payload key_id)"

  say "$t: the same signals on node 2: 409 replay_detected, naming node 1's execution"
  code=$(post "$d/d2.json" "$url2")
  [ "$code" = 409 ] || { cat "$d/d2.json"; fail "$t: node 2 answered $code, not 409"; }
  [ "$(field "$d/d2.json" error code)" = replay_detected ] || fail "$t: node 2's refusal is $(cat "$d/d2.json")"
  [ "$(field "$d/d2.json" error execution_id)" = "$id" ] || fail "$t: node 2 names $(field "$d/d2.json" error execution_id), not node 1's $id"
  echo "node 2: $(field "$d/d2.json" error code), consumed by execution $(field "$d/d2.json" error execution_id)"

  say "$t: the client retries with the same Idempotency-Key on node 3: node 1's 201, byte for byte"
  code=$(post "$d/d3.json" "$url3" -H 'Idempotency-Key: order-1')
  [ "$code" = 201 ] || { cat "$d/d3.json"; fail "$t: node 3 answered $code to the retry, not 201"; }
  cmp -s "$d/d1.json" "$d/d3.json" || fail "$t: node 3's body differs from node 1's"
  grep -qi '^Idempotent-Replayed: true' "$d/d3.json.headers" || fail "$t: node 3's retry has no Idempotent-Replayed: true header"
  echo "node 3: 201, Idempotent-Replayed: true, $(wc -c < "$d/d3.json") bytes identical to node 1's"

  say "$t: node 1's attestation verified on node 2 (POST /v1/verify) and offline with node 3's trust store"
  python3 -c 'import json,sys; json.dump(json.load(open(sys.argv[1]))["attestation"], open(sys.argv[2],"w"))' "$d/d1.json" "$d/att.json"
  python3 -c 'import json,sys; print(json.dumps({"attestation": json.load(open(sys.argv[1])), "signals": json.loads(sys.argv[2])["signals"], "require_known_runtime": True}))' \
    "$d/att.json" "$body" > "$d/verify-request.json"
  code=$(curl -s -o "$d/report.json" -w '%{http_code}' -X POST "http://$url2/v1/verify" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d "@$d/verify-request.json")
  [ "$code" = 200 ] && [ "$(field "$d/report.json" valid)" = true ] || { cat "$d/report.json"; fail "$t: node 2 does not verify node 1's attestation"; }
  echo "node 2: valid $(field "$d/report.json" valid), key_trusted $(field "$d/report.json" checks key_trusted), runtime_verified $(field "$d/report.json" checks runtime_verified)"
  "$p" verify "$d/att.json" --trust "$d/n3/trust.json" --require-known-runtime > "$d/verify.txt" || { cat "$d/verify.txt"; fail "$t: offline verification failed"; }
  echo "offline: $(head -1 "$d/verify.txt")"
}

# ---------------------------------------------------------------- topology A
say "A: three nodes, one Redis for replay, one SQLite log each (init --join)"
a="$work/a"; mkdir -p "$a"
"$p" init --dir "$a/n1" --node-id node-1 > /dev/null 2>&1
set_config "$a/n1/config.json" replay_store "$PARMANA_TEST_REDIS_URL"
for n in 2 3; do
  "$p" init --dir "$a/n$n" --join "$a/n1" --node-id "node-$n" > "$a/join-$n.txt" 2> /dev/null
  head -1 "$a/join-$n.txt"
done
cp "$a/n1/trust.json" "$a/n2/trust.json"   # n1's trust store now holds all three nodes' keys
for n in 1 2 3; do set_config "$a/n$n/config.json" listen "127.0.0.1:$(free_port)"; done
for n in 1 2 3; do serve "$a/n$n" "$(get_config "$a/n$n/config.json" listen | cut -d: -f2)"; done
walk A "$a"

say "A: stop the nodes (SIGTERM), export every node's log, verify them together offline"
stop_nodes
for n in 1 2 3; do "$p" audit export --dir "$a/n$n" --out "$a/n$n.jsonl" 2> /dev/null; done
"$p" audit verify --log "$a/n1.jsonl" --log "$a/n2.jsonl" --log "$a/n3.jsonl" --trust "$a/n1/trust.json" 2> /dev/null | tee "$a/audit.txt"
grep -q '^VALID: .* in 3 logs, no fingerprint in two' "$a/audit.txt" || fail "A: audit verify over the three logs"

# ---------------------------------------------------------------- topology B
say "B: three nodes, one PostgreSQL log; each node signs with its own key from the shared trust store"
b="$work/b"; mkdir -p "$b"
"$p" init --dir "$b/n1" --node-id node-1 > /dev/null 2>&1
set_config "$b/n1/config.json" store "$PARMANA_TEST_POSTGRES_URL"
for n in 2 3; do
  "$p" init --dir "$b/n$n" --join "$b/n1" --node-id "node-$n" > "$b/join-$n.txt" 2> /dev/null
  head -1 "$b/join-$n.txt"
  # One log, one log_id: every node signs checkpoints of the same log.
  set_config "$b/n$n/config.json" log_id "$(get_config "$b/n1/config.json" log_id)"
done
cp "$b/n1/trust.json" "$b/n2/trust.json"
for n in 1 2 3; do set_config "$b/n$n/config.json" listen "127.0.0.1:$(free_port)"; done
for n in 1 2 3; do serve "$b/n$n" "$(get_config "$b/n$n/config.json" listen | cut -d: -f2)"; done
walk B "$b"

say "B: stop the nodes, export the log from every node (one log: the same entries), verify it offline"
stop_nodes
for n in 1 2 3; do "$p" audit export --dir "$b/n$n" --out "$b/n$n.jsonl" 2> /dev/null; done
for n in 2 3; do
  cmp -s <(tail -n +2 "$b/n1.jsonl") <(tail -n +2 "$b/n$n.jsonl") || fail "B: node $n's export holds other entries than node 1's"
done
echo "the three exports hold the same $(($(wc -l < "$b/n1.jsonl") - 1)) lines (headers differ only in node_id)"
"$p" audit verify --log "$b/n1.jsonl" --trust "$b/n1/trust.json" 2> /dev/null | tee "$b/audit.txt"
grep -q '^VALID: ' "$b/audit.txt" || fail "B: audit verify over the shared log"

say "done: both topologies behave as the README shows"
