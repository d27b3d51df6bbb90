#!/usr/bin/env bash
# The test command (README, .ci/run): builds once, runs every Swift test, then the
# independent Python cross-checks. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
echo "== swift build --build-tests"
swift build --build-tests
# Redis and PostgreSQL for the shared-store tests (SPEC §17): throwaway servers on free
# loopback ports, recorded in a state directory of this run only (never someone's
# running services), stopped on exit. Their PARMANA_TEST_* variables reach the Swift
# tests, which fail without them.
export PARMANA_SERVICES_DIR
PARMANA_SERVICES_DIR=$(mktemp -d "${TMPDIR:-/tmp}/parmana-services-test.XXXXXX")
trap 'bash scripts/services.sh stop >/dev/null 2>&1 || true' EXIT   # stops every service started
echo "== services: redis, postgres"
eval "$(bash scripts/services.sh start redis postgres)"
echo "== swift test"
swift test --skip-build --skip ParmanaRedisTests --skip ParmanaPostgresTests
# The Redis and PostgreSQL suites measure timeouts (store_timeout_ms, SIGSTOP, stopped
# servers): run them on their own so the rest of the suite's load does not starve their clocks.
echo "== swift test (Redis)"
swift test --skip-build --filter ParmanaRedisTests
echo "== swift test (PostgreSQL on a real server; then its faults and time bounds alone)"
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
echo "== many nodes: the README walk-through on both topologies (scripts/cluster-demo.sh)"
bash scripts/cluster-demo.sh "$bin/parmana"
echo "== many nodes: exactly-once under contention, a dropped reply and kill -9 (scripts/cluster-faults.sh)"
bash scripts/cluster-faults.sh "$bin/parmana"
echo "== overload: a flood past max_inflight gets fast 503s; every 201 is in the log (scripts/overload-test.sh)"
# Functional checks only on the debug build; load and latency ratios are benchmarks (BENCHMARKS.md).
PARMANA_TEST_BIN="$bin/parmana" OVERLOAD_BENCH_CHECKS=0 CAPACITY_SECONDS=5 bash scripts/overload-test.sh 20 16
echo "== approver console in headless Chromium (scripts/console-test.sh)"
bash scripts/console-test.sh "$bin"
echo "== fuzzing: every parser under libFuzzer + ASan, 60 s per target (scripts/fuzz.sh, docs/fuzzing.md)"
bash scripts/fuzz.sh 60
echo "== API fuzzing: schemathesis against parmana serve, no 5xx, no response outside the document (scripts/api-fuzz.sh)"
bash scripts/api-fuzz.sh "$bin"
echo "== interop (Swift ⇄ Python)"
bash interop/run.sh "$bin"
