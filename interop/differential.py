#!/usr/bin/env python3
"""Differential test: random (policy, signals) pairs from a seed, evaluated by the Swift
evaluator (`parmana-interop evaluate-batch`) and by the independent Python one
(policy_eval.py). Any disagreement fails and prints the smallest failing case.

Usage: differential.py PARMANA_INTEROP_BIN [--seed N] [--pairs N]
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

import policy_eval

NAMES = ["a", "b", "c", "d", "e", "f", "\u00e9", "e\u0301", "\U0001F600", "g_h"]
STRINGS = ["", "x", "xy", "abc", "EUR", "USD", "\u00e9", "e\u0301", "\U0001F600", "a\u0000b", "zz"]
NUMBERS = [0, -0.0, 1, -1, 0.5, 2, 3, 10, 10.5, 100, -7.25, 1e-7, 1e21, 9007199254740991, 0.1, 0.30000000000000004]
TYPES = ["string", "number", "integer", "boolean", "array"]
ITEMS = ["string", "number", "integer", "boolean"]


def literal(rng, t):
    if t == "string":
        return rng.choice(STRINGS)
    if t == "boolean":
        return rng.random() < 0.5
    if t == "integer":
        return rng.choice([0, 1, -1, 2, 3, 10, 100, 9007199254740991])
    return rng.choice(NUMBERS)


def kind(spec):
    t = spec["type"]
    return ("array", "numeric" if spec["items"] in ("number", "integer") else spec["items"]) if t == "array" else \
        ("numeric" if t in ("number", "integer") else t)


def gen_schema(rng):
    specs = {}
    for name in rng.sample(NAMES, rng.randint(2, 7)):
        t = rng.choice(TYPES)
        s = {"type": t}
        if t == "array":
            s["items"] = rng.choice(ITEMS)
        scalar = s.get("items", t)
        if rng.random() < 0.25:
            s["required"] = True
        if scalar in ("number", "integer") and rng.random() < 0.2:
            s["minimum"] = rng.choice([-1, 0, 1])
        if scalar in ("number", "integer") and rng.random() < 0.2:
            s["maximum"] = rng.choice([10, 100, 1e21])
        if t in ("string", "array") and rng.random() < 0.15:
            s["max_length"] = rng.choice([1, 2, 3])
        if t in ("string", "array") and rng.random() < 0.1:
            s["min_length"] = rng.choice([0, 1])
        if scalar != "boolean" and rng.random() < 0.1:
            s["enum"] = list({json.dumps(v): v for v in (literal(rng, scalar) for _ in range(3))}.values())
        specs[name] = s
    return specs


def gen_leaf(rng, specs):
    name = rng.choice(list(specs))
    spec = specs[name]
    k = kind(spec)
    others = lambda want: [n for n, s in specs.items() if kind(s) == want]
    ops = ["exists"]
    if k == "numeric":
        ops += ["equals", "not_equals", "gt", "gte", "lt", "lte", "in", "not_in"]
    elif k in ("string", "boolean"):
        ops += ["equals", "not_equals", "in", "not_in"]
        if k == "string":
            ops += ["starts_with", "ends_with"]
    else:
        ops += ["contains"]
    op = rng.choice(ops)
    scalar_t = spec.get("items", spec["type"])
    if op == "exists":
        return {"signal": name, "exists": rng.random() < 0.5}
    if op in ("in", "not_in"):
        arr = [n for n, s in specs.items() if kind(s) == ("array", k)]
        if arr and rng.random() < 0.3:
            return {"signal": name, op: {"signal": rng.choice(arr)}}
        t = "number" if k == "numeric" else scalar_t
        return {"signal": name, op: [literal(rng, t) for _ in range(rng.randint(0, 3))]}
    if op == "contains":
        item_kind = k[1]
        refs = others(item_kind)
        if refs and rng.random() < 0.3:
            return {"signal": name, op: {"signal": rng.choice(refs)}}
        return {"signal": name, op: literal(rng, scalar_t if scalar_t != "integer" else "integer")}
    refs = others(k)
    if refs and rng.random() < 0.3:
        return {"signal": name, op: {"signal": rng.choice(refs)}}
    if spec["type"] == "integer" and op in ("equals", "not_equals"):
        return {"signal": name, op: literal(rng, "integer")}
    return {"signal": name, op: literal(rng, "number" if k == "numeric" else scalar_t)}


def gen_cond(rng, specs, depth=0):
    r = rng.random()
    if depth >= 3 or r < 0.5:
        return gen_leaf(rng, specs)
    if r < 0.7:
        return {"all": [gen_cond(rng, specs, depth + 1) for _ in range(rng.randint(0, 3))]}
    if r < 0.9:
        return {"any": [gen_cond(rng, specs, depth + 1) for _ in range(rng.randint(0, 3))]}
    return {"not": gen_cond(rng, specs, depth + 1)}


def gen_policy(rng, i):
    specs = gen_schema(rng)
    rules = []
    for j in range(rng.randint(0, 8)):
        then = {"action": rng.choice(["approve", "reject"]), "reason": f"r{j}"}
        if rng.random() < 0.3:
            then["requires_override"] = rng.random() < 0.5
        rules.append({"id": f"rule-{j}", "when": gen_cond(rng, specs), "then": then})
    p = {"type": "parmana.policy/v1", "policy_id": f"diff.p{i}", "version": "1.0.0", "signals": specs, "rules": rules}
    if rng.random() < 0.5:
        p["default"] = {"action": rng.choice(["approve", "reject"]), "reason": "fallback",
                        "requires_override": rng.random() < 0.3}
    if rng.random() < 0.2:
        p["additional_signals"] = "allow"
    return p


def gen_signals(rng, policy):
    s = {}
    for name, spec in policy["signals"].items():
        if rng.random() < 0.25:
            continue  # absent
        t = spec["type"]
        valid = rng.random() < 0.9  # mostly try to satisfy the schema
        if rng.random() < 0.03:
            s[name] = literal(rng, rng.choice(ITEMS))  # maybe the wrong type
            continue
        scalar = spec.get("items", t)

        def value():
            if valid and "enum" in spec:
                return rng.choice(spec["enum"])
            v = literal(rng, scalar)
            if valid and isinstance(v, (int, float)) and not isinstance(v, bool):
                lo, hi = spec.get("minimum", -1e300), spec.get("maximum", 1e300)
                if not lo <= v <= hi:
                    v = lo if lo > -1e300 else hi
            return v

        if t == "array":
            n = rng.randint(0, 3)
            if valid:
                n = max(spec.get("min_length", 0), min(n, spec.get("max_length", 3)))
            s[name] = [value() for _ in range(n)]
        else:
            v = value()
            if valid and isinstance(v, str):
                for _ in range(20):
                    if spec.get("min_length", 0) <= len(v) <= spec.get("max_length", 99):
                        break
                    v = value()
            s[name] = v
    if rng.random() < 0.03:
        s["undeclared_x"] = 1
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--pairs", type=int, default=100_000)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    per_policy = 50
    n_policies = (args.pairs + per_policy - 1) // per_policy
    policies = [gen_policy(rng, i) for i in range(n_policies)]
    cases = []
    for i in range(args.pairs):
        p = i // per_policy
        cases.append((p, gen_signals(rng, policies[p])))
    with tempfile.TemporaryDirectory() as d:
        pf, cf = os.path.join(d, "policies.json"), os.path.join(d, "cases.jsonl")
        with open(pf, "w", encoding="utf-8") as f:
            json.dump(policies, f, ensure_ascii=False)
        with open(cf, "w", encoding="utf-8") as f:
            for p, s in cases:
                f.write(json.dumps({"p": p, "signals": s}, ensure_ascii=False) + "\n")
        out = subprocess.run([args.binary, "evaluate-batch", pf, cf], capture_output=True, text=True)
        if out.returncode != 0:
            print(out.stderr)
            sys.exit(1)
    swift = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(swift) == len(cases), (len(swift), len(cases))
    failures = []
    outcomes = {}
    for (p, s), got in zip(cases, swift):
        want = policy_eval.evaluate(policies[p], s)
        key = want.get("error") or ("default" if want["rule_id"] == "default" else "rule")
        outcomes[key] = outcomes.get(key, 0) + 1
        if got != want:
            failures.append((len(json.dumps(policies[p])) + len(json.dumps(s)), p, s, want, got))
    print(f"differential: {len(cases)} pairs over {len(policies)} policies (seed {args.seed}); outcomes {outcomes}")
    if failures:
        failures.sort(key=lambda f: f[0])
        _, p, s, want, got = failures[0]
        print(f"{len(failures)} disagreement(s). Smallest failing case:")
        print(json.dumps({"policy": policies[p], "signals": s, "python": want, "swift": got}, ensure_ascii=False, indent=1))
        sys.exit(1)
    print("differential: Swift and Python agree on every pair")


if __name__ == "__main__":
    main()
