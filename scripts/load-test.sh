#!/usr/bin/env bash
# Load test of the HTTP API with the durable SQLite store, against the in-process
# durable throughput measured in the same run on the same machine (BENCHMARKS.md,
# issue 14). Decisions with unique signals over keep-alive connections (wrk +
# scripts/load/decisions.lua), one fresh workspace and server per connection count.
# For every phase it also reports the CPU time per decision of the server (from
# /proc/PID/stat) and of wrk (its rusage), so the ratio can be read against where the
# two cores went: wrk runs on the same cores as the server.
#
# Usage: scripts/load-test.sh [SECONDS=10] [CONNECTIONS="1 16 64"]
#   PARMANA_TEST_BIN=path/to/parmana   use this (release) binary instead of building one
#   LOAD_TEST_JSON=file                also write the results as JSON
# The in-process baseline runs with as many callers as the largest connection count.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-1 16 64}
if ! command -v wrk > /dev/null; then
  echo "load-test: installing wrk (apt)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk > /dev/null
fi
[ -n "${PARMANA_TEST_BIN:-}" ] || bash scripts/bootstrap.sh
source scripts/release-bin.sh   # sets p
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 scripts/load/load_test.py "$p" "$work" "$seconds" $connections
