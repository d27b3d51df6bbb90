#!/usr/bin/env python3
"""Turns an ordo-one/benchmark JMH export into the ratio table of BENCHMARKS.md.

Every figure is a ratio against a baseline measured in the same run, so the table
means the same on any machine. Usage: ratios.py Current_run.jmh.json
"""
import json
import sys

# (benchmark name, baseline name, target ratio, how to read it)
TARGETS = [
    ("canonicalize + fingerprint (300 B signals)", "baseline: Ed25519 sign (300 B)", 0.10, "time ≤"),
    ("full attestation verification", "baseline: Ed25519 verify (300 B)", 1.15, "time ≤"),
    ("evaluate 20-rule policy, 10 signals (with validation)", "baseline: Ed25519 sign (300 B)", 0.15, "time ≤"),
    ("evaluate 1,000-rule policy", "baseline: Ed25519 sign (300 B)", 1.0, "time ≤"),
]


def main():
    runs = json.load(open(sys.argv[1]))
    t = {}
    m = {}
    for b in runs:
        name = b["benchmark"].split(".", 3)[-1]
        sec = b.get("secondaryMetrics", {})
        t[name] = sec["Time (wall clock)"]["score"]
        m[name] = sec.get("Malloc (total)", {}).get("score")
    key = lambda s: s.replace(" ", "_")
    print("| benchmark | time per op | mallocs per op | ratio | target | met |")
    print("|---|---|---|---|---|---|")
    for name in sorted(t):
        if name.startswith("baseline"):
            print(f"| {name.replace('_', ' ')} | {t[name] / 1000:.2f} µs | {m[name] / 1000:.0f} | 1 (baseline) | | |")
    for name, base, target, how in TARGETS:
        if key(name) not in t:
            continue
        ratio = t[key(name)] / t[key(base)]
        ok = ratio <= target
        print(f"| {name} | {t[key(name)] / 1000:.2f} µs | {m[key(name)] / 1000:.0f} | {ratio:.3f}× {base.split(': ')[1].split(' (')[0]} | {how} {target}× | {'yes' if ok else '**no**'} |")
    for name in sorted(t):
        if name.startswith("part") or name.startswith("memory"):
            print(f"| {name.replace('_', ' ')} | {t[name] / 1000:.2f} µs | {m[name] / 1000:.0f} | | | |")


if __name__ == "__main__":
    main()
