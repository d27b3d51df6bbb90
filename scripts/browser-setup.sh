#!/usr/bin/env bash
# Installs what the approver-console browser test (tests/browser/console_test.py)
# needs: Debian's Chromium and its matching chromedriver, and the Python Selenium
# bindings (pinned). Idempotent; non-interactive; prints the versions it ends with.
# Nothing is downloaded at test time: the test drives /usr/bin/chromium through
# /usr/bin/chromedriver, never a browser or driver fetched by Selenium Manager.
set -euo pipefail

SELENIUM_VERSION="4.51.0"  # 4.52.0 needs a certifi newer than the package index here has
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

# apt-get, retried while another dpkg/apt holds the lock (up to ~5 minutes).
apt_retry() {
  local i
  for i in $(seq 1 30); do
    if DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=10 "$@"; then
      return 0
    fi
    echo "browser-setup: apt-get $1 failed (lock held or transient error); retry $i/30" >&2
    sleep 10
  done
  echo "browser-setup: apt-get $* kept failing" >&2
  return 1
}

need_apt=()
for pkg in chromium chromium-driver fonts-dejavu-core; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "browser-setup: installing ${need_apt[*]} (apt)"
  apt_retry update -qq
  apt_retry install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

PY="${PYTHON:-python3}"
have=$("$PY" -c 'import selenium; print(selenium.__version__)' 2>/dev/null || true)
if [ "$have" != "$SELENIUM_VERSION" ]; then
  echo "browser-setup: installing selenium==$SELENIUM_VERSION (pip, into $("$PY" -c 'import sys; print(sys.executable)'))"
  "$PY" -m pip install --quiet --disable-pip-version-check "selenium==$SELENIUM_VERSION"
fi
# The throwaway fake API and the test's key checks use `cryptography` (already in interop/requirements.txt).
"$PY" -c 'import cryptography' 2>/dev/null || "$PY" -m pip install --quiet --disable-pip-version-check "cryptography>=42"

echo "browser-setup: $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium: missing')"
echo "browser-setup: $(/usr/bin/chromedriver --version 2>/dev/null || echo 'chromedriver: missing')"
echo "browser-setup: selenium $("$PY" -c 'import selenium; print(selenium.__version__)')"
echo "browser-setup: python $("$PY" -c 'import sys; print(sys.version.split()[0])')"
