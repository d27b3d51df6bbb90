#!/usr/bin/env bash
# Runs every benchmark in release mode and prints the tables for BENCHMARKS.md:
# ratios against the Ed25519 baselines of the same run, then the memory check.
set -euo pipefail
cd "$(dirname "$0")"
out=$(mktemp -d)
echo "building and running benchmarks (a few minutes)…" >&2
swift package --allow-writing-to-package-directory benchmark --skip "memory.*" --format jmh --path "$out" >/dev/null
python3 ratios.py "$out/Current_run.jmh.json"
echo
echo "Memory: one compiled policy evaluated N times (resident peak must not grow with N)"
swift package --allow-writing-to-package-directory benchmark --filter "memory.*" 2>/dev/null \
  | grep -E "^memory:|Memory \(resident peak\)|Malloc \(total\)" | sed 's/│/|/g'
