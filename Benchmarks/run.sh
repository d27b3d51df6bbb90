#!/usr/bin/env bash
# Runs every benchmark in release mode and prints the ratio table for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")"
out=$(mktemp -d)
swift package --allow-writing-to-package-directory benchmark --format jmh --path "$out" >/dev/null
python3 ratios.py "$out/Current_run.jmh.json"
