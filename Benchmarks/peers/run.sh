#!/usr/bin/env bash
# Side-by-side benchmark of Parmana against peer policy engines (README.md).
#
#   Benchmarks/peers/run.sh [--quick] [--swift-ed25519 FILE]
#
# 1. Makes Benchmarks/peers/.venv (gitignored) and installs the pinned peers from PyPI,
#    each on its own: a package that cannot install is reported with pip's error and
#    the run goes on without it.
# 2. Finds the built Parmana (prefers .build/release, else .build/debug; waits up to
#    PEERS_WAIT seconds, default 600, while a build has them missing). Never builds.
# 3. Runs bench.py: equivalence on corpus.jsonl first (exit 1 on any mismatch), then the
#    timings; writes results.json and prints the tables.
#
# --quick: small counts for a CI smoke run (well under 2 minutes once the venv exists).
# Environment: PYTHON (interpreter for the venv, >= 3.11), PEERS_PARMANA_BIN / PEERS_INTEROP_BIN
# (explicit binaries), PEERS_SWIFT_ED25519 (same as --swift-ed25519), PEERS_WAIT. Not PARMANA_*:
# parmana refuses unknown PARMANA_* settings, and the benchmark hands it none at all.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv="$here/.venv"
py=${PYTHON:-python3}

args=()
quick=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) args+=(--quick); quick=1 ;;
    --swift-ed25519) args+=(--swift-ed25519 "$2"); shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

# ── 1. virtual environment ───────────────────────────────────────────────────────
if ! "$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "need Python >= 3.11 (agent-governance-toolkit-core requires it); set PYTHON" >&2
  exit 2
fi
stamp=$( { "$py" --version 2>&1; cat "$here/requirements.txt" "$here/constraints.txt"; } | sha256sum | cut -c1-16)
report="$venv/install-report.json"
if [ ! -f "$venv/.stamp" ] || [ "$(cat "$venv/.stamp")" != "$stamp" ]; then
  echo "== creating $venv" >&2
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
  echo "{}" > "$report"
  grep -vE '^\s*(#|$)' "$here/requirements.txt" | while read -r req; do
    log="$venv/install-${req%%==*}.log"
    if "$venv/bin/python" -m pip install --disable-pip-version-check -c "$here/constraints.txt" "$req" >"$log" 2>&1 </dev/null; then
      status=ok; echo "   installed $req" >&2
    else
      status=failed; echo "   FAILED to install $req:" >&2; grep -E '^ERROR' "$log" | sed 's/^/     /' >&2 || tail -5 "$log" >&2
    fi
    "$venv/bin/python" - "$report" "$req" "$status" "$log" <<'PY'
import json, sys
path, req, status, log = sys.argv[1:]
r = json.load(open(path))
err = None
if status != "ok":
    lines = open(log, errors="replace").read().splitlines()
    err = "\n".join([l for l in lines if l.startswith("ERROR")] or lines[-5:])
r[req.split("==")[0]] = {"requested": req, "status": status, "error": err}
json.dump(r, open(path, "w"), indent=2)
PY
  done
  echo "$stamp" > "$venv/.stamp"
fi

# ── 2. Parmana binaries ──────────────────────────────────────────────────────────
find_bins() {
  parmana=${PEERS_PARMANA_BIN:-}
  interop=${PEERS_INTEROP_BIN:-}
  if [ -z "$parmana" ]; then
    if [ -x "$root/.build/release/parmana" ]; then parmana="$root/.build/release/parmana"
    elif [ -x "$root/.build/debug/parmana" ]; then parmana="$root/.build/debug/parmana"; fi
  fi
  if [ -z "$interop" ] && [ -n "$parmana" ]; then
    d=$(dirname "$parmana")
    if [ -x "$d/parmana-interop" ]; then interop="$d/parmana-interop"
    elif [ -x "$root/.build/debug/parmana-interop" ]; then interop="$root/.build/debug/parmana-interop"; fi
  fi
  [ -n "$parmana" ] && [ -x "$parmana" ] && [ -n "$interop" ] && [ -x "$interop" ]
}
waited=0
until find_bins; do
  if [ "$waited" -ge "${PEERS_WAIT:-600}" ]; then
    echo "no built parmana + parmana-interop under $root/.build (release or debug) after ${waited}s;" >&2
    echo "this benchmark never builds them: build first (swift build), or set PEERS_PARMANA_BIN / PEERS_INTEROP_BIN" >&2
    exit 2
  fi
  [ "$waited" -eq 0 ] && echo "== waiting for $root/.build/{release,debug}/parmana and parmana-interop (a build may be running)" >&2
  sleep 10; waited=$((waited + 10))
done
echo "== parmana: $parmana" >&2
echo "== parmana-interop: $interop" >&2

# ── 3. run ───────────────────────────────────────────────────────────────────────
# A quick (smoke) run never overwrites the recorded full run's results.json.
if [ "$quick" = 1 ]; then
  quick_out=$(mktemp -d "${TMPDIR:-/tmp}/parmana-peers-quick.XXXXXX")
  echo "== --quick: results in $quick_out/results.json (Benchmarks/peers/results.json keeps the full run)" >&2
  args+=(--out "$quick_out")
fi
exec "$venv/bin/python" "$here/bench.py" --parmana "$parmana" --interop "$interop" \
  --install-report "$report" ${args[@]+"${args[@]}"}
