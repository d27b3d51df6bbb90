#!/usr/bin/env python3
"""Side-by-side benchmark of Parmana against peer policy engines (see README.md).

1. Equivalence: every engine decides every case of corpus.jsonl; each decision must
   equal Parmana's (action, requires_override, reason, rule_id). Mismatches are
   printed and make the exit status 1.
2. Timing, in the same run: each engine's evaluation call, each peer's governed path,
   Parmana's in-memory and durable decide (`parmana bench decide`, one caller), and
   the Ed25519 signing yardstick of each language.
3. results.json and a Markdown table.

Usage: bench.py --parmana BIN --interop BIN [--quick] [--swift-ed25519 FILE] [--out DIR]
"""
from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import corpus as corpus_mod  # noqa: E402
import engines as eng  # noqa: E402

POLICY = os.path.join(HERE, "policies", "payments20.json")
POLICY_ID = "payments20"
FIELDS = ("action", "requires_override", "reason", "rule_id")

FULL = {"warmup": 2000, "calls": 20000, "governed_calls": 10000, "durable_calls": 3000, "slow_calls": 300,
        "parmana_seconds": 10, "parmana_eval_lines": 60000, "decide_check": None}
QUICK = {"warmup": 200, "calls": 2000, "governed_calls": 1000, "durable_calls": 300, "slow_calls": 30,
         "parmana_seconds": 2, "parmana_eval_lines": 6000, "decide_check": 300}

ED25519_MESSAGE_BYTES = 560


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ── statistics ──────────────────────────────────────────────────────────────────

def pct(sorted_vals, q):
    if not sorted_vals:
        return None
    i = min(len(sorted_vals) - 1, max(0, int(round(q * (len(sorted_vals) - 1)))))
    return sorted_vals[i]


def summarize(samples_ns):
    us = sorted(s / 1000 for s in samples_ns)
    n = len(us)
    tenth = max(1, n // 10)
    first = sorted(s / 1000 for s in samples_ns[:tenth])
    last = sorted(s / 1000 for s in samples_ns[-tenth:])
    return {"n": n, "p50_us": pct(us, 0.50), "p99_us": pct(us, 0.99), "p999_us": pct(us, 0.999),
            "mean_us": statistics.fmean(us), "min_us": us[0], "max_us": us[-1],
            "p50_first_tenth_us": pct(first, 0.5), "p50_last_tenth_us": pct(last, 0.5)}


def measure(fn, inputs, warmup, calls):
    """Warm up, then time each call on its own (inputs taken round-robin)."""
    L = len(inputs)
    for i in range(warmup):
        fn(inputs[i % L])
    gc.collect()
    pc = time.perf_counter_ns
    samples = [0] * calls
    for i in range(calls):
        x = inputs[i % L]
        t0 = pc()
        fn(x)
        samples[i] = pc() - t0
    return summarize(samples)


# ── Parmana ─────────────────────────────────────────────────────────────────────

# Parmana refuses unknown PARMANA_* settings (invalid_config) and reads known ones
# (PARMANA_STORE, PARMANA_DIR, …): its subprocesses get none of them, so the workspace
# and store are exactly the ones named on the command line.
CHILD_ENV = {k: v for k, v in os.environ.items() if not k.startswith("PARMANA_")}


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, env=CHILD_ENV, **kw)


def parmana_version(parmana):
    p = run([parmana, "--version"])
    return (p.stdout or p.stderr).strip()


def interop_decisions(interop, rows, tmp):
    """Parmana's decisions for every case: `parmana-interop evaluate-batch`."""
    pol = os.path.join(tmp, "policies.json")
    with open(POLICY, encoding="utf-8") as f:
        doc = json.load(f)
    with open(pol, "w", encoding="utf-8") as f:
        json.dump([doc], f)
    cases = os.path.join(tmp, "cases.jsonl")
    with open(cases, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"p": 0, "signals": r["signals"]}, ensure_ascii=False) + "\n")
    p = run([interop, "evaluate-batch", pol, cases])
    if p.returncode != 0:
        raise RuntimeError(f"parmana-interop evaluate-batch exited {p.returncode}: {p.stderr.strip()}")
    out = []
    for line in p.stdout.splitlines():
        d = json.loads(line)
        out.append(("error", d["error"]) if "error" in d else tuple(d[k] for k in FIELDS))
    if len(out) != len(rows):
        raise RuntimeError(f"parmana-interop returned {len(out)} decisions for {len(rows)} cases")
    return out


def cli_spot_check(parmana, rows, expected, tmp, k=5):
    """`parmana evaluate --policy F --signals F --json` on a few cases: the CLI path
    agrees with the batch evaluator."""
    bad = []
    idx = sorted({0, len(rows) // 3, len(rows) // 2, len(rows) - 1, 7})[:k]
    for i in idx:
        sf = os.path.join(tmp, f"signals-{i}.json")
        with open(sf, "w", encoding="utf-8") as f:
            json.dump(rows[i]["signals"], f, ensure_ascii=False)
        p = run([parmana, "evaluate", "--policy", POLICY, "--signals", sf, "--json"])
        got = tuple(json.loads(p.stdout)["decision"][k] for k in FIELDS) if p.returncode == 0 else ("error", p.stdout + p.stderr)
        if got != expected[i]:
            bad.append({"id": rows[i]["id"], "evaluate": got, "evaluate_batch": expected[i]})
    return {"cases": len(idx), "mismatches": bad}


def make_workspace(parmana, path):
    if os.path.exists(path):
        shutil.rmtree(path)
    steps = [
        [parmana, "init", "--dir", path, "--json"],
        [parmana, "policy", "sign", POLICY, "--key", os.path.join(path, "keys", "policy.key"),
         "--out", os.path.join(path, "payments20.signed.json"), "--json"],
        [parmana, "policy", "add", os.path.join(path, "payments20.signed.json"), "--dir", path, "--json"],
    ]
    for cmd in steps:
        p = run(cmd)
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[1:3])} exited {p.returncode}: {(p.stdout + p.stderr).strip()}")


def decide_check(parmana, rows, expected, tmp, limit):
    """The governed path gives the same decisions: `parmana decide --signals-lines` on
    a fresh workspace with payments20 signed and installed (durable store)."""
    ws = os.path.join(tmp, "ws-check")
    make_workspace(parmana, ws)
    sel = rows if limit is None else rows[:limit]
    lines = os.path.join(tmp, "decide-check.jsonl")
    with open(lines, "w", encoding="utf-8") as f:
        for r in sel:
            f.write(json.dumps(r["signals"], ensure_ascii=False) + "\n")
    p = run([parmana, "decide", "--dir", ws, "--policy-id", POLICY_ID, "--signals-lines", lines, "--json"])
    if p.returncode not in (0, 1):
        raise RuntimeError(f"parmana decide --signals-lines exited {p.returncode}: {p.stderr.strip()[:500]}")
    bad = []
    outs = p.stdout.splitlines()
    if len(outs) != len(sel):
        raise RuntimeError(f"parmana decide printed {len(outs)} lines for {len(sel)} signals")
    for r, line, exp in zip(sel, outs, expected):
        d = json.loads(line)
        if "error" in d:
            got = ("error", d["error"])
        else:
            dec = d["attestation"]["payload"]["decision"]
            got = tuple(dec[k] for k in FIELDS)
            state = d["execution_state"]
            if state != ("pending_override" if dec["requires_override"] else "completed"):
                got = got + (f"execution_state={state}",)
        if got != exp:
            bad.append({"id": r["id"], "decide": got, "evaluate_batch": exp})
    return {"cases": len(sel), "mismatches": bad[:20], "mismatch_count": len(bad)}


def interop_eval_timing(interop, rows, tmp, lines):
    """Parmana's evaluation call seen from outside the process: the batch evaluator's
    time for N lines minus its time for 1 line, over N-1 (best of 3). Includes
    parsing each line's JSON and writing the decision's canonical JSON; mean only."""
    pol = os.path.join(tmp, "policies.json")
    big, one = os.path.join(tmp, "eval-many.jsonl"), os.path.join(tmp, "eval-one.jsonl")
    with open(big, "w", encoding="utf-8") as f:
        for i in range(lines):
            f.write(json.dumps({"p": 0, "signals": rows[i % len(rows)]["signals"]}, ensure_ascii=False) + "\n")
    with open(one, "w", encoding="utf-8") as f:
        f.write(json.dumps({"p": 0, "signals": rows[0]["signals"]}, ensure_ascii=False) + "\n")

    def best(path):
        ts = []
        for _ in range(3):
            t0 = time.perf_counter()
            p = subprocess.run([interop, "evaluate-batch", pol, path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=CHILD_ENV)
            ts.append(time.perf_counter() - t0)
            if p.returncode != 0:
                raise RuntimeError(p.stderr.decode()[:300])
        return min(ts)
    t1, tn = best(one), best(big)
    return {"n": lines, "mean_us": (tn - t1) / (lines - 1) * 1e6, "p50_us": None, "p99_us": None,
            "batch_seconds": tn, "startup_seconds": t1}


BENCH_OPTIONS = ("--store", "--policy-id", "--corpus", "--unique-field")


def bench_decide_support(parmana):
    p = run([parmana, "bench", "decide", "--help"])
    text = p.stdout + p.stderr
    missing = [o for o in BENCH_OPTIONS if o not in text]
    return missing


def parmana_bench(parmana, tmp, store, seconds, signals_file):
    ws = os.path.join(tmp, f"ws-bench-{'memory' if store == 'memory:' else 'durable'}")
    make_workspace(parmana, ws)
    cmd = [parmana, "bench", "decide", "--dir", ws, "--policy-id", POLICY_ID, "--corpus", signals_file,
           "--unique-field", "payment_id", "--concurrency", "1", "--seconds", str(seconds), "--json"]
    if store:
        cmd[5:5] = ["--store", store]
    p = run(cmd)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[1:])} exited {p.returncode}: {(p.stdout + p.stderr).strip()[:800]}")
    j = json.loads(p.stdout)
    lat = j.get("latency_us", {})
    return {"n": j.get("decisions"), "failures": j.get("failures"), "p50_us": lat.get("p50"), "p99_us": lat.get("p99"),
            "p999_us": lat.get("p999"), "mean_us": lat.get("mean"), "decisions_per_second": j.get("decisions_per_second"),
            "store": j.get("store"), "seconds": j.get("seconds"), "command": " ".join(os.path.basename(c) if i == 0 else c for i, c in enumerate(cmd))}


def swift_yardstick(path):
    """The Swift Ed25519 signing yardstick, from Parmana's own benchmark package.
    Accepts {"p50_us", "p99_us"[, "mean_us", "message_bytes"]} or an ordo-one JMH
    export (its "baseline: Ed25519 sign" benchmark, whose score is used as p50)."""
    with open(path, encoding="utf-8") as f:
        j = json.load(f)
    if isinstance(j, dict) and "latency_us" in j:  # `parmana bench sign --json`
        return {"p50_us": j["latency_us"]["p50"], "p99_us": j["latency_us"]["p99"], "mean_us": j.get("mean_us"),
                "message_bytes": j.get("message_bytes"), "source": path}
    if isinstance(j, dict) and "p50_us" in j:
        return {"p50_us": j["p50_us"], "p99_us": j.get("p99_us"), "mean_us": j.get("mean_us"),
                "message_bytes": j.get("message_bytes"), "source": path}
    if isinstance(j, list):
        for b in j:
            name = b.get("benchmark", "").split(".", 3)[-1].replace("_", " ")
            if name.startswith("baseline: Ed25519 sign"):
                t = b["secondaryMetrics"]["Time (wall clock)"]["score"] / 1000
                return {"p50_us": t, "p99_us": None, "mean_us": None, "message_bytes": None,
                        "source": f"{path} ({name}, JMH score)"}
    raise ValueError(f"{path}: no Ed25519 sign figure found")


# ── main ────────────────────────────────────────────────────────────────────────

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parmana", required=True)
    ap.add_argument("--interop", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--swift-ed25519", default=os.environ.get("PEERS_SWIFT_ED25519"))
    ap.add_argument("--install-report", default=None)
    ap.add_argument("--out", default=HERE)
    args = ap.parse_args()
    cfg = QUICK if args.quick else FULL
    started = time.time()
    tmp = tempfile.mkdtemp(prefix="parmana-peers-")
    results = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "mode": "quick" if args.quick else "full",
        "config": cfg,
        "machine": {"nproc": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "loadavg_start": os.getloadavg()},
        "notes": [],
    }
    failures = []

    # Packages.
    pkgs = {}
    if args.install_report and os.path.exists(args.install_report):
        with open(args.install_report, encoding="utf-8") as f:
            pkgs = json.load(f)
    for dist in ("agent-governance-toolkit-core", "agent-governance-toolkit-protocols", "cedarpy", "regopy",
                 "celine-regorus", "cryptography", "agentrust-trace"):
        pkgs.setdefault(dist, {})
        pkgs[dist]["version"] = eng.version(dist)
    results["packages"] = pkgs

    # Parmana binary.
    build = "release" if "/release/" in os.path.realpath(args.parmana) else "debug" if "/debug/" in os.path.realpath(args.parmana) else "unknown"
    results["parmana"] = {"binary": args.parmana, "interop": args.interop, "build": build,
                          "version": parmana_version(args.parmana)}
    if build != "release":
        results["notes"].append(f"Parmana timings come from a {build} build: not representative of release speed.")

    # Corpus.
    rows = corpus_mod.build()
    corpus_path = os.path.join(HERE, "corpus.jsonl")
    text = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rows)
    with open(corpus_path, "w", encoding="utf-8") as f:
        f.write(text)
    kinds = {}
    for r in rows:
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
    results["corpus"] = {"path": "corpus.jsonl", "cases": len(rows), **kinds,
                         "sha256": hashlib.sha256(text.encode()).hexdigest()}
    log(f"corpus: {len(rows)} cases ({kinds})")

    # Parmana's decisions.
    expected = interop_decisions(args.interop, rows, tmp)
    errors = [(r["id"], e) for r, e in zip(rows, expected) if e[0] == "error"]
    if errors:
        failures.append(f"Parmana refused {len(errors)} corpus cases (e.g. {errors[:3]}): the corpus must be schema-valid")
    spread = {}
    for e in expected:
        spread[e[3]] = spread.get(e[3], 0) + 1
    results["corpus"]["deciding_rules"] = dict(sorted(spread.items(), key=lambda kv: -kv[1]))
    eq = results["equivalence"] = {}
    eq["parmana evaluate (CLI) vs evaluate-batch"] = cli_spot_check(args.parmana, rows, expected, tmp)
    try:
        eq["parmana decide (workspace) vs evaluate-batch"] = decide_check(args.parmana, rows, expected, tmp, cfg["decide_check"])
    except Exception as e:  # noqa: BLE001
        eq["parmana decide (workspace) vs evaluate-batch"] = {"error": str(e)}
        failures.append(f"parmana decide check: {e}")

    # Peers: equivalence.
    engines, load_errors = eng.load_engines()
    results["engine_load_errors"] = load_errors
    for k, e in load_errors.items():
        log(f"engine {k} unavailable: {e}")
    prepared = {}
    for engine in engines:
        native = [engine.prepare(r["signals"]) for r in rows]
        prepared[engine.key] = native
        bad = []
        for r, n, exp in zip(rows, native, expected):
            try:
                got = engine.decide(n)
            except Exception as ex:  # noqa: BLE001
                got = ("exception", f"{type(ex).__name__}: {ex}")
            if got != exp:
                bad.append({"id": r["id"], "name": r["name"], "signals": r["signals"],
                            "parmana": dict(zip(FIELDS, exp)), "peer": dict(zip(FIELDS, got)) if len(got) == 4 else got})
        eq[engine.engine] = {"dist": engine.dist, "cases": len(rows), "mismatch_count": len(bad), "mismatches": bad[:20]}
        log(f"equivalence {engine.engine}: {len(rows) - len(bad)}/{len(rows)} agree")
        if bad:
            failures.append(f"{engine.engine}: {len(bad)} mismatches")
    # rego-cpp's plain Interpreter.query path must agree too (a few hundred cases).
    regopy_engine = next((e for e in engines if e.key == "regopy"), None)
    if regopy_engine:
        sub = list(range(0, len(rows), max(1, len(rows) // 200)))
        bad = [rows[i]["id"] for i in sub if regopy_engine.decide_query(prepared["regopy"][i]) != expected[i]]
        eq["Rego (rego-cpp) Interpreter.query"] = {"cases": len(sub), "mismatch_count": len(bad), "mismatches": bad[:20]}
        if bad:
            failures.append(f"rego-cpp Interpreter.query: {len(bad)} mismatches")

    # Finding: regorus' set_input(dict) path (booleans become numbers).
    regorus_engine = next((e for e in engines if e.key == "regorus"), None)
    if regorus_engine:
        n_bad = sum(1 for r, exp in zip(rows, expected) if regorus_engine.decide_dict(r["signals"]) != exp)
        results["notes"].append(
            f"regorus (celine-regorus {eng.version('celine-regorus')}): Engine.set_input(dict) converts Python booleans "
            f"to numbers (False -> 0.0), so `input.kyc_verified == false` never holds; through set_input(dict) "
            f"{n_bad}/{len(rows)} decisions differ from Parmana. The benchmark uses set_input_json(json.dumps(signals)), "
            f"which is correct (equivalence above) and timed with the dumps included.")

    # AGT governed path: same action / override / rule on every case.
    agt_engine = next((e for e in engines if e.key == "agt"), None)
    agt_gov_receipt_kind = None
    if agt_engine:
        g = eng.AgtGoverned(tmp)
        agt_gov_receipt_kind = g.receipt_kind
        bad = []
        for r, n, exp in zip(rows, prepared["agt"], expected):
            got = g((r["signals"], n))
            if (got[0], got[1], got[3]) != (exp[0], exp[1], exp[3]):
                bad.append({"id": r["id"], "parmana": exp, "agt_governed": got})
        eq["AGT governed (govern + audit + receipt)"] = {"cases": len(rows), "mismatch_count": len(bad),
                                                          "compared": "action, requires_override, rule_id", "mismatches": bad[:20]}
        ok, why = g.audit.verify_integrity()
        eq["AGT governed (govern + audit + receipt)"]["audit_chain_verifies"] = ok
        if bad:
            failures.append(f"AGT governed: {len(bad)} mismatches")
        log(f"equivalence AGT governed: {len(rows) - len(bad)}/{len(rows)} agree; audit chain verifies: {ok}")

    # ── timing ──────────────────────────────────────────────────────────────────
    timings = results["timings"] = []

    def row(engine, path, kind, stats, note="", language="python", status="ok"):
        timings.append({"engine": engine, "path": path, "kind": kind, "language": language, "status": status,
                        "note": note, **(stats or {})})

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    key = Ed25519PrivateKey.generate()
    msg = bytes((i * 37 + 11) % 256 for i in range(ED25519_MESSAGE_BYTES))
    log("timing: Python Ed25519 sign")
    row("cryptography (OpenSSL)", f"Ed25519 sign, {ED25519_MESSAGE_BYTES} B", "yardstick",
        measure(lambda m: key.sign(m), [msg], cfg["warmup"], cfg["calls"]))

    signals_only = [r["signals"] for r in rows]
    for engine in engines:
        native = prepared[engine.key]
        log(f"timing: {engine.engine} eval")
        row(engine.engine, "eval", "eval", measure(engine.decide, native, cfg["warmup"], cfg["calls"]),
            note=eng_notes(engine.key))
        if engine.key == "regopy":
            row(engine.engine, "eval via Interpreter.query (recompiles the query each call)", "eval-extra",
                measure(engine.decide_query, native, cfg["slow_calls"] // 10, cfg["slow_calls"]))
        if engine.key == "agt":
            continue
        gov, _ = eng.synthesized_governed(engine)
        log(f"timing: {engine.engine} eval + synthesized receipt")
        row(engine.engine, "eval + receipt (synthesized: fingerprint + Ed25519 sign; no audit log)", "governed-synth",
            measure(gov, list(zip(signals_only, native)), cfg["warmup"], cfg["governed_calls"]),
            note="the engine has no audit log or signed receipt; the benchmark adds sha256(signals) and a cryptography Ed25519 signature")

    if agt_engine:
        native = list(zip(signals_only, prepared["agt"]))
        for sink, calls, label in ((None, cfg["governed_calls"], "govern() + audit (in-memory Merkle chain) + Ed25519 receipt"),
                                   ("file", cfg["governed_calls"], "govern() + audit with FileAuditSink (HMAC-SHA256, no fsync) + Ed25519 receipt"),
                                   ("file+fsync", cfg["durable_calls"], "govern() + audit with FileAuditSink + fsync (fsync added) + Ed25519 receipt")):
            log(f"timing: AGT governed ({sink or 'memory'})")
            g = eng.AgtGoverned(tmp, sink=sink)
            stats = measure(g, native, min(cfg["warmup"], calls // 2), calls)
            row("AGT", label, "governed" if sink != "file+fsync" else "governed-durable", stats,
                note=f"receipt: {g.receipt_kind}; a new ReceiptStore/session every {g.session_size} decisions "
                     f"(its add() scans every stored receipt); p50 of the first tenth of the calls "
                     f"{stats['p50_first_tenth_us']:.1f} µs, of the last tenth {stats['p50_last_tenth_us']:.1f} µs")

    # Parmana.
    log("timing: Parmana evaluate (parmana-interop batch)")
    try:
        row("Parmana", "eval (parmana-interop evaluate-batch, per-line mean)", "eval",
            interop_eval_timing(args.interop, rows, tmp, cfg["parmana_eval_lines"]), language="swift",
            note="mean per case from outside the process: (T(N lines) - T(1 line)) / (N-1); includes parsing each line and writing the canonical decision; no p50/p99")
    except Exception as e:  # noqa: BLE001
        row("Parmana", "eval (parmana-interop evaluate-batch)", "eval", None, language="swift", status="error", note=str(e))

    signals_file = os.path.join(tmp, "parmana-signals.jsonl")
    with open(signals_file, "w", encoding="utf-8") as f:
        for s in signals_only:
            f.write(json.dumps(s, ensure_ascii=False) + "\n")
    missing = bench_decide_support(args.parmana)
    for store, label, kind in (("memory:", "decide, in-memory store (bench decide --store memory:, 1 caller)", "parmana-memory"),
                               (None, "decide, durable SQLite (bench decide, workspace store, 1 caller)", "parmana-durable")):
        if missing:
            row("Parmana", label, kind, None, language="swift", status="pending",
                note=f"this parmana has no `bench decide` {' '.join(missing)} yet: pending (timing `parmana decide` per process is not comparable)")
            continue
        log(f"timing: Parmana {label}")
        try:
            row("Parmana", label, kind, parmana_bench(args.parmana, tmp, store, cfg["parmana_seconds"], signals_file), language="swift")
        except Exception as e:  # noqa: BLE001
            row("Parmana", label, kind, None, language="swift", status="error", note=str(e))

    # The durability floor, in the same run: one fsync'd single-row SQLite commit after another.
    log("timing: Parmana baseline: fsync'd SQLite commit (bench fsync)")
    try:
        ws = os.path.join(tmp, "fsync-ws")
        subprocess.run([args.parmana, "init", "--dir", ws], check=True, capture_output=True)
        j = json.loads(subprocess.run([args.parmana, "bench", "fsync", "--dir", ws, "--seconds", str(max(2, cfg["parmana_seconds"] // 2)), "--json"],
                                      check=True, capture_output=True, text=True).stdout)
        row("SQLite (GRDB)", "one fsync'd single-row commit (parmana bench fsync; WAL, synchronous=FULL)", "baseline-fsync",
            {"p50_us": j["latency_us"]["p50"], "p99_us": j["latency_us"]["p99"], "mean_us": j["latency_us"]["mean"]}, language="swift",
            note="the floor of any durable decision on this disk: a durable decide with one caller waits for at least one such commit")
    except Exception as e:  # noqa: BLE001
        results["notes"].append(f"fsync baseline not measured: {e}")
    if not args.swift_ed25519:
        # Measured here, in the same run: `parmana bench sign --json` (swift-crypto, 560-byte message).
        log("timing: Swift Ed25519 sign (parmana bench sign)")
        try:
            path = os.path.join(tmp, "swift-sign.json")
            with open(path, "w", encoding="utf-8") as f:
                f.write(subprocess.run([args.parmana, "bench", "sign", "--seconds", "3", "--json"], check=True,
                                       capture_output=True, text=True).stdout)
            args.swift_ed25519 = path
        except Exception as e:  # noqa: BLE001
            results["notes"].append(f"Swift Ed25519 yardstick not measured: {e}")
    if args.swift_ed25519:
        try:
            y = swift_yardstick(args.swift_ed25519)
            row("swift-crypto", f"Ed25519 sign{', ' + str(y['message_bytes']) + ' B' if y.get('message_bytes') else ''}", "yardstick",
                {"p50_us": y["p50_us"], "p99_us": y["p99_us"], "mean_us": y["mean_us"]}, language="swift",
                note=f"from {y['source']}")
        except Exception as e:  # noqa: BLE001
            results["notes"].append(f"Swift Ed25519 yardstick not read: {e}")
    else:
        results["notes"].append("No Swift Ed25519 yardstick given (--swift-ed25519 FILE / PEERS_SWIFT_ED25519): "
                                "Parmana rows have no 'multiple of Ed25519' figure.")

    compute_ratios(results)
    results["machine"]["loadavg_end"] = os.getloadavg()
    results["elapsed_seconds"] = round(time.time() - started, 1)
    results["failures"] = failures
    results["agt_receipt"] = agt_gov_receipt_kind

    out = os.path.join(args.out, "results.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2, ensure_ascii=False, default=str)
        f.write("\n")
    print_report(results)
    log(f"wrote {out} ({results['elapsed_seconds']} s)")
    shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("\nFAILED:\n" + "\n".join(f"  - {f}" for f in failures))
        return 1
    return 0


def eng_notes(key):
    return {
        "cedar": "cedarpy.is_authorized with pre-parsed PolicySet, Schema and Entities; context JSON built by cedarpy per call",
        "regorus": "Engine.set_input_json(json.dumps(signals)) + eval_rule('data.payments20.decision')",
        "regopy": "Interpreter.set_input(dict) + query_bundle(compiled bundle)",
        "agt": "agentmesh PolicyEngine.evaluate (priority_first_match; evaluates all 20 rules, then resolves)",
    }.get(key, "")


def compute_ratios(results):
    t = results["timings"]
    ys = {r["language"]: r for r in t if r["kind"] == "yardstick" and r.get("p50_us")}
    pm = next((r for r in t if r["kind"] == "parmana-memory" and r["status"] == "ok"), None)
    pd = next((r for r in t if r["kind"] == "parmana-durable" and r["status"] == "ok"), None)
    for r in t:
        y = ys.get(r["language"])
        p50 = r.get("p50_us") or (r.get("mean_us") if r["kind"] == "eval" and r["engine"] == "Parmana" else None)
        r["x_ed25519_sign"] = (p50 / y["p50_us"]) if (y and p50 and r["kind"] != "yardstick") else None
        if r["kind"].startswith("governed") and r.get("p50_us"):
            r["parmana_durable_p50_ratio"] = pd["p50_us"] / r["p50_us"] if pd and pd.get("p50_us") else None
            r["parmana_durable_p99_ratio"] = pd["p99_us"] / r["p99_us"] if pd and pd.get("p99_us") else None
            r["parmana_memory_p50_ratio"] = pm["p50_us"] / r["p50_us"] if pm and pm.get("p50_us") else None


def fmt(x, digits=1, suffix=""):
    if x is None:
        return "—"
    if isinstance(x, float) and abs(x) >= 1000:
        return f"{x:,.0f}{suffix}"
    return f"{x:.{digits}f}{suffix}"


def print_report(results):
    eq = results["equivalence"]
    print("\n## Equivalence (corpus: {} cases, {} random + {} edge)\n".format(
        results["corpus"]["cases"], results["corpus"].get("random", 0), results["corpus"].get("edge", 0)))
    print("| engine | cases | mismatches |")
    print("|---|---|---|")
    for name, v in eq.items():
        if "error" in v:
            print(f"| {name} | — | error: {v['error'][:80]} |")
        else:
            print(f"| {name} | {v['cases']} | {v.get('mismatch_count', len(v.get('mismatches', [])))} |")
    for name, v in eq.items():
        for m in v.get("mismatches", [])[:5]:
            print(f"MISMATCH {name}: {json.dumps(m, ensure_ascii=False)}")
    for dist, v in results.get("packages", {}).items():
        if v.get("status") == "failed":
            print(f"NOT INSTALLED {v.get('requested', dist)}:\n{v.get('error')}")
    for k, e in results.get("engine_load_errors", {}).items():
        print(f"UNAVAILABLE {k}: {e}")

    print("\n## Timing ({} mode; {} cores; load average {:.2f} → {:.2f})\n".format(
        results["mode"], results["machine"]["nproc"], results["machine"]["loadavg_start"][0], results["machine"]["loadavg_end"][0]))
    print("| engine | path | p50 µs | p99 µs | p50 × own-language Ed25519 sign | Parmana durable p50 / this p50 | Parmana durable p99 / this p99 | Parmana in-memory p50 / this p50 |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results["timings"]:
        if r["status"] != "ok":
            print(f"| {r['engine']} | {r['path']} | {r['status']} | {r['status']} | | | | |")
            continue
        p50 = fmt(r.get("p50_us")) if r.get("p50_us") is not None else f"mean {fmt(r.get('mean_us'), 2)}"
        x = fmt(r.get("x_ed25519_sign"), 2, "×") if r.get("x_ed25519_sign") is not None else ("1 (yardstick)" if r["kind"] == "yardstick" else "—")
        print(f"| {r['engine']} | {r['path']} | {p50} | {fmt(r.get('p99_us'))} | {x} | "
              f"{fmt(r.get('parmana_durable_p50_ratio'), 2, '×')} | {fmt(r.get('parmana_durable_p99_ratio'), 2, '×')} | "
              f"{fmt(r.get('parmana_memory_p50_ratio'), 2, '×')} |")
    for n in results["notes"]:
        print(f"\nNote: {n}")


if __name__ == "__main__":
    sys.exit(main())
