#!/usr/bin/env bash
# Parmana's main job on the embedded default (SQLite), end to end: a fresh workspace,
# a governed decision, a replay refusal, a human override, the audit log and offline
# verification of everything with nothing but the trust store.
# Usage: scripts/demo.sh [DIR]   (default: a new temporary directory, kept for you)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
echo "== building parmana (the first build takes a few minutes)"
swift build --product parmana 2>&1 | tail -1
p="$(swift build --show-bin-path)/parmana"
demo=${1:-$(mktemp -d)}
ws="$demo/ws"
say() { printf '\n== %s\n$ %s\n' "$1" "$2"; }

say "create a workspace" "parmana init --dir $ws"
"$p" init --dir "$ws"

echo '{"payment_id":"pay_1","amount":120.5,"currency":"EUR","kyc_verified":true}' > "$demo/small.json"
echo '{"payment_id":"pay_2","amount":25000,"currency":"EUR","kyc_verified":true}' > "$demo/large.json"

say "a governed decision" "parmana decide --dir $ws --policy-id payments.release --signals small.json"
"$p" decide --dir "$ws" --policy-id payments.release --signals "$demo/small.json" > "$demo/small.decision.json"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps({k: d[k] for k in ('execution_id','execution_state')})); print('decision:', json.dumps(d['attestation']['payload']['decision']))" "$demo/small.decision.json"

say "the same signals again: refused, exactly once" "parmana decide … --signals small.json"
"$p" decide --dir "$ws" --policy-id payments.release --signals "$demo/small.json" || echo "(exit $?: replay_detected)"

say "a large payment needs a human" "parmana decide … --signals large.json"
"$p" decide --dir "$ws" --policy-id payments.release --signals "$demo/large.json" > "$demo/large.decision.json"
id=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['execution_id'])" "$demo/large.decision.json")
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['execution_state'], json.dumps(d['attestation']['payload']['decision']))" "$demo/large.decision.json"

say "the approver signs an override" "parmana override approve $id --key $ws/keys/approver-demo.key --reason 'verified by phone'"
"$p" override approve "$id" --dir "$ws" --key "$ws/keys/approver-demo.key" --reason "verified by phone" --out "$demo/override.json" | head -3

say "checkpoint the audit log, prove the decision is in it" "parmana audit checkpoint; parmana audit proof --execution $id"
"$p" audit checkpoint --dir "$ws" > /dev/null
"$p" audit proof --dir "$ws" --execution "$id" > "$demo/proof.json"
"$p" audit verify --dir "$ws"

python3 -c "import json,sys; json.dump(json.load(open(sys.argv[1]))['attestation'], open(sys.argv[2],'w'))" "$demo/large.decision.json" "$demo/attestation.json"
say "verify offline with only the trust store" "parmana verify attestation.json --trust trust.json --signals large.json --policy … --override override.json --proof proof.json"
"$p" verify "$demo/attestation.json" --trust "$ws/trust.json" --signals "$demo/large.json" \
  --policy "$ws/policies/payments.release@1.2.0.json" --override "$demo/override.json" --proof "$demo/proof.json" --require-known-runtime

echo
echo "Workspace and files kept in $demo"
