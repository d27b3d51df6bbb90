"""Writes Vectors/yaml/policy_twins.json: YAML policy fixtures, each with its JSON twin.

Every case states what a reader must produce from the YAML and from the JSON: the same
policy_hash (computed here, independently, with PyPI rfc8785), or an error code. The
YAML twin must never mean something the JSON twin does not (issue 9, SPEC §4).
Run: python3 interop/make_yaml_vectors.py   (deterministic; CI checks it is unchanged)
"""
import hashlib
import json
import os

import rfc8785

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "Vectors", "yaml", "policy_twins.json")

BASE_YAML = """\
type: parmana.policy/v1
policy_id: twins.check
version: "1.0.0"
signals:
  amount: {type: number, required: true, minimum: 0}
  currency: {type: string, enum: [EUR, USD]}
rules:
  - id: large
    when: {signal: amount, gt: 100}
    then: {action: approve, requires_override: true, reason: manual_review}
default: {action: approve, reason: within_limits}
"""


def base_json(**signal_amount):
    amount = {"type": "number", "required": True, "minimum": 0}
    amount.update(signal_amount)
    return {
        "type": "parmana.policy/v1", "policy_id": "twins.check", "version": "1.0.0",
        "signals": {"amount": amount, "currency": {"type": "string", "enum": ["EUR", "USD"]}},
        "rules": [{"id": "large", "when": {"signal": "amount", "gt": 100},
                   "then": {"action": "approve", "requires_override": True, "reason": "manual_review"}}],
        "default": {"action": "approve", "reason": "within_limits"},
    }


def policy_hash(doc):
    return hashlib.sha256(rfc8785.dumps(doc)).hexdigest()


def nested_not(n):
    """A policy whose only rule's condition is n nested `not`s around one leaf."""
    cond = {"signal": "amount", "gt": 1}
    for _ in range(n):
        cond = {"not": cond}
    doc = base_json()
    doc["rules"] = [{"id": "deep", "when": cond, "then": {"action": "reject", "reason": "deep"}}]
    return doc


def depth(v):
    if isinstance(v, dict):
        return 1 + max([depth(x) for x in v.values()] or [0])
    if isinstance(v, list):
        return 1 + max([depth(x) for x in v] or [0])
    return 0


def yaml_block(v, indent=0):
    """A YAML block rendering of a JSON value whose strings are all plain-safe."""
    pad = "  " * indent
    if isinstance(v, dict):
        lines = []
        for k, x in v.items():
            if isinstance(x, (dict, list)) and x:
                lines.append(f"{pad}{k}:\n{yaml_block(x, indent + 1)}")
            else:
                lines.append(f"{pad}{k}: {yaml_scalar(x)}")
        return "\n".join(lines)
    if isinstance(v, list):
        lines = []
        for x in v:
            if isinstance(x, (dict, list)) and x:
                inner = yaml_block(x, indent + 1)
                lines.append(f"{pad}- {inner.lstrip()}")
            else:
                lines.append(f"{pad}- {yaml_scalar(x)}")
        return "\n".join(lines)
    return pad + yaml_scalar(v)


def yaml_scalar(x):
    if x is True:
        return "true"
    if x is False:
        return "false"
    if x is None:
        return "null"
    if isinstance(x, (int, float)):
        return json.dumps(x)
    if isinstance(x, dict):
        return "{}"
    if isinstance(x, list):
        return "[]"
    return json.dumps(x)  # double-quoted: always a string


def case(name, yaml_text, json_doc, yaml_expect, json_expect=None, note=None):
    c = {"name": name, "yaml": yaml_text,
         "json": None if json_doc is None else json.dumps(json_doc, ensure_ascii=False, indent=1) + "\n",
         "yaml_expect": yaml_expect, "json_expect": json_expect if json_expect is not None else yaml_expect}
    if json_doc is None:
        del c["json_expect"]
    if note:
        c["note"] = note
    return c


def ok(doc):
    return {"policy_hash": policy_hash(doc)}


def err(code):
    return {"error": code}


def main():
    cases = []
    cases.append(case("base", BASE_YAML, base_json(), ok(base_json())))
    # Explicit tags are read as the tag says; JSON validation then judges the value.
    cases.append(case("tag-str-on-boolean", BASE_YAML.replace("required: true", "required: !!str true"),
                      base_json(required="true"), err("invalid_policy")))
    cases.append(case("tag-null-on-number", BASE_YAML.replace("minimum: 0}", "minimum: 0, maximum: !!null 1000}"),
                      base_json(maximum=None), err("invalid_policy")))
    gt_doc = base_json()
    gt_doc["rules"][0]["when"]["gt"] = "100"
    cases.append(case("tag-str-on-operand", BASE_YAML.replace("gt: 100", "gt: !!str 100"), gt_doc, err("invalid_policy")))
    cases.append(case("tag-int", BASE_YAML.replace("minimum: 0}", "minimum: !!int 0}"), base_json(), ok(base_json())))
    cases.append(case("tag-float", BASE_YAML.replace("gt: 100", "gt: !!float 100"), base_json(), ok(base_json())))
    cases.append(case("tag-str-on-string", BASE_YAML.replace("version: \"1.0.0\"", "version: !!str 1.0.0"), base_json(), ok(base_json())))
    cases.append(case("tag-unknown", BASE_YAML.replace("minimum: 0}", "minimum: !custom 0}"), None, err("invalid_yaml"),
                      note="YAML-only syntax (a local tag): refused before a data model exists; JSON cannot spell it"))
    cases.append(case("tag-bool-on-number", BASE_YAML.replace("minimum: 0}", "minimum: !!bool 1000}"), None, err("invalid_yaml"),
                      note="!!bool on 1000 has no value in the YAML core schema; JSON cannot spell a tag"))
    cases.append(case("tag-timestamp", BASE_YAML.replace("version: \"1.0.0\"", "version: !!timestamp 2001-12-14"), None, err("invalid_yaml"),
                      note="outside the JSON data model"))
    cases.append(case("tag-seq-on-mapping", BASE_YAML.replace("signals:\n", "signals: !!seq\n"), None, err("invalid_yaml"),
                      note="a tag that contradicts the node kind"))
    # Duplicate keys: invalid YAML (YAML 1.2 §3.2.1.1); the JSON twin is duplicate_key (SPEC §1.2).
    dup_yaml = BASE_YAML + "rules:\n  - id: other\n    when: {signal: amount, gt: 5}\n    then: {action: reject, reason: other}\n"
    dup_json = json.dumps(base_json())[:-1] + ', "rules": []}'
    c = case("duplicate-top-level-key", dup_yaml, None, err("invalid_yaml"), note="YAML 1.2 §3.2.1.1: keys are unique, or it is not YAML; the JSON twin is refused by the strict JSON parser")
    c["json"] = dup_json + "\n"
    c["json_expect"] = err("duplicate_key")
    cases.append(c)
    # Keys differing only in Unicode normalization are distinct keys (code points), in YAML as in JSON.
    nfc, nfd = "\u00e9t\u00e9", "e\u0301te\u0301"
    norm_doc = base_json()
    norm_doc["signals"] = {"amount": norm_doc["signals"]["amount"], nfc: {"type": "string"}, nfd: {"type": "boolean"}}
    norm_yaml = BASE_YAML.replace("  currency: {type: string, enum: [EUR, USD]}\n", f"  {nfc}: {{type: string}}\n  {nfd}: {{type: boolean}}\n")
    cases.append(case("keys-by-code-points", norm_yaml, norm_doc, ok(norm_doc)))
    # Depth: a policy may nest 63 levels (its envelope adds one; SPEC §1.2 allows 64).
    for n, expect in ((58, None), (59, None), (60, "too_deep"), (61, "too_deep")):
        doc = nested_not(n)
        d = depth(doc)
        name = f"nesting-depth-{d}"
        cases.append(case(name, yaml_block(doc) + "\n", doc, ok(doc) if expect is None else err(expect),
                          note=f"{n} nested not: the document nests {d} levels"))
    # YAML 1.1 traps refused rather than guessed; their quoted forms are strings.
    cases.append(case("yaml11-boolean", BASE_YAML.replace("required: true", "required: yes"), None, err("invalid_yaml"),
                      note="yes is a boolean in YAML 1.1 and a string in 1.2: refused as ambiguous"))
    cases.append(case("yaml11-octal", BASE_YAML.replace("minimum: 0}", "minimum: 012}"), None, err("invalid_yaml"),
                      note="012 is 10 in YAML 1.1 and 12 in 1.2: refused"))
    quoted = base_json()
    quoted["signals"]["currency"]["enum"] = ["yes", "0x1F"]
    cases.append(case("quoted-traps-are-strings", BASE_YAML.replace("enum: [EUR, USD]", "enum: ['yes', \"0x1F\"]"), quoted, ok(quoted)))
    cases.append(case("anchor-and-alias", BASE_YAML.replace("enum: [EUR, USD]", "enum: &c [EUR, USD]") + "description: *c\n", None,
                      err("invalid_yaml"), note="a shared node: what is hashed must be what is read"))
    cases.append(case("two-documents", BASE_YAML + "---\n" + BASE_YAML, None, err("invalid_yaml")))
    cases.append(case("integer-out-of-range", BASE_YAML.replace("gt: 100", "gt: 9007199254740993"),
                      None, err("number_out_of_range"), note="JSON twin: the same literal"))
    cases[-1]["json"] = json.dumps(base_json()).replace('"gt": 100', '"gt": 9007199254740993') + "\n"
    cases[-1]["json_expect"] = err("number_out_of_range")
    out = {"description": "YAML policy fixtures and their JSON twins: the same policy_hash, or the stated error codes (issue 9).",
           "generator": "interop/make_yaml_vectors.py", "cases": cases}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
