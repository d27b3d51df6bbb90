# Sourced by the benchmark scripts: sets `p` to the parmana binary to measure —
# $PARMANA_TEST_BIN when given, else a release build (under the build lock when
# flock exists, so it never runs beside another build).
if [ -n "${PARMANA_TEST_BIN:-}" ]; then
  p=$PARMANA_TEST_BIN
else
  echo "== release build (a few minutes the first time)" >&2
  LOCK=(); command -v flock > /dev/null && LOCK=(flock /tmp/parmana-build.lock)
  "${LOCK[@]}" swift build -c release --product parmana 2>&1 | tail -1 >&2
  p="$(swift build -c release --show-bin-path)/parmana"
fi
