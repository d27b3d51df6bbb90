#!/usr/bin/env python3
"""Turns an ordo-one/benchmark JMH export into the ratio tables of BENCHMARKS.md.

Every figure is a ratio against a baseline measured in the same run, so the tables
mean the same on any machine. Usage: ratios.py Current_run.jmh.json
"""
import json
import sys

# Benchmarks declared with scalingFactor .one report µs per iteration; the rest are
# scaled by 1,000 and report µs per 1,000 iterations (= ns per operation).
PER_ITERATION = ("baseline: fsync", "decide: durable", "decide: in-memory, 64", "audit verify", "baseline: raw Ed25519 verify ×")
# Iterations that stand for several operations.
OPS_PER_ITERATION = {"decide: durable SQLite, 64 concurrent callers (per 64 decisions)": 64,
                     "decide: in-memory, 64 concurrent callers (per 64 decisions)": 64}

# (benchmark, baseline, target, kind): "time" = op time ≤ target × baseline time;
# "throughput" = ops/s ≥ target × baseline ops/s.
TARGETS = [
    ("canonicalize + fingerprint (300 B signals)", "baseline: Ed25519 sign (300 B)", 0.10, "time"),
    ("full attestation verification", "baseline: Ed25519 verify (300 B)", 1.15, "time"),
    ("evaluate 20-rule policy, 10 signals (with validation)", "baseline: Ed25519 sign (300 B)", 0.15, "time"),
    ("evaluate 1,000-rule policy", "baseline: Ed25519 sign (300 B)", 1.0, "time"),
    ("decide: in-memory, single caller", "baseline: Ed25519 sign (300 B)", 0.6, "throughput"),
    ("decide: durable SQLite, 64 concurrent callers (per 64 decisions)", "baseline: fsync'd single-row SQLite commit", 10.0, "throughput"),
]


def main():
    runs = json.load(open(sys.argv[1]))
    per_op_us, mallocs = {}, {}
    for b in runs:
        name = b["benchmark"].split(".", 3)[-1].replace("_", " ")
        sec = b.get("secondaryMetrics", {})
        t = sec["Time (wall clock)"]["score"]
        if not name.startswith(PER_ITERATION):
            t /= 1000
        per_op_us[name] = t / OPS_PER_ITERATION.get(name, 1)
        m = sec.get("Malloc (total)", {}).get("score")
        mallocs[name] = None if m is None or name.startswith(PER_ITERATION) else m / 1000

    def row(name, ratio="", target="", met=""):
        m = mallocs.get(name)
        t = per_op_us[name]
        ops = 1e6 / t
        print(f"| {name} | {t:,.2f} µs | {ops:,.0f}/s | {'' if m is None else f'{m:.0f}'} | {ratio} | {target} | {met} |")

    print("| benchmark | time per op | ops per second | mallocs per op | ratio | target | met |")
    print("|---|---|---|---|---|---|---|")
    for name in sorted(per_op_us):
        if name.startswith("baseline"):
            row(name, "1 (baseline)")
    for name, base, target, kind in TARGETS:
        if name not in per_op_us or base not in per_op_us:
            continue
        short = base.split(": ", 1)[1]
        if kind == "time":
            r = per_op_us[name] / per_op_us[base]
            row(name, f"{r:.3f}× {short} time", f"≤ {target}×", "yes" if r <= target else "**no**")
        else:
            r = per_op_us[base] / per_op_us[name]
            row(name, f"{r:.2f}× {short} throughput", f"≥ {target}×", "yes" if r >= target else "**no**")
    for name in sorted(per_op_us):
        if name.startswith(("part", "decide: in-memory, 64")):
            row(name)
    if "audit verify: 100,000 entries, all cores" in per_op_us:
        a = per_op_us["audit verify: 100,000 entries, all cores"]
        b = per_op_us["baseline: raw Ed25519 verify ×100,000, all cores"]
        r = b / a
        print(f"| audit verify: 100,000 entries, all cores | {a / 1000:,.0f} ms | {1e11 / a:,.0f} entries/s | | "
              f"{r:.2f}× raw Ed25519 verify throughput (all cores, {b / 1000:,.0f} ms) | ≥ 0.8× | {'yes' if r >= 0.8 else '**no**'} |")


if __name__ == "__main__":
    main()
