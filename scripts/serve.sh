#!/usr/bin/env bash
# Parmana's main job: the governance HTTP API on the embedded default store (SQLite).
# Creates the workspace explicitly if it is absent (printing its new API token), then
# serves on 127.0.0.1:8080 until Ctrl-C. Extra arguments go to `parmana serve`
# (e.g. --listen 127.0.0.1:9090). Workspace: $PARMANA_DIR, else ./.parmana.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
echo "== building parmana (the first build takes a few minutes)"
swift build --product parmana 2>&1 | tail -1
exec "$(swift build --show-bin-path)/parmana" serve --init --dir "${PARMANA_DIR:-.parmana}" "$@"
