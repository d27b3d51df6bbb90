#!/usr/bin/env bash
# The approver console (SPEC §19.5, issue 12) in a real browser: headless Chromium
# driven by Selenium (tests/browser/console_test.py) against a real `parmana serve`.
#
#   init → two approvers (alice, bob) → a dual-control policy (2 approvals) →
#   decisions: one needing 2 approvals, one needing 1, one "urgent" that expires after
#   60 s → the server's clock (injected: serve --test-clock) moves 2 minutes on and the
#   expiry sweeper expires the urgent one → through a tampering proxy, the browser
#   refuses to sign over altered signals, attestation signature, top-level decision or
#   inclusion proof → the browser approves with key A (1 of 2),
#   then key B (approved), rejects the other, shows the expired one, verifies an
#   inclusion proof and runs the RFC 8785 vectors in the page → `parmana verify` with
#   both overrides says authorized.
#
# Usage: scripts/console-test.sh [BIN_DIR] [SCREENSHOT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "${1:-$(cd "$here" && swift build --show-bin-path)}" && pwd)
p="$bin/parmana"
work=$(mktemp -d)
shots="${2:-$work/screenshots}"
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
say() { printf '\n== %s\n' "$*"; }

bash "$here/scripts/browser-setup.sh" >/dev/null

say "a workspace with two approvers and a dual-control policy"
ws="$work/ws"
"$p" init --dir "$ws" >/dev/null 2>&1
for who in alice bob; do
  "$p" keygen --role approver --approver-id "$who@example.com" --out "$work/$who.key" >/dev/null
  "$p" trust add-key --dir "$ws" --public-key "$work/$who.key.pub.json" >/dev/null
done
"$p" policy sign "$here/examples/policies/payments.dual-control.json" --key "$ws/keys/policy.key" --out "$work/dual.json" >/dev/null
"$p" policy add "$work/dual.json" --dir "$ws" >/dev/null

say "serve with an injected clock (the browser signs resolved_at from the server's time)"
python3 -c 'import datetime; print((datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z")' > "$work/clock"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
url="http://127.0.0.1:$port"
"$p" serve --dir "$ws" --listen "127.0.0.1:$port" --test-clock "$work/clock" --console-vectors "$here/Vectors/jcs" \
  --log-level warning > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -sf "$url/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "$url/healthz" >/dev/null || { cat "$work/serve.log"; exit 1; }
TOKEN=$(cat "$ws/tokens/admin.token")
decide() {
  curl -sf -X POST "$url/v1/decisions" -H "Authorization: Bearer $TOKEN" -d "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["execution_id"])'
}
dual=$(decide '{"policy_id":"payments.dual-control","signals":{"payment_id":"wire-1","amount":25000,"currency":"EUR","kyc_verified":true}}')
single=$(decide '{"policy_id":"payments.release","signals":{"payment_id":"wire-2","amount":42000,"currency":"EUR","kyc_verified":true}}')
urgent=$(decide '{"policy_id":"payments.dual-control","signals":{"payment_id":"wire-3","amount":30000,"currency":"USD","kyc_verified":true,"urgent":true}}')
echo "2 approvals: $dual; 1 approval: $single; urgent (60 s): $urgent"

say "two minutes later on the server's clock: the urgent one expires unresolved"
python3 - "$work/clock" <<'PY'
import datetime, sys
t = datetime.datetime.strptime(open(sys.argv[1]).read().strip(), "%Y-%m-%dT%H:%M:%S.%fZ") + datetime.timedelta(seconds=120)
open(sys.argv[1], "w").write(t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z\n")
PY
state=""
for _ in $(seq 1 50); do
  state=$(curl -sf "$url/v1/executions/$urgent" -H "Authorization: Bearer $TOKEN" | python3 -c 'import json,sys; print(json.load(sys.stdin)["execution_state"])')
  [ "$state" = override_expired ] && break
  sleep 0.2
done
[ "$state" = override_expired ] || { echo "the urgent execution is $state, not override_expired"; exit 1; }
echo "urgent: override_expired (a signed parmana.expiry/v1 in the log)"

say "the console in headless Chromium"
python3 "$here/tests/browser/console_test.py" "$url" "$TOKEN" "$work/alice.key" "$work/bob.key" \
  --screenshots "$shots" --expired-id "$urgent"

say "an executor checks 'authorized' offline: the attestation and both overrides"
curl -sf "$url/v1/executions/$dual" -H "Authorization: Bearer $TOKEN" > "$work/dual-exec.json"
python3 - "$work" <<'PY'
import json, sys
d = sys.argv[1]
e = json.load(open(d + "/dual-exec.json"))
assert e["execution_state"] == "override_approved", e["execution_state"]
assert len(e["overrides"]) == 2, len(e["overrides"])
json.dump(e["attestation"], open(d + "/att.json", "w"))
for i, o in enumerate(e["overrides"]):
    json.dump(o, open(f"{d}/o{i + 1}.json", "w"))
PY
"$p" verify "$work/att.json" --trust "$ws/trust.json" --override "$work/o1.json" --override "$work/o2.json" --json > "$work/report.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["valid"] and r["authorized"], r; print("authorized: 2 of 2 approvals from distinct approvers")' "$work/report.json"
set +e
"$p" verify "$work/att.json" --trust "$ws/trust.json" --override "$work/o1.json" --json > "$work/one.json"
set -e
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["valid"] and not r["authorized"], r; print("one override of two: valid, not authorized")' "$work/one.json"

say "stop, and verify the log"
kill -TERM "$server"; wait "$server" 2>/dev/null || true; server=""
"$p" audit verify --dir "$ws"
echo "console test passed"
