"""An independent evaluator of the Parmana policy language (SPEC §4), written from the
spec for differential testing. It assumes the policy is statically valid (the
generator only makes valid ones) and implements signal validation, Kleene logic,
first match and defaults.

Signal validation precedence (docs/policy-language.md): every violation is collected;
the error is `undeclared_signal` if any signal is undeclared, else `invalid_signals`.
"""
MAX_SAFE = 9007199254740991


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def fits(v, t):
    if t == "string":
        return isinstance(v, str)
    if t == "boolean":
        return isinstance(v, bool)
    if t == "number":
        return is_num(v)
    if t == "integer":
        return is_num(v) and float(v).is_integer() and abs(v) <= MAX_SAFE
    return False


def check_scalar(v, spec, t, problems):
    if not fits(v, t):
        problems.append("type")
        return
    if is_num(v):
        if "minimum" in spec and v < spec["minimum"]:
            problems.append("min")
        if "maximum" in spec and v > spec["maximum"]:
            problems.append("max")
    if "enum" in spec and not any(same(v, e) for e in spec["enum"]):
        problems.append("enum")


def same(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if is_num(a) and is_num(b):
        return float(a) == float(b)
    if isinstance(a, str) and isinstance(b, str):
        return a == b  # code points, never normalized
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return False


def validate(policy, signals):
    """Returns (bound signals, error code or None)."""
    specs = policy["signals"]
    allow = policy.get("additional_signals") == "allow"
    problems, undeclared, bound = [], False, {}
    if not isinstance(signals, dict):
        return None, "invalid_signals"
    for name, v in signals.items():
        if name not in specs:
            if not allow:
                undeclared = True
                problems.append("undeclared")
            continue
        spec = specs[name]
        before = len(problems)
        if spec["type"] == "array":
            if not isinstance(v, list):
                problems.append("type")
            else:
                if "min_length" in spec and len(v) < spec["min_length"]:
                    problems.append("minlen")
                if "max_length" in spec and len(v) > spec["max_length"]:
                    problems.append("maxlen")
                for item in v:
                    check_scalar(item, spec, spec["items"], problems)
        else:
            check_scalar(v, spec, spec["type"], problems)
            if isinstance(v, str):
                if "min_length" in spec and len(v) < spec["min_length"]:
                    problems.append("minlen")
                if "max_length" in spec and len(v) > spec["max_length"]:
                    problems.append("maxlen")
        if len(problems) == before:
            bound[name] = v
    for name, spec in specs.items():
        if spec.get("required") and name not in signals:
            problems.append("required")
    if problems:
        return None, "undeclared_signal" if undeclared else "invalid_signals"
    return bound, None


T, F, U = "true", "false", "unknown"


def tri(b):
    return T if b else F


def leaf(c, s):
    name = c["signal"]
    op = next(k for k in c if k != "signal")
    rhs = c[op]
    if op == "exists":
        return tri((name in s) == rhs)
    if name not in s:
        return U
    a = s[name]
    if isinstance(rhs, dict):
        if rhs["signal"] not in s:
            return U
        b = s[rhs["signal"]]
    else:
        b = rhs
    if op == "equals":
        return tri(same(a, b))
    if op == "not_equals":
        return tri(not same(a, b))
    if op in ("gt", "gte", "lt", "lte"):
        return tri({"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op])
    if op in ("in", "not_in"):
        hit = any(same(a, x) for x in b)
        return tri(hit if op == "in" else not hit)
    if op == "contains":
        return tri(any(same(x, b) for x in a))
    if op == "starts_with":
        return tri(a.startswith(b))
    if op == "ends_with":
        return tri(a.endswith(b))
    raise ValueError(op)


def cond(c, s):
    if "all" in c:
        vals = [cond(x, s) for x in c["all"]]
        return F if F in vals else (U if U in vals else T)
    if "any" in c:
        vals = [cond(x, s) for x in c["any"]]
        return T if T in vals else (U if U in vals else F)
    if "not" in c:
        return {T: F, F: T, U: U}[cond(c["not"], s)]
    return leaf(c, s)


def evaluate(policy, signals):
    bound, err = validate(policy, signals)
    if err:
        return {"error": err}
    for r in policy["rules"]:
        if cond(r["when"], bound) == T:
            t = r["then"]
            return {"action": t["action"], "requires_override": t.get("requires_override", False),
                    "reason": t["reason"], "rule_id": r["id"]}
    d = policy.get("default", {"action": "reject", "reason": "no_rule_matched"})
    return {"action": d["action"], "requires_override": d.get("requires_override", False),
            "reason": d["reason"], "rule_id": "default"}
