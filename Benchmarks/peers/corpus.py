#!/usr/bin/env python3
"""Deterministic input corpus for the peer benchmark: corpus.jsonl.

One JSON object per line: {"id", "kind", "signals"}. Every signals document is valid
against the signal schema of policies/payments20.json (so every engine gets a
decision to compare, never a schema error):

  kind "random": 1,000 seeded random signal sets (seed 20261129);
  kind "edge":   every threshold of every rule at, just below and just above it
                 (±0.01 and ±0.0001 for money, ±1 for integers), every member of every
                 list a rule tests and a non-member, each enum value, every optional
                 signal absent, empty and present, applied to eight base signal sets
                 chosen so that each rule can be the deciding one.

Money has at most 4 fraction digits (Cedar's decimal); everything else is exact in
every engine. Usage: corpus.py [OUT]   (default: corpus.jsonl beside this file)
"""
import json
import os
import random
import sys
from decimal import Decimal

SEED = 20261129
RANDOM_CASES = 1000

SUPPORTED = ["CHF", "EUR", "GBP", "JPY", "USD"]
CURRENCIES = SUPPORTED + ["XXX", "eur", "BTC", ""]          # non-members too
SANCTIONED_ORIGIN = ["CU", "IR", "KP", "SY"]
SANCTIONED_BENEFICIARY = ["CU", "IR", "KP", "RU", "SY"]
SEPA = ["AT", "BE", "DE", "ES", "FR", "IT", "NL"]
OTHER_COUNTRIES = ["US", "GB", "CH", "JP", "BR", "PL", "SE"]
COUNTRIES = SANCTIONED_ORIGIN + SEPA + OTHER_COUNTRIES + ["RU"]
CHANNELS = ["api", "branch", "web"]
TIERS = ["gold", "platinum", "standard"]
TAGS = ["sanctions_hit", "fraud_suspected", "crypto", "b2b", "payroll", "recurring", "vip"]

AMOUNT_THRESHOLDS = [0, 1000, 5000, 10000, 25000, 50000, 100000, 250000, 1000000]
DAILY_THRESHOLDS = [20000]
RISK_THRESHOLDS = [70, 95]
AGE_THRESHOLDS = [30]


def money(x):
    """A float with at most 4 fraction digits, from an exact decimal."""
    return float(Decimal(str(x)).quantize(Decimal("0.0001")))


def around(t, deltas, lo=0):
    out = []
    for d in deltas:
        for v in (Decimal(t) - Decimal(d), Decimal(t), Decimal(t) + Decimal(d)):
            if v >= lo:
                out.append(float(v) if isinstance(t, float) or d != 1 else int(v))
    return sorted(set(out))


def money_edges(thresholds):
    vals = set()
    for t in thresholds:
        for v in around(t, ["0.01", "0.0001"]):
            vals.add(money(v))
    return sorted(vals)


def int_edges(thresholds, lo, hi):
    vals = {lo, hi}
    for t in thresholds:
        vals.update(v for v in (t - 1, t, t + 1) if lo <= v <= hi)
    return sorted(vals)


# Base signal sets: each lets a different group of rules decide.
BASES = {
    "plain":     {"amount": 100, "currency": "USD", "country": "DE", "kyc_verified": True,
                  "account_age_days": 365, "channel": "web"},
    "eur-nonsepa": {"amount": 100, "currency": "EUR", "country": "US", "kyc_verified": True,
                    "account_age_days": 365, "channel": "api"},
    "platinum":  {"amount": 100, "currency": "GBP", "country": "FR", "kyc_verified": True,
                  "account_age_days": 900, "channel": "web", "customer_tier": "platinum"},
    "gold":      {"amount": 100, "currency": "EUR", "country": "NL", "kyc_verified": True,
                  "account_age_days": 900, "channel": "api", "customer_tier": "gold"},
    "new-account": {"amount": 100, "currency": "USD", "country": "GB", "kyc_verified": True,
                    "account_age_days": 5, "channel": "web"},
    "branch":    {"amount": 100, "currency": "EUR", "country": "IT", "kyc_verified": True,
                  "account_age_days": 365, "channel": "branch"},
    "fx":        {"amount": 100, "currency": "CHF", "country": "CH", "kyc_verified": True,
                  "account_age_days": 365, "channel": "api"},
    "all-optional": {"amount": 100, "currency": "USD", "country": "ES", "kyc_verified": True,
                     "account_age_days": 365, "channel": "web", "beneficiary_country": "PL",
                     "risk_score": 40, "first_payment": False, "daily_total": 500.5,
                     "customer_tier": "standard", "tags": ["b2b"]},
}

ABSENT = object()


def variations():
    """(label, signal, value) with value ABSENT to remove an optional signal."""
    out = []
    for v in money_edges(AMOUNT_THRESHOLDS):
        out.append(("amount", "amount", v))
    for v in money_edges(DAILY_THRESHOLDS) + [0.0, ABSENT]:
        out.append(("daily_total", "daily_total", v))
    for v in int_edges(RISK_THRESHOLDS, 0, 100) + [ABSENT]:
        out.append(("risk_score", "risk_score", v))
    for v in int_edges(AGE_THRESHOLDS, 0, 10000):
        out.append(("account_age_days", "account_age_days", v))
    for v in [True, False, ABSENT]:
        out.append(("first_payment", "first_payment", v))
    for v in [True, False]:
        out.append(("kyc_verified", "kyc_verified", v))
    for v in CURRENCIES:
        out.append(("currency", "currency", v))
    for v in COUNTRIES:
        out.append(("country", "country", v))
    for v in SANCTIONED_BENEFICIARY + ["DE", "US", ABSENT]:
        out.append(("beneficiary_country", "beneficiary_country", v))
    for v in CHANNELS:
        out.append(("channel", "channel", v))
    for v in TIERS + [ABSENT]:
        out.append(("customer_tier", "customer_tier", v))
    for v in [ABSENT, []] + [[t] for t in TAGS] + [["b2b", "crypto"], ["crypto", "sanctions_hit"], ["vip", "fraud_suspected"]]:
        out.append(("tags", "tags", v))
    return out


# Amounts that make each amount-threshold rule reachable from each base.
def edge_cases():
    cases = []
    for bname, base in BASES.items():
        for label, key, value in variations():
            s = dict(base)
            if value is ABSENT:
                s.pop(key, None)
            else:
                s[key] = value
            cases.append((f"{bname}/{label}={'absent' if value is ABSENT else json.dumps(value)}", s))
        # Cross the amount edges with the signals that gate the amount rules.
        for amount in money_edges(AMOUNT_THRESHOLDS):
            for extra in ({"tags": ["crypto"]}, {"first_payment": True}, {"risk_score": 70}):
                s = dict(base, amount=amount, **extra)
                cases.append((f"{bname}/amount={amount}+{json.dumps(extra)}", s))
    return cases


def random_amount(rng):
    r = rng.random()
    if r < 0.35:
        return rng.randint(0, 1_200_000) / 100                       # 0 .. 12,000.00
    if r < 0.65:
        return round(10 ** rng.uniform(0, 6.4), 2)                   # 1 .. ~2.5 M, log-uniform
    if r < 0.9:
        t = rng.choice(AMOUNT_THRESHOLDS)
        return max(0.0, round(t + rng.randint(-300, 300) / 100, 2))  # near a threshold
    return float(rng.choice(AMOUNT_THRESHOLDS))


def random_signals(rng, i):
    s = {
        "amount": random_amount(rng),
        "currency": rng.choice(SUPPORTED * 6 + CURRENCIES),
        "country": rng.choice(SEPA * 3 + OTHER_COUNTRIES * 2 + SANCTIONED_ORIGIN + ["RU"]),
        "kyc_verified": rng.random() < 0.92,
        "account_age_days": rng.choice([rng.randint(0, 60), rng.randint(0, 4000)]),
        "channel": rng.choice(CHANNELS),
    }
    if rng.random() < 0.5:
        s["beneficiary_country"] = rng.choice(SEPA + OTHER_COUNTRIES + SANCTIONED_BENEFICIARY)
    if rng.random() < 0.7:
        s["risk_score"] = rng.choice([rng.randint(0, 100), rng.choice([69, 70, 71, 94, 95, 96])])
    if rng.random() < 0.4:
        s["first_payment"] = rng.random() < 0.3
    if rng.random() < 0.5:
        s["daily_total"] = rng.choice([round(10 ** rng.uniform(0, 5), 2), round(20000 + rng.randint(-200, 200) / 100, 2)])
    if rng.random() < 0.5:
        s["customer_tier"] = rng.choice(TIERS)
    if rng.random() < 0.6:
        k = rng.choice([0, 1, 1, 2, 3])
        weights = [1, 1, 3, 4, 4, 4, 4]
        tags = []
        for _ in range(k):
            t = rng.choices(TAGS, weights)[0]
            if t not in tags:
                tags.append(t)
        s["tags"] = tags
    return s


def build():
    rng = random.Random(SEED)
    rows = []
    for i in range(RANDOM_CASES):
        s = random_signals(rng, i)
        rows.append({"id": f"r{i:04d}", "kind": "random", "name": "random", "signals": s})
    for j, (name, s) in enumerate(edge_cases()):
        rows.append({"id": f"e{j:04d}", "kind": "edge", "name": name, "signals": s})
    for row in rows:
        # payment_id first for readability; unique per case.
        row["signals"] = {"payment_id": f"pay-{row['id']}", **row["signals"]}
    return rows


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus.jsonl")
    rows = build()
    with open(out, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
    kinds = {}
    for r in rows:
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
    print(f"wrote {len(rows)} cases to {out} ({', '.join(f'{v} {k}' for k, v in kinds.items())})", file=sys.stderr)


if __name__ == "__main__":
    main()
