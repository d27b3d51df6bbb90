#!/usr/bin/env bash
# The README's HTTP walk-through, run for real: a server on a fresh workspace, a
# decision, a replay refusal, an override by the approver, verification, then a
# graceful stop. Fails on any unexpected answer (CI runs it).
# Usage: scripts/http-demo.sh [PARMANA_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
p=${1:-$(swift build --show-bin-path)/parmana}
demo=$(mktemp -d)
ws="$demo/ws"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
"$p" serve --init --dir "$ws" --listen "127.0.0.1:$port" > "$demo/serve.out" 2> "$demo/serve.err" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
up=""
for _ in $(seq 1 300); do
  curl -sf "$url/healthz" > /dev/null && { up=1; break; }
  kill -0 $server 2>/dev/null || break
  sleep 0.1
done
[ -n "$up" ] || { echo "FAILED: the server did not come up"; cat "$demo/serve.err"; exit 1; }
TOKEN=$(cat "$ws/tokens/admin.token")
say() { printf '\n== %s\n' "$1"; }
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); [d := d[k] for k in sys.argv[2:]]; print(d if isinstance(d,str) else json.dumps(d))" "$@"; }
post() { curl -s -o "$1" -w '%{http_code}' -X POST "$url$2" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$3"; }
expect() { [ "$1" = "$2" ] || { echo "FAILED: expected $2, got $1"; cat "$3"; echo; tail -5 "$demo/serve.err"; exit 1; }; }

head -1 "$demo/serve.out"
small='{"policy_id":"payments.release","signals":{"payment_id":"pay_1","amount":120.5,"currency":"EUR","kyc_verified":true}}'
say "a governed decision: 201"
code=$(post "$demo/d1.json" /v1/decisions "$small"); expect "$code" 201 "$demo/d1.json"
echo "execution $(field "$demo/d1.json" execution_id): $(field "$demo/d1.json" execution_state), decision $(field "$demo/d1.json" attestation payload decision)"

say "the same signals again: 409 replay_detected"
code=$(post "$demo/d2.json" /v1/decisions "$small"); expect "$code" 409 "$demo/d2.json"
expect "$(field "$demo/d2.json" error code)" replay_detected "$demo/d2.json"
echo "refused: $(field "$demo/d2.json" error code), consumed by $(field "$demo/d2.json" error execution_id)"

say "a large payment needs a human: pending_override"
large='{"policy_id":"payments.release","signals":{"payment_id":"pay_2","amount":25000,"currency":"EUR","kyc_verified":true}}'
code=$(post "$demo/d3.json" /v1/decisions "$large"); expect "$code" 201 "$demo/d3.json"
id=$(field "$demo/d3.json" execution_id)
expect "$(field "$demo/d3.json" execution_state)" pending_override "$demo/d3.json"
curl -s "$url/v1/executions?state=pending_override" -H "Authorization: Bearer $TOKEN" > "$demo/pending.json"
echo "pending: $(python3 -c "import json,sys; print([e['execution_id'] for e in json.load(open(sys.argv[1]))['executions']])" "$demo/pending.json")"

say "the approver signs the override locally; the server checks it against its trust store"
"$p" override approve "$id" --server "$url" --token-file "$ws/tokens/admin.token" --key "$ws/keys/approver-demo.key" \
  --reason "verified by phone" --out "$demo/override.json" --json > "$demo/o1.json"
expect "$(field "$demo/o1.json" execution_state)" override_approved "$demo/o1.json"
echo "execution $id: override_approved"
set +e
"$p" override reject "$id" --server "$url" --token-file "$ws/tokens/admin.token" --key "$ws/keys/approver-demo.key" --reason again --json > "$demo/o2.json"
status=$?
set -e
expect "$status" 1 "$demo/o2.json"
expect "$(field "$demo/o2.json" error code)" override_already_resolved "$demo/o2.json"
echo "a second resolution: override_already_resolved"

say "verify the whole lineage: POST /v1/verify with the policy and an inclusion proof from the server"
curl -sf "$url/v1/policies/payments.release/versions/1.2.0" -H "Authorization: Bearer $TOKEN" > "$demo/policy.json"
# The checkpointer covers new entries within checkpoint_interval_seconds; an admin can sign one at once.
curl -sf -X POST "$url/v1/audit/checkpoints" -H "Authorization: Bearer $TOKEN" > "$demo/checkpoint.json"
curl -sf "$url/v1/audit/proofs/inclusion?execution_id=$id" -H "Authorization: Bearer $TOKEN" > "$demo/proof.json"
python3 - "$demo" > "$demo/verify-request.json" <<'PY'
import json, sys
d = sys.argv[1]
print(json.dumps({"attestation": json.load(open(d + "/d3.json"))["attestation"],
                  "override": json.load(open(d + "/override.json")),
                  "signals": {"payment_id": "pay_2", "amount": 25000, "currency": "EUR", "kyc_verified": True},
                  "policy": json.load(open(d + "/policy.json")), "proof": json.load(open(d + "/proof.json")),
                  "require_known_runtime": True}))
PY
code=$(post "$demo/report.json" /v1/verify "@$demo/verify-request.json"); expect "$code" 200 "$demo/report.json"
expect "$(field "$demo/report.json" valid)" true "$demo/report.json"
expect "$(field "$demo/report.json" authorized)" true "$demo/report.json"
echo "valid: true, authorized: true, checks: $(field "$demo/report.json" checks)"

say "stop gracefully (SIGTERM), then verify the audit log offline"
kill -TERM $server
wait $server
"$p" audit verify --dir "$ws"
echo
echo "Workspace and responses kept in $demo"
