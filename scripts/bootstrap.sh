#!/usr/bin/env bash
# Installs what Parmana's build and tests need on a fresh Debian machine. Idempotent.
set -euo pipefail
need_apt=()
for pkg in libsqlite3-dev sqlite3; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "bootstrap: installing ${need_apt[*]} (apt)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if ! python3 -c "import rfc8785, cryptography, ruamel.yaml, yaml; yaml.CSafeLoader" 2>/dev/null; then
  echo "bootstrap: installing Python test tooling (interop/requirements.txt)"
  python3 -m pip install --quiet --disable-pip-version-check -r "$(dirname "$0")/../interop/requirements.txt"
fi
