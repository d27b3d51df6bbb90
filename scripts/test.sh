#!/usr/bin/env bash
# The test command (README, .ci/run): builds once, runs every Swift test, then the
# independent Python cross-checks. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
echo "== swift build --build-tests"
swift build --build-tests
echo "== swift test"
swift test --skip-build
bin=$(swift build --show-bin-path)
echo "== interop (Swift ⇄ Python)"
bash interop/run.sh "$bin"
