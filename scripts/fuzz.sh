#!/usr/bin/env bash
# libFuzzer fuzzing of every parser (issue 13): builds the Fuzz/ package with
# -sanitize=fuzzer,address and runs each target for SECONDS (default 60).
#
#   scripts/fuzz.sh [SECONDS]            every target
#   FUZZ_TARGETS="json proof" scripts/fuzz.sh 30
#
# Environment: FUZZ_TARGETS (default: json policy evaluate verify proof http), FUZZ_JOBS
# (targets at once; default one per CPU, at most 2), FUZZ_ARGS (more libFuzzer flags,
# e.g. -seed=1), FUZZ_DIR, FUZZ_BUILD_DIR.
#
# Scratch: $FUZZ_DIR (default .fuzz/ in the repository, ignored by git):
#   corpus/TARGET   the growing corpus (kept between runs, never committed)
#   seeds/TARGET    seeds made fresh each run from Vectors/, examples/ and the targets
#   logs/TARGET.log libFuzzer's output
#   artifacts/      crash-*, timeout-*, oom-* inputs of any finding
#   draft-vectors/  a draft Vectors/fuzz/ file for each of them
# Exits non-zero on any finding: a crash, a sanitizer report, a Swift trap, a
# differential mismatch (the targets abort on one), a hang over 10 s or an input over
# 2 GiB of RSS. docs/fuzzing.md says what each target checks and how a finding
# becomes a vector in Vectors/fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECS=${1:-60}
[[ "$SECS" =~ ^[0-9]+$ ]] || { echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2; }
WORK=${FUZZ_DIR:-$ROOT/.fuzz}
SCRATCH=${FUZZ_BUILD_DIR:-$ROOT/.build-fuzz}
TARGETS=(${FUZZ_TARGETS:-json policy evaluate verify proof http})

# libFuzzer and the sanitizer runtimes ship with the Swift toolchain; nothing to install.
SWIFTC=$(readlink -f "$(command -v swiftc)")
if ! ls "$(dirname "$SWIFTC")"/../lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1; then
  echo "fuzz: this Swift toolchain has no libFuzzer runtime (libclang_rt.fuzzer); use the swift.org Linux toolchain" >&2
  exit 2
fi
command -v python3 >/dev/null || { echo "fuzz: python3 is needed to cut seeds from Vectors/" >&2; exit 2; }

# Build. SwiftPM's --sanitize=fuzzer --sanitize=address reach swiftc as two separate
# -sanitize= flags, and swiftc keeps only the last: Swift code would get ASan but no
# coverage. -Xswiftc -sanitize=fuzzer,address comes last and gives Swift both; the
# --sanitize flags still instrument the C targets (libyaml, BoringSSL) and link
# libFuzzer's main.
echo "fuzz: building Fuzz/ (release, -sanitize=fuzzer,address) in $SCRATCH"
t0=$SECONDS
LOCK=()
command -v flock >/dev/null && LOCK=(flock /tmp/parmana-build.lock)
"${LOCK[@]}" swift build --package-path Fuzz --scratch-path "$SCRATCH" -c release \
  --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address 2>&1 | grep -vE "Cannot export local symbol '__asan_extra_spill_area'" | tail -3
BIN=$SCRATCH/release
echo "fuzz: build took $((SECONDS - t0)) s"
for t in "${TARGETS[@]}"; do [ -x "$BIN/fuzz-$t" ] || { echo "fuzz: no target fuzz-$t" >&2; exit 2; }; done

mkdir -p "$WORK"/{corpus,logs,artifacts}
rm -f "$WORK"/artifacts/*
rm -rf "$WORK/draft-vectors"
rm -rf "$WORK/seeds"
mkdir -p "$WORK/seeds"
# Swift's own crash backtracer trips ASan; a Swift trap must reach libFuzzer as SIGILL/SIGTRAP.
export SWIFT_BACKTRACE=enable=no
# LeakSanitizer is off: Swift keeps pointers in enum payloads with spare bits set, which
# LSan cannot see, so it reports live objects as leaked (seen on every target).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}

# Seeds from the repository's vectors and examples, and from each target (signed artifacts).
t0=$SECONDS
python3 - "$ROOT" "$WORK/seeds" <<'PY'
import base64, glob, json, os, sys
root, out = sys.argv[1], sys.argv[2]
def put(target, name, data):
    d = os.path.join(out, target); os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f: f.write(data if isinstance(data, bytes) else data.encode())
def canon(v): return json.dumps(v, separators=(',', ':'), ensure_ascii=False).encode()
for p in sorted(glob.glob(root + '/Vectors/jcs/*.json')):
    put('json', 'jcs-' + os.path.basename(p), open(p, 'rb').read())
nums = [l.split(',', 1)[1].strip() for l in open(root + '/Vectors/jcs/numbers.txt') if ',' in l]
for i in range(0, min(len(nums), 2000), 100):
    put('json', 'numbers-%04d.json' % i, '[' + ','.join(n for n in nums[i:i + 100] if n not in ('NaN', 'Infinity', '-Infinity')) + ']')
kat = json.load(open(root + '/Vectors/attestation/kat.json'))
for c in kat['cases']:
    put('json', 'kat-%s.json' % c['name'], c['canonical_payload'])
    env = b'{"payload":' + c['canonical_payload'].encode() + b',"signature":"' + c['signature'].encode() + b'"}'
    put('verify', 'kat-%s.bin' % c['name'], env)
    put('http', 'kat-%s.bin' % c['name'], b'V{"attestation":' + env + b'}')
for p in ['Vectors/keys/public_keys.json', 'Vectors/merkle/rfc6962.json']:
    put('json', os.path.basename(p), open(os.path.join(root, p), 'rb').read()[:16384])
for p in sorted(glob.glob(root + '/examples/policies/*.json')):
    name = os.path.basename(p)
    put('json', 'example-' + name, open(p, 'rb').read())
    if not name.endswith('.cases.json'):
        put('policy', 'example-' + name, open(p, 'rb').read())
for c in json.load(open(root + '/Vectors/yaml/policy_twins.json'))['cases']:
    for kind in ('yaml', 'json'):
        if isinstance(c.get(kind), str):
            put('policy', 'twin-%s.%s' % (c['name'], kind), c[kind])
# Regression vectors: every finding so far seeds its target again.
for p in sorted(glob.glob(root + '/Vectors/fuzz/*.json')):
    v = json.load(open(p))
    put(v['target'].removeprefix('fuzz-'), 'vector-' + os.path.basename(p), base64.b64decode(v['input_base64']))
PY
for t in "${TARGETS[@]}"; do
  mkdir -p "$WORK/seeds/$t" "$WORK/corpus/$t"
  # Every target (fuzz-json too, with none of its own) writes its seeds from
  # LLVMFuzzerInitialize and exits when FUZZ_SEEDS_DIR is set; -runs=0 and the timeout
  # make sure this step ends even if a target forgot the hook.
  if ! FUZZ_SEEDS_DIR="$WORK/seeds/$t" timeout -k 5 120 "$BIN/fuzz-$t" -runs=0 </dev/null >"$WORK/logs/$t.seeds.log" 2>&1; then
    echo "fuzz: fuzz-$t could not write its seeds (or took over 120 s):" >&2; tail -20 "$WORK/logs/$t.seeds.log" >&2; exit 1
  fi
  grep -q '^wrote [0-9]* seeds' "$WORK/logs/$t.seeds.log" || { echo "fuzz: fuzz-$t has no seed hook (Fuzz.writeSeedsIfAsked)" >&2; exit 1; }
done
echo "fuzz: seeds took $((SECONDS - t0)) s: $(for t in "${TARGETS[@]}"; do printf '%s %s  ' "$t" "$(find "$WORK/seeds/$t" -type f | wc -l)"; done)"

declare -A MAXLEN=([json]=4096 [policy]=8192 [evaluate]=4096 [verify]=16384 [proof]=8192 [http]=16384)
declare -A DICT=([json]=json [policy]=policy [evaluate]=policy [verify]=artifacts [proof]=artifacts [http]=artifacts)
# Targets run FUZZ_JOBS at a time (default: one per CPU, at most 2), each for SECONDS
# of its own; libFuzzer is single-threaded, so two on two cores each keep one core.
JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
[[ "$JOBS" =~ ^[0-9]+$ ]] && [ "$JOBS" -ge 1 ] || JOBS=1
[ -n "${FUZZ_JOBS:-}" ] || [ "$JOBS" -le 2 ] || JOBS=2
[ "$JOBS" -le "${#TARGETS[@]}" ] || JOBS=${#TARGETS[@]}
EXTRA=(${FUZZ_ARGS:-})
mkdir -p "$WORK/rc"
rm -f "$WORK"/rc/*
fuzz_one() {
  local t=$1 rc=0
  # libFuzzer stops itself after SECONDS (and on a hang over 10 s); the outer timeout
  # only guards against a target libFuzzer cannot interrupt.
  timeout -k 10 $((SECS + 300)) "$BIN/fuzz-$t" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
    -max_len="${MAXLEN[$t]}" -dict="$ROOT/Fuzz/dictionaries/${DICT[$t]}.dict" -detect_leaks=0 -print_final_stats=1 \
    -artifact_prefix="$WORK/artifacts/$t-" "${EXTRA[@]}" "$WORK/corpus/$t" "$WORK/seeds/$t" </dev/null >"$WORK/logs/$t.log" 2>&1 || rc=$?
  echo "$rc" >"$WORK/rc/$t"
}
echo "fuzz: ${#TARGETS[@]} targets, ${SECS} s each, $JOBS at a time"
started=$(date +%s)
running=0
for t in "${TARGETS[@]}"; do
  if [ "$running" -ge "$JOBS" ]; then wait -n || true; running=$((running - 1)); fi
  fuzz_one "$t" &
  running=$((running + 1))
done
wait || true
elapsed=$(( $(date +%s) - started ))

failed=()
: >"$WORK/summary.tsv"
printf '\n%-9s %8s %10s %9s %8s %10s %6s %7s  %s\n' target seconds execs exec/s corpus bytes cov rss result
for t in "${TARGETS[@]}"; do
  log="$WORK/logs/$t.log"
  rc=$(cat "$WORK/rc/$t" 2>/dev/null || echo 99)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  files=$(find "$WORK/corpus/$t" -type f | wc -l)
  bytes=$(find "$WORK/corpus/$t" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
  result=ok
  if [ "$rc" -ne 0 ]; then
    result="FINDING (exit $rc): $(grep -m1 -E 'PARMANA FUZZ FINDING|ERROR: AddressSanitizer|ERROR: libFuzzer|Fatal error|SUMMARY' "$log" || echo see log)"
    failed+=("$t")
  fi
  printf '%-9s %8s %10s %9s %8s %10s %6s %7s  %s\n' "$t" "$SECS" "${execs:-?}" "${rate:-?}" "$files" "$bytes" "${cov:-?}" "${rss:-?}M" "$result"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$SECS" "${execs:-}" "${rate:-}" "$files" "$bytes" "${cov:-}" "$rc" >>"$WORK/summary.tsv"
done
echo
echo "fuzz: fuzzing took ${elapsed} s ($SECONDS s in all); logs in $WORK/logs, corpora in $WORK/corpus"
if [ ${#failed[@]} -gt 0 ]; then
  # A draft regression vector per input that showed a finding: the input and what the
  # target said; the property, the expected outcome and the description are to be
  # written (Vectors/fuzz/README.md) before it goes into Vectors/fuzz/.
  mkdir -p "$WORK/draft-vectors"
  python3 - "$WORK" "${failed[@]}" <<'PY'
import base64, glob, hashlib, json, os, re, sys
work, targets = sys.argv[1], sys.argv[2:]
for t in targets:
    log = open(os.path.join(work, 'logs', t + '.log'), errors='replace').read()
    said = [l for l in log.splitlines() if re.search(r'PARMANA FUZZ FINDING|ERROR: AddressSanitizer|ERROR: libFuzzer|Fatal error|SUMMARY', l)]
    for a in sorted(glob.glob(os.path.join(work, 'artifacts', t + '-*'))):
        data = open(a, 'rb').read()
        v = {"id": "", "target": "fuzz-" + t, "found_by": "scripts/fuzz.sh (%s)" % os.path.basename(a),
             "property": "", "description": "", "input_base64": base64.b64encode(data).decode()}
        try:
            v["input_text"] = data.decode('utf-8')
        except UnicodeDecodeError:
            pass
        v.update({"expect": {}, "observed": {"fuzzer": said[:3]}, "status": "open"})
        out = os.path.join(work, 'draft-vectors', '%s-%s.json' % (t, hashlib.sha256(data).hexdigest()[:12]))
        with open(out, 'w') as f:
            json.dump(v, f, indent=2, ensure_ascii=False)
            f.write('\n')
        print('fuzz: draft vector %s' % out, file=sys.stderr)
PY
  echo "fuzz: FINDINGS in ${failed[*]}; inputs in $WORK/artifacts:" >&2
  ls -1 "$WORK/artifacts" >&2
  echo "fuzz: replay one with $BIN/fuzz-TARGET FILE (-minimize_crash=1 -runs=10000 FILE shrinks it); complete a draft from $WORK/draft-vectors into Vectors/fuzz/ (Vectors/fuzz/README.md)" >&2
  exit 1
fi
echo "fuzz: no findings"
