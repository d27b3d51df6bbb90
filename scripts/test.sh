#!/usr/bin/env bash
# The test command (README, .ci/run): builds once, runs every Swift test, then the
# independent Python cross-checks. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
echo "== PostgreSQL for the Swift tests (scripts/services.sh; PARMANA_TEST_POSTGRES_URL)"
eval "$(scripts/services.sh start postgres)"
trap 'scripts/services.sh stop >/dev/null 2>&1 || true' EXIT   # stops every service started
echo "== swift build --build-tests"
swift build --build-tests
echo "== swift test"
swift test --skip-build --skip ParmanaPostgresTests
echo "== swift test: PostgreSQL on a real server; then its faults and time bounds alone (wall-clock bounds need the cores)"
swift test --skip-build --filter ParmanaPostgresTests --skip PostgresFaultTests
swift test --skip-build --filter PostgresFaultTests
bin=$(swift build --show-bin-path)
echo "== example policies and their cases"
for policy in examples/policies/*.json; do
  case "$policy" in *.cases.json) continue ;; esac
  "$bin/parmana" policy test "$policy" "${policy%.json}.cases.json" | tail -2
done
echo "== crash safety (kill -9 mid-stream)"
bash scripts/crash-test.sh "$bin" 5
echo "== HTTP walk-through (README): server process, curl, override --server, verify, graceful stop"
bash scripts/http-demo.sh "$bin/parmana"
echo "== interop (Swift ⇄ Python)"
bash interop/run.sh "$bin"
