#!/usr/bin/env python3
"""Differential test of Parmana's YAML reading (the authoring format for policies)
against an independent reference reader.

Swift side: `BIN_DIR/parmana-interop yaml FILE` prints the JCS (RFC 8785) of the JSON
data model read from FILE and "\\n" (exit 0), or {"error":"CODE"} (exit 1).

Reference: YAML 1.2. The syntax is read by ruamel.yaml's parser (events); the events
are composed and resolved here with the YAML 1.2.2 core schema (§10.3.2), written from
the spec. ruamel's own constructor is not the reference: in its "1.2" mode it still
reads 1_000, 012 as numbers, 2026-01-01 as a date and `<<` as a merge, and `! 12` as
an int (all YAML 1.1 behaviour). PyYAML (YAML 1.1) classifies 1.1-versus-1.2
differences, and its libyaml binding tells which valid YAML libyaml (the parser inside
Yams, which the Swift reader uses) cannot read. Where ruamel's scanner has a known
defect (tabs as separation white space, blank lines before a more-indented block
scalar, a document marker after a root block scalar) the events are taken from
PyYAML's or libyaml's parser instead, and the report counts those documents.
The rulings relied on are in RULINGS below (`--rulings` prints them).

The reference's data model is converted to JSON: a value JSON does not have (a
timestamp, bytes, inf/nan, a non-string key, an unknown tag, an integer beyond
±(2^53-1), nesting deeper than 64, a lone surrogate) means Swift must refuse.

Rule: whenever Swift accepts, its JCS must equal the reference's. Whenever Swift
refuses what the reference accepts, the document must fall into a documented refusal
class (CLASSES). Anything else is a failure; exit 1 on any failure.

Inputs: every examples/policies/*.json converted to block YAML with comments (and any
*.yaml/*.yml under examples/, Benchmarks/, docs/), a fixed list of hand-written edge
cases, and N documents generated from a seed (same seed, same documents).

Usage: yaml_differential.py BIN_DIR [--docs N] [--seed S] [--jobs J] [--keep DIR] [--show N]
       yaml_differential.py --reference-only [--docs N]   (no Swift: reference statistics)
       yaml_differential.py --rulings
"""
import argparse
import concurrent.futures
import glob
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import warnings
from collections import Counter, defaultdict

import rfc8785
import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml import events as ev
from yaml import events as pyev

warnings.simplefilter("ignore")  # ruamel's YAML 1.1 float warnings (its constructor is only consulted)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, ".."))
MAX_DEPTH = 64
MAX_SAFE = 2 ** 53 - 1
CORE = "tag:yaml.org,2002:"

RULINGS = [
    "Reference = YAML 1.2.2 core schema (§10.3.2) over ruamel.yaml's parser; not ruamel's constructor.",
    "Plain null: '', ~, null, Null, NULL. Plain bool: true, True, TRUE, false, False, FALSE (1.2 core).",
    "yes/no/on/off/y/n (any case) are strings in 1.2 and booleans in 1.1 (the 1.1 spec includes y/n; PyYAML omits them).",
    "Plain int: [-+]?[0-9]+ (so 012 is 12 in 1.2, octal 10 in 1.1), 0o[0-7]+, 0x[0-9a-fA-F]+ (no sign, no underscore).",
    "Plain float: [-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?, [-+]?.inf|.Inf|.INF, .nan|.NaN|.NAN. "
    "So 1e3 is the float 1000 in 1.2 (a string in PyYAML's 1.1, which needs a dot and a signed exponent).",
    "1_000, 1:30 (sexagesimal), 0b101, 2026-01-01 (timestamp), = (value) are strings in 1.2; numbers/timestamps/value in 1.1.",
    "<< is an ordinary string key in 1.2 (merge keys are 1.1 only).",
    "A quoted or block scalar without a tag is a string; the non-specific tag ! makes any scalar a string "
    "(YAML spec §6.9.1; ruamel and PyYAML wrongly read `! 12` as an int).",
    "Explicit core tags are read as the tag says, when the content is a core-schema form of that tag: "
    "!!str anything; !!int/!!float/!!bool content must match the core regexes (!!float 1 is 1.0; "
    "!!int 1_000, !!bool yes are errors); !!null is null whatever the content (as ruamel and PyYAML construct it).",
    "!!map/!!seq on the matching collection are no-ops; any other tag (!!binary, !!timestamp, !!set, !!omap, "
    "!!pairs, !custom, %TAG handles) is not JSON: refuse.",
    "A %YAML 1.1 directive does not switch the reference to 1.1 rules (a 1.2 processor reads the document as 1.2).",
    "Keys compare by code points after resolution (NFC and NFD spellings stay distinct; a and 'a' are duplicates).",
    "Depth: a top-level collection is depth 1; deeper than 64 is too_deep (as the JSON parser). Aliases count where used.",
    "An empty stream (no document) is refused; an explicit empty document (---) is null; several documents are refused.",
    "An integer literal beyond ±(2^53-1) is number_out_of_range; a float literal that overflows a double is "
    "number_out_of_range; one that underflows is 0.",
    "\\u escapes are code points: a surrogate pair written as two \\u escapes (\"\\ud83d\\ude00\") is two lone "
    "surrogates, not JSON: refuse (JSON would read one code point; libyaml refuses the escape).",
    "Tabs are separation white space (YAML 1.2 s-white): 'a:<TAB>b' and 'a: b<TAB>' are {a: b}.",
    "A line starting with --- or ... (then white space or end of line) at column 0 is a document marker, "
    "even after a root block scalar header.",
    "A BOM at the start of the stream is allowed (YAML), unlike in JSON input (SPEC §1.2).",
]

# Refusal classes: Swift may refuse a document the reference accepts only for these.
CLASSES = {
    "anchor_or_alias": "anchors (&a) and aliases (*a) are refused (docs/policy-language.md)",
    "merge_key": "plain << keys are refused (a merge in YAML 1.1, a string in 1.2)",
    "ambiguous_bool_null": "plain y/n/yes/no/on/off in any case, and case variants of true/false/null "
                           "(True, NULL …) are refused: write true/false/null or quote",
    "non_json_number": "plain scalars that YAML 1.2 or 1.1 reads as numbers but that are not JSON numbers "
                       "(0x1F, 0o17, 012, +1, .5, 1., 1_000, 1:30, 0b1) are refused",
    "explicit_tag": "a node with an explicit tag other than !!str may be refused",
    "yaml_version_directive": "a %YAML directive other than 1.2 is refused: a 1.1 document could mean "
                              "something else under 1.2 rules (docs/policy-language.md)",
    "libyaml_syntax": "valid YAML whose syntax libyaml (the parser inside Yams, a YAML 1.1 parser) refuses, "
                      "e.g. a tab after the indentation of a block scalar line: rewrite it",
}


# ----------------------------------------------------------------------------------
# Reference reader
# ----------------------------------------------------------------------------------
class Refuse(Exception):
    def __init__(self, code, why):
        super().__init__(code)
        self.code, self.why = code, why


class Features:
    def __init__(self):
        self.anchors = 0
        self.aliases = 0
        self.merge_keys = 0
        self.tags = Counter()          # explicit tags (expanded), '!' for non-specific
        self.plain = []                # (text, is_key) of untagged plain scalars
        self.documents = 0
        self.yaml_directive = None
        self.tag_directives = False
        self.parser_fallback = None


RE_INT10 = re.compile(r"[-+]?[0-9]+")
RE_INT8 = re.compile(r"0o[0-7]+")
RE_INT16 = re.compile(r"0x[0-9a-fA-F]+")
RE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
RE_INF = re.compile(r"[-+]?\.(inf|Inf|INF)")
RE_NAN = re.compile(r"\.(nan|NaN|NAN)")
RE_JSON_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
RE_MARKER = re.compile(r"(---|\.\.\.)([ \t\r]|$)")
NULLS = {"", "~", "null", "Null", "NULL"}
BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}


def core_int(s):
    if RE_INT10.fullmatch(s):
        return int(s, 10)
    if RE_INT8.fullmatch(s):
        return int(s[2:], 8)
    if RE_INT16.fullmatch(s):
        return int(s[2:], 16)
    return None


def core_float(s):
    if RE_FLOAT.fullmatch(s):
        return float(s)
    if RE_INF.fullmatch(s):
        return -math.inf if s.startswith("-") else math.inf
    if RE_NAN.fullmatch(s):
        return math.nan
    return None


def resolve_plain(s):
    """YAML 1.2.2 core schema: (kind, value) of an untagged plain scalar."""
    if s in NULLS:
        return "null", None
    if s in BOOLS:
        return "bool", BOOLS[s]
    i = core_int(s)
    if i is not None:
        return "int", i
    f = core_float(s)
    if f is not None:
        return "float", f
    return "str", s


def json_number(v, text):
    if isinstance(v, int):
        if abs(v) > MAX_SAFE:
            raise Refuse("number_out_of_range", f"integer {text!r} is outside ±(2^53-1)")
        return v
    if math.isnan(v) or math.isinf(v):
        if RE_INF.fullmatch(text) or RE_NAN.fullmatch(text):
            raise Refuse("not_json", f"{text!r} is not a JSON number")
        raise Refuse("number_out_of_range", f"{text!r} overflows a double")
    if v.is_integer() and MAX_SAFE < abs(v) < 1e21:
        # RFC 8785 would write it as an integer literal outside ±(2^53-1) (docs/formats.md)
        raise Refuse("number_out_of_range", f"{text!r} is an integer outside ±(2^53-1)")
    return v


def check_string(s):
    if any(0xD800 <= ord(c) <= 0xDFFF for c in s):
        raise Refuse("invalid_string", "lone surrogate")
    return s


class Node:
    __slots__ = ("kind", "tag", "style", "value", "anchor", "line")

    def __init__(self, kind, tag, style, value, anchor, line):
        self.kind, self.tag, self.style, self.value, self.anchor, self.line = kind, tag, style, value, anchor, line


def _parser():
    y = YAML(typ="safe", pure=True)
    y.version = (1, 2)
    return y


def compose(text, feats):
    """ruamel.yaml events → a list of document node trees (aliases stay as nodes)."""
    y = YAML(typ="safe", pure=True)
    docs, stack, anchors = [], [], {}
    open_anchors = set()

    def add(node):
        if not stack:
            docs.append(node)
        else:
            stack[-1].value.append(node)

    try:
        try:
            events = list(y.parse(text))
        except Exception as exc:  # noqa: BLE001
            # ruamel refuses a block scalar whose leading empty lines hold fewer spaces than
            # a later more-indented line ("more indented follow up line than first"); YAML
            # 1.2 §8.1.1.1 only forbids leading empty lines with *more* spaces than the
            # first non-empty line.
            # ruamel (like PyYAML's pure scanner) also refuses a tab used as separation
            # white space ("a: b<TAB>", "a:<TAB>b"), which YAML 1.2 allows (s-white).
            # Only for these two known scanner defects do the events come from another
            # parser: PyYAML's pure parser for the first, libyaml's for the second.
            msg = str(exc)
            if "more indented follow up line than first" in msg:
                feats.parser_fallback = "pyyaml"
                events = list(pyyaml.parse(text, Loader=pyyaml.SafeLoader))
            elif "'\\t' that cannot start any token" in msg:
                feats.parser_fallback = "libyaml"
                events = list(pyyaml.parse(text, Loader=pyyaml.CSafeLoader))
            else:
                raise
        # ruamel takes a line "---" or "..." at column 0 for content of a root-level block
        # scalar; YAML 1.2 (c-forbidden) makes it a document marker, as libyaml does.
        markers = sum(1 for line in text.split("\n") if RE_MARKER.match(line))
        explicit = sum(1 for e in events if isinstance(e, (ev.DocumentStartEvent, ev.DocumentEndEvent,
                                                          pyev.DocumentStartEvent, pyev.DocumentEndEvent))
                       and getattr(e, "explicit", False))
        if markers > explicit and not feats.parser_fallback:
            feats.parser_fallback = "libyaml"
            events = list(pyyaml.parse(text, Loader=pyyaml.CSafeLoader))
        for e in events:
            if isinstance(e, (ev.DocumentStartEvent, pyev.DocumentStartEvent)):
                feats.documents += 1
                anchors = {}
                if getattr(e, "version", None):
                    feats.yaml_directive = e.version
                if getattr(e, "tags", None):
                    feats.tag_directives = True
            elif isinstance(e, (ev.AliasEvent, pyev.AliasEvent)):
                feats.aliases += 1
                if e.anchor not in anchors:
                    raise Refuse("invalid_yaml", f"unknown alias *{e.anchor}")
                if e.anchor in open_anchors:
                    raise Refuse("not_json", f"recursive alias *{e.anchor}")
                add(Node("alias", None, None, anchors[e.anchor], None, e.start_mark.line))
            elif isinstance(e, (ev.ScalarEvent, pyev.ScalarEvent)):
                if e.anchor:
                    feats.anchors += 1
                n = Node("scalar", e.tag, e.style or None, e.value, e.anchor, e.start_mark.line)  # libyaml: plain is ""
                if e.anchor:
                    anchors[e.anchor] = n
                add(n)
            elif isinstance(e, (ev.SequenceStartEvent, ev.MappingStartEvent, pyev.SequenceStartEvent, pyev.MappingStartEvent)):
                if e.anchor:
                    feats.anchors += 1
                n = Node("seq" if isinstance(e, (ev.SequenceStartEvent, pyev.SequenceStartEvent)) else "map", e.tag, None, [], e.anchor,
                         e.start_mark.line)
                if e.anchor:
                    anchors[e.anchor] = n
                    open_anchors.add(e.anchor)
                add(n)
                stack.append(n)
            elif isinstance(e, (ev.SequenceEndEvent, ev.MappingEndEvent, pyev.SequenceEndEvent, pyev.MappingEndEvent)):
                n = stack.pop()
                if n.anchor:
                    open_anchors.discard(n.anchor)
    except Refuse:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser error is a refusal
        msg = str(exc).strip().splitlines()
        raise Refuse("invalid_yaml", f"{type(exc).__name__}: {msg[0] if msg else ''}")
    return docs


def note_features(node, feats, is_key=False, seen=None):
    """Features of the document as written (aliases not followed)."""
    if node.kind == "alias":
        return
    if node.tag is not None:
        feats.tags[node.tag] += 1
    if node.kind == "scalar":
        if node.tag is None and node.style is None:
            feats.plain.append((node.value, is_key))
    elif node.kind == "seq":
        for c in node.value:
            note_features(c, feats)
    else:
        it = node.value
        for i in range(0, len(it), 2):
            k = it[i]
            if k.kind == "scalar" and k.tag is None and k.style is None and k.value == "<<":
                feats.merge_keys += 1
            note_features(k, feats, is_key=True)
            if i + 1 < len(it):
                note_features(it[i + 1], feats)


class Builder:
    LIMIT = 200_000

    def __init__(self):
        self.count = 0

    def scalar(self, n):
        tag, s = n.tag, n.value
        if tag is None:
            if n.style is None:
                kind, v = resolve_plain(s)
                if kind in ("int", "float"):
                    return json_number(v, s)
                return check_string(v) if kind == "str" else v
            return check_string(s)
        if tag == "!":
            return check_string(s)
        if tag == CORE + "str":
            return check_string(s)
        if tag == CORE + "null":
            return None
        if tag == CORE + "bool":
            if s in BOOLS:
                return BOOLS[s]
            raise Refuse("tag_content", f"!!bool {s!r} is not a core-schema boolean")
        if tag == CORE + "int":
            v = core_int(s)
            if v is None:
                raise Refuse("tag_content", f"!!int {s!r} is not a core-schema integer")
            return json_number(v, s)
        if tag == CORE + "float":
            v = core_float(s)
            if v is None:
                raise Refuse("tag_content", f"!!float {s!r} is not a core-schema float")
            return json_number(float(v), s)
        if tag in (CORE + "map", CORE + "seq"):
            raise Refuse("tag_content", f"{tag} on a scalar")
        raise Refuse("not_json", f"tag {tag} is not in the JSON data model")

    def build(self, n, depth):
        self.count += 1
        if self.count > self.LIMIT:
            raise Refuse("not_json", "alias expansion too large")
        if n.kind == "alias":
            return self.build(n.value, depth)
        if n.kind == "scalar":
            return self.scalar(n)
        if depth + 1 > MAX_DEPTH:
            raise Refuse("too_deep", f"nesting deeper than {MAX_DEPTH}")
        want = CORE + n.kind
        if n.tag not in (None, "!", want):
            if n.tag in (CORE + "map", CORE + "seq", CORE + "str", CORE + "int", CORE + "float", CORE + "bool", CORE + "null"):
                raise Refuse("tag_content", f"{n.tag} on a {n.kind}")
            raise Refuse("not_json", f"tag {n.tag} is not in the JSON data model")
        if n.kind == "seq":
            return [self.build(c, depth + 1) for c in n.value]
        out = {}
        it = n.value
        for i in range(0, len(it), 2):
            k = self.build(it[i], depth + 1)
            if not isinstance(k, str):
                raise Refuse("not_json", f"non-string key {k!r}")
            if k in out:
                raise Refuse("duplicate_key", f"duplicate key {k!r}")
            out[k] = self.build(it[i + 1], depth + 1)
        return out


def reference(text):
    """(value, None, feats) when the reference accepts; (None, Refuse, feats) otherwise."""
    feats = Features()
    try:
        docs = compose(text, feats)
        for d in docs:
            note_features(d, feats)
        if not docs:
            raise Refuse("empty_stream", "no document")
        if len(docs) > 1:
            raise Refuse("multiple_documents", f"{len(docs)} documents")
        value = Builder().build(docs[0], 0)
        return value, None, feats
    except Refuse as r:
        return None, r, feats
    except RecursionError:
        return None, Refuse("too_deep", "recursion"), feats


def jcs(value):
    return rfc8785.dumps(value)


# ----------------------------------------------------------------------------------
# YAML 1.1 (PyYAML) and ruamel's own constructor, for classification and notes
# ----------------------------------------------------------------------------------
_PY_RESOLVER = pyyaml.resolver.Resolver()
YAML11_BOOL_SPEC = re.compile(r"y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF")


def resolve_11(s):
    """YAML 1.1 resolution of a plain scalar: PyYAML's resolver, plus y/n from the 1.1 spec."""
    if YAML11_BOOL_SPEC.fullmatch(s):
        return "bool"
    tag = _PY_RESOLVER.resolve(pyyaml.ScalarNode, s, (True, False))
    return tag.rsplit(":", 1)[-1]


def libyaml_parse_ok(text):
    """Whether libyaml's parser (PyYAML's C binding; the parser inside Yams, which the
    Swift reader uses) reads the text's syntax at all."""
    try:
        for _ in pyyaml.parse(text, Loader=pyyaml.CSafeLoader):
            pass
        return True
    except Exception:  # noqa: BLE001
        return False


def py11_model(text):
    try:
        docs = list(pyyaml.safe_load_all(text))
        if len(docs) != 1:
            return None
        return jcs(docs[0])
    except Exception:  # noqa: BLE001
        return None


def ruamel_model(text):
    try:
        y = YAML(typ="safe", pure=True)
        docs = list(y.load_all(text))
        if len(docs) != 1:
            return None
        return jcs(docs[0])
    except Exception:  # noqa: BLE001
        return None


def scalar_notes(feats):
    """Plain scalars that YAML 1.1 reads differently from 1.2 (kind → examples)."""
    notes = defaultdict(set)
    for s, is_key in feats.plain:
        k12, v12 = resolve_plain(s)
        k11 = resolve_11(s)
        k11n = {"bool": "bool", "int": "int", "float": "float", "null": "null", "str": "str"}.get(k11, k11)
        if k12 != k11n:
            notes[f"1.2 {k12} / 1.1 {k11n}"].add(s)
        elif k12 == "int" and re.fullmatch(r"[-+]?0[0-9]+", s):
            notes["1.2 decimal / 1.1 octal"].add(s)
    return notes


def classes_for(text, feats):
    """Every documented refusal class that applies to the document."""
    out = []
    if feats.anchors or feats.aliases:
        out.append("anchor_or_alias")
    if feats.merge_keys:
        out.append("merge_key")
    for s, _ in feats.plain:
        low = s.lower()
        if low in {"y", "n", "yes", "no", "on", "off", "true", "false", "null"} and s not in {"true", "false", "null"}:
            out.append("ambiguous_bool_null")
            break
    for s, _ in feats.plain:
        k12, _ = resolve_plain(s)
        k11 = resolve_11(s)
        if (k12 in ("int", "float") and not RE_JSON_NUMBER.fullmatch(s)) or (k12 == "str" and k11 in ("int", "float")):
            out.append("non_json_number")
            break
    if any(t != CORE + "str" for t in feats.tags):
        out.append("explicit_tag")
    if re.search(r"(?m)^%YAML[ \t]+(?!1\.2[ \t]*(#.*)?$)", text):
        out.append("yaml_version_directive")
    if not libyaml_parse_ok(text):
        out.append("libyaml_syntax")
    return out


# ----------------------------------------------------------------------------------
# Inputs: examples converted to YAML
# ----------------------------------------------------------------------------------
PLAIN_OK = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-/]*( [A-Za-z0-9_.\-/]+)*")


def yaml_key(k):
    if PLAIN_OK.fullmatch(k) and resolve_plain(k)[0] == "str" and resolve_11(k) == "str" and k != "<<":
        return k
    return json.dumps(k, ensure_ascii=False)


def yaml_scalar(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return rfc8785.dumps(v).decode()
    if PLAIN_OK.fullmatch(v) and resolve_plain(v)[0] == "str" and resolve_11(v) == "str" and v != "<<":
        return v
    return json.dumps(v, ensure_ascii=False)


def to_block_yaml(value, indent=0, comments=True):
    """JSON → block YAML (flow only for empty collections and short scalar lists)."""
    pad = " " * indent
    lines = []
    if isinstance(value, dict):
        if not value:
            return [pad + "{}"]
        for i, (k, v) in enumerate(value.items()):
            if comments and isinstance(v, (dict, list)) and v:
                lines.append(f"{pad}# {k}")
            head = f"{pad}{yaml_key(k)}:"
            if isinstance(v, (dict, list)) and v:
                if isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v) and len(v) <= 4:
                    lines.append(head + " [" + ", ".join(yaml_scalar(x) for x in v) + "]")
                else:
                    lines.append(head)
                    lines.extend(to_block_yaml(v, indent + 2, comments))
            elif isinstance(v, (dict, list)):
                lines.append(head + (" {}" if isinstance(v, dict) else " []"))
            else:
                lines.append(head + " " + yaml_scalar(v) + ("  # " + k if comments and i % 3 == 0 else ""))
    elif isinstance(value, list):
        if not value:
            return [pad + "[]"]
        for v in value:
            if isinstance(v, (dict, list)) and v:
                sub = to_block_yaml(v, indent + 2, comments)
                first = sub[0][indent + 2:]
                lines.append(f"{pad}- {first}")
                lines.extend(sub[1:])
            else:
                lines.append(f"{pad}- " + (yaml_scalar(v) if not isinstance(v, (dict, list)) else ("{}" if isinstance(v, dict) else "[]")))
    else:
        lines.append(pad + yaml_scalar(value))
    return lines


def example_inputs():
    out = []
    for path in sorted(glob.glob(os.path.join(ROOT, "examples", "policies", "*.json"))):
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        name = os.path.relpath(path, ROOT)
        text = f"# {name}, converted to YAML by interop/yaml_differential.py\n" + "\n".join(to_block_yaml(doc)) + "\n"
        value, refusal, _ = reference(text)
        if refusal is not None or jcs(value) != jcs(doc):
            sys.exit(f"internal: the YAML conversion of {name} does not read back as the JSON ({refusal and refusal.why})")
        out.append((f"example:{name}", text))
    yaml_files = [p for d in ("examples", "Benchmarks", "docs") for ext in ("yaml", "yml")
                  for p in glob.glob(os.path.join(ROOT, d, "**", "*." + ext), recursive=True)]
    for path in sorted(yaml_files):
        with open(path, encoding="utf-8") as f:
            out.append((f"example:{os.path.relpath(path, ROOT)}", f.read()))
    return out


# ----------------------------------------------------------------------------------
# Inputs: hand-written edge cases
# ----------------------------------------------------------------------------------
def nested(depth, style, leaf="1"):
    if style == "flow-seq":
        return "[" * depth + leaf + "]" * depth + "\n"
    if style == "flow-map":
        return "{a: " * depth + leaf + "}" * depth + "\n"
    if style == "block-map":
        lines = [("  " * i) + "k%d:" % i for i in range(depth)]
        lines[-1] += " " + leaf
        return "\n".join(lines) + "\n"
    if style == "block-seq":
        return "- " * depth + leaf + "\n"
    raise ValueError(style)


def fixed_inputs():
    cases = []
    add = lambda name, text: cases.append((f"fixed:{name}", text))  # noqa: E731
    # Depth around the limit, in each style.
    for style in ("flow-seq", "flow-map", "block-map", "block-seq"):
        for d in (63, 64, 65, 100):
            add(f"depth {d} {style}", nested(d, style))
    add("depth 64 with an empty map at the bottom", nested(63, "block-map", "{}"))
    add("depth 65 via an empty map at the bottom", nested(64, "block-map", "{}"))
    add("depth 64 via an alias", "a: &x " + "[" * 10 + "1" + "]" * 10 + "\nb: " + "[" * 54 + "*x" + "]" * 54 + "\n")
    add("depth 65 via an alias", "a: &x " + "[" * 11 + "1" + "]" * 11 + "\nb: " + "[" * 54 + "*x" + "]" * 54 + "\n")
    # Documents and streams.
    for name, text in [("empty stream", ""), ("only a comment", "# nothing\n"), ("explicit empty document", "---\n"),
                       ("empty document with end marker", "--- # c\n...\n"), ("two empty documents", "---\n---\n"),
                       ("two documents", "a: 1\n---\nb: 2\n"), ("document then end marker", "a: 1\n...\n"),
                       ("three documents with end markers", "--- 1\n...\n--- 2\n...\n--- 3\n"),
                       ("one document and a trailing comment document", "a: 1\n--- # c\n"),
                       ("%YAML 1.2", "%YAML 1.2\n---\na: 1e3\n"), ("%YAML 1.1", "%YAML 1.1\n---\na: 1e3\nb: 2026-01-01\n"),
                       ("%YAML 1.1 with 1.5e3", "%YAML 1.1\n---\na: 1.5e3\n"), ("%YAML 2.0", "%YAML 2.0\n---\na: 1\n"),
                       ("%TAG handle", "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n"),
                       ("BOM", "\ufeffa: 1\n"), ("CRLF line breaks", "a: 1\r\nb:\r\n  - x\r\n  - y\r\n"),
                       ("no final newline", "a: b"), ("tab after a value", "a: b\t\n"),
                       ("tab indentation", "a:\n\tb: 1\n"), ("tab after colon", "a:\tb\n"),
                       ("tab after a sequence item", "- a\t\n"), ("tab after a flow map", "{a: 1}\t\n"),
                       ("tab before a comment", "a: b \t# c\n"), ("tab after a quoted value", "a: \"x\"\t\n"),
                       ("blank line with spaces before a more-indented block scalar", "- - >\n  \n    x\n"),
                       ("document marker after a root block scalar", "--- >\n---\n...\n"),
                       ("document end marker after a root block scalar", "--- |\n...\n"),
                       ("scalar document", "hello\n"),
                       ("number document", "12\n"), ("quoted document", "'x'\n"), ("null document", "null\n"),
                       ("json document", '{"a": [1, 2.5, "x", true, null], "b": {}}\n'),
                       ("json without spaces", '{"a":1,"b":[true,false,null]}\n'),
                       ("json with unicode escapes", '{"\\u00e9": "\\ud83d\\ude00"}\n')]:
        add(name, text)
    # Scalars JSON and YAML read differently, or not at all.
    plain = ["yes", "no", "on", "off", "y", "n", "Y", "N", "Yes", "NO", "On", "OFF", "yEs", "True", "FALSE",
             "Null", "NULL", "nULL", "tRUE", "~", "null", "true", "false", "", "0x1F", "0o17", "0b101", "012",
             "01", "00", "0", "-0", "+0", "-0.0", "1_000", "1__0", "1_", "1:30", "190:20:30", "1:60", "-1:30",
             ".inf", "-.inf", "+.inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN", ".Nan", "1e3", "1E3", "1e+3",
             "1.5e3", "1.5e+3", "-1e-7", "+1", "+1.5", "1.", "-1.", ".5", "-.5", "+.5", "1.0", "0.1",
             "1e400", "-1e400", "1e-400", "5e-324", "1.7976931348623157e308", "1.8e308", "9007199254740991",
             "-9007199254740991", "9007199254740992", "-9007199254740992", "123456789012345678901234567890",
             "9007199254740993.0", "1e21", "0x0", "0xFFFFFFFFFFFFFFFF", "-0x1F", "+0o7", "0o", "0x",
             "2026-01-01", "2026-01-01T12:00:00Z", "2001-12-14t21:59:43.10-05:00", "2026-1-1", "=", "<<",
             "1.0.0", "v1", "1e", "e1", "1e3x", "0.", "-", "--", "-x", ".", "..", "._5", "1,000", "$1",
             "0x1f", "0X1F", "0O17", "0B1", "١٢", "１２", "1 2", "1\u00a02"]
    for s in plain:
        add(f"plain value {s!r}", f"a: {s}\n")
        add(f"plain key {s!r}", f"{s}: a\n" if s not in ("", "-", "--") else f"? {s}\n: a\n")
        add(f"flow value {s!r}", f"[{s}]\n")
    # Tags.
    tagged = ["!!str true", "!!str 12", "!!str null", "!!str", "!!str ''", "!!int 12", "!!int 0x1F", "!!int 012",
              "!!int 1_000", "!!int x", "!!int '7'", "!!int 9007199254740992", "!!float 1", "!!float 1.5",
              "!!float .inf", "!!float x", "!!float '2.5'", "!!bool true", "!!bool True", "!!bool yes", "!!bool x",
              "!!null", "!!null ''", "!!null ~", "!!null null", "!!null x", "!!map {b: 1}", "!!seq [1]",
              "!!map [1]", "!!seq {b: 1}", "!!str {b: 1}", "!!str [1]", "!!set {b: null}", "!!omap [b: 1]",
              "!!pairs [b: 1]", "!!binary aGk=", "!!timestamp 2026-01-01", "!custom x", "!custom {b: 1}",
              "! 12", "! true", "! null", "! [1]", "! {b: 1}", "!<tag:yaml.org,2002:str> 12",
              "!<tag:yaml.org,2002:int> 12", "!<tag:example.com:x> 1", "!!python/object:os.system x",
              "!!value =", "!!merge <<", "!!yaml x", "!!str |\n  block\n", "!!int \"12\"", "!!int 1e3",
              "!!int 100.0", "!!int 1.5E+3", "!!int 1e308", "!!int 1e-400", "!!int -0", "!!int +12", "!!int 0o17",
              "!!float 0x1F", "!!float 1_0", "!!float -.INF", "!!float '.nan'", "!!bool 'false'", "!!str 0x1F",
              "!!str yes", "!!str 1:30", "!!str ~", "!!str 1e400", "!!str [a]"]
    for t in tagged:
        add(f"tagged value {t!r}", f"a: {t}\n")
    for t in ["!!str 1", "!!str true", "!!str null", "!!str ~", "!!int 1", "!!null x", "! 1", "!custom k"]:
        add(f"tagged key {t!r}", f"{t}: a\n")
    # Keys.
    keys = [("NFC vs NFD", "\u00e9: 1\ne\u0301: 2\n"), ("same key twice", "a: 1\na: 2\n"),
            ("plain and quoted", "a: 1\n'a': 2\n"), ("plain and double-quoted", "a: 1\n\"a\": 2\n"),
            ("escape and raw", "\"\\u00e9\": 1\n\u00e9: 2\n"), ("!!str and plain", "!!str 1: a\n\"1\": b\n"),
            ("int and string key", "1: a\n\"1\": b\n"), ("null key", "~: a\n"), ("empty flow key", "{: a}\n"),
            ("explicit empty key", "? \n: a\n"), ("complex key", "? [a, b]\n: c\n"), ("map key", "? {a: 1}\n: c\n"),
            ("bool key", "true: a\n"), ("float key", "1.5: a\n"), ("duplicate in flow", "{a: 1, a: 2}\n"),
            ("duplicate nested", "x:\n  a: 1\n  b: 2\n  a: 3\n"), ("fi ligature vs fi", "\ufb01: 1\nfi: 2\n"),
            ("emoji keys", "\U0001F600: 1\n\U0001F601: 2\n"), ("case differs", "A: 1\na: 2\n"),
            ("key with trailing space quoted", "'a ': 1\na: 2\n"), ("merge key", "<<: {a: 1}\nb: 2\n"),
            ("merge key quoted", "'<<': {a: 1}\nb: 2\n"), ("merge with alias", "base: &b {a: 1}\nx:\n  <<: *b\n  c: 2\n"),
            ("merge list", "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: [*a, *b]\n"),
            ("anchor only", "a: &x 1\n"), ("alias", "a: &x 1\nb: *x\n"), ("recursive alias", "a: &x [*x]\n"),
            ("undefined alias", "a: *nope\n"), ("alias as key", "a: &k key\n*k : 2\n"),
            ("billion laughs", "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                               "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                               "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n")]
    for name, text in keys:
        add(name, text)
    # Block scalars and text that looks like anchors.
    blocks = [("literal", "a: |\n  x\n  y\n"), ("literal strip", "a: |-\n  x\n\n"), ("literal keep", "a: |+\n  x\n\n\n"),
              ("folded", "a: >\n  x\n  y\n\n  z\n"), ("folded strip", "a: >-\n  x\n  y\n"),
              ("folded keep", "a: >+\n  x\n\n"), ("folded more-indented", "a: >\n  x\n    y\n  z\n"),
              ("indentation indicator", "a: |2\n    x\n  y\n"), ("indicator and chomping", "a: >1-\n  x\n"),
              ("chomping before indicator", "a: |-2\n   x\n"), ("literal with comment header", "a: | # c\n  x\n"),
              ("literal with a # line", "a: |\n  # not a comment\n  x\n"), ("empty literal", "a: |\nb: 1\n"),
              ("empty literal keep", "a: |+\n\nb: 1\n"), ("literal with tabs", "a: |\n  \tx\n"),
              ("literal star line", "a: |\n  - *not an alias\n"), ("literal amp line", "a: |\n  x: &not an anchor\n"),
              ("plain with ampersand", "a: b & c\n"), ("plain with star", "a: 2 * 3\n"),
              ("quoted star", "a: '*x'\n"), ("star in flow string", "a: [\"*x\", '&y']\n"),
              ("multi-line plain", "a: this is\n  continued\n  here\n"),
              ("multi-line plain with star", "a: first\n  - *second\n"),
              ("multi-line double-quoted", "a: \"first\n  second\\\n  third\"\n"),
              ("multi-line single-quoted", "a: 'it''s\n\n  x'\n"),
              ("document-level literal", "--- |\n  text\n"), ("folded root", ">\n x\n y\n")]
    for name, text in blocks:
        add(name, text)
    # Strings and escapes.
    strings = [("escapes", "a: \"\\0\\a\\b\\t\\n\\v\\f\\r\\e\\ \\\"\\/\\\\\\N\\_\\L\\P\\x41\\u00e9\\U0001F600\"\n"),
               ("surrogate pair escape", "a: \"\\ud83d\\ude00\"\n"), ("lone surrogate escape", "a: \"\\ud800\"\n"),
               ("NUL escape", "a: \"x\\0y\"\n"), ("raw NEL", "a: x\u0085y\n"), ("raw LS", "a: x\u2028y\n"),
               ("raw PS in quotes", "a: \"x\u2029y\"\n"), ("raw DEL", "a: x\u007fy\n"), ("raw C1", "a: x\u0080y\n"),
               ("raw control", "a: x\u0001y\n"), ("raw FFFE", "a: x\ufffey\n"), ("raw tab in quotes", "a: \"x\ty\"\n"),
               ("unicode plain", "a: Zo\u00eb \u65e5\u672c \U0001F600\n"), ("RTL", "a: \u05e9\u05dc\u05d5\u05dd\n"),
               ("combining", "a: e\u0301\n"), ("zero width", "a: a\u200bb\n"), ("trailing spaces", "a: x   \n"),
               ("leading space quoted", "a: '  x'\n"), ("hash in plain", "a: x#y\n"), ("comment after plain", "a: x # y\n"),
               ("colon in plain", "a: x:y\n"), ("url", "a: http://example.com:80/x?y=1#z\n"),
               ("invalid escape", "a: \"\\q\"\n"), ("unterminated", "a: \"x\n")]
    for name, text in strings:
        add(name, text)
    return cases


# ----------------------------------------------------------------------------------
# Inputs: generated documents
# ----------------------------------------------------------------------------------
CLEAN_KEYS = ["a", "b", "c", "name", "policy_id", "rules", "when", "then", "x_y", "key-1", "k.2", "\u00e9", "e\u0301",
              "\u65e5\u672c", "\U0001F600", "\u03b1\u03b2", "\u05e9", "\ufb01", "fi", "\uff21", "A", "zz", "with space",
              "a:b", "-x", "?x", "1.0.0", "v1"]
POISON_KEYS = ["y", "n", "on", "no", "yes", "Yes", "1", "01", "1.5", "true", "True", "null", "~", "<<", "0x1F", "1_000",
               "1e3", "2026-01-01", ".inf", "-0"]
PLAIN_STR = ["abc", "hello world", "payments.release", "1.0.0", "EUR", "x-y_z", "a:b", "\u00fcber", "\u65e5\u672c\u8a9e",
             "e\u0301", "\U0001F600", "a#b", "C:/path", "v2", "within_limits", "kyc_not_verified", "x.y.z", "-x", "1e",
             "1.2.3.4", "\u00e9t\u00e9", "2026-11-23T12:00:00.123Z", "claims triage", "a & b", "2 * 3"]
PLAIN_SPECIAL = ["yes", "no", "on", "off", "y", "n", "Yes", "NO", "True", "FALSE", "Null", "~", "0x1F", "0o17", "012",
                 "1_000", "1:30", ".inf", "-.inf", ".nan", "1.5e3", "+1", "1.", ".5", "1e400", "9007199254740992",
                 "2026-01-01", "=", "<<", "0b101", "123456789012345678901234567890", "tRUE", "-.5", "+.inf"]
NUMBERS = ["0", "1", "-1", "42", "3.5", "-0.25", "1e21", "1e-7", "1.5E+3", "9007199254740991", "-9007199254740991",
           "0.1", "100.0", "2.5e-3", "1e308", "12345.678", "-0", "-0.0", "1e3", "1E3", "1e+3", "-1e-7", "0.000001",
           "5e-324", "9007199254740993.0", "1e-400"]
CHARS = (list("abcxyz ABC019_-.:#,[]{}&*!|>'\"%@`?\\/\t") +
         ["\u00e9", "e\u0301", "\U0001F600", "\u65e5", "\u00a0", "\u2028", "\u0085", "\u0000", "\u0007", "\u001b",
          "\n", "\r", "\u200b", "\ufeff", "\u0301"])
TAGS_SCALAR = ["!!int", "!!float", "!!bool", "!!null", "!", "!custom", "!!binary", "!!timestamp",
               "!<tag:yaml.org,2002:str>", "!!str"]
TAGS_COLL = ["!!map", "!!seq", "!custom", "!!set", "!!omap", "!"]


class Gen:
    """Random YAML text. Each document has a poison rate: the chance that a node uses a
    feature JSON or Parmana's YAML reading refuses (1.1 forms, tags, anchors, duplicate or
    non-string keys, merge keys). Many documents have none, so that the accepting path
    is exercised as much as the refusing one."""

    def __init__(self, rng):
        self.rng = rng
        self.anchors = []
        self.n_anchor = 0
        self.poison = 0.0

    def chance(self, p):
        return self.rng.random() < p

    def bad(self):
        return self.chance(self.poison)

    def rand_string(self):
        return "".join(self.rng.choice(CHARS) for _ in range(self.rng.randint(0, 8)))

    def double_quoted(self, s):
        out = []
        for c in s:
            o = ord(c)
            if c == '"':
                out.append('\\"')
            elif c == "\\":
                out.append("\\\\")
            elif c == "\n":
                out.append("\\n")
            elif c == "\t":
                out.append(self.rng.choice(["\\t", "\t"]))
            elif o < 0x20 or o == 0x7F or 0x80 <= o < 0xA0 or o in (0x2028, 0x2029, 0xFEFF):
                out.append(self.rng.choice(["\\x%02x" % o if o < 0x100 else "\\u%04x" % o, "\\u%04x" % o,
                                            "\\U%08x" % o]))
            elif o > 0x7F and self.chance(0.3):
                out.append("\\u%04x" % o if o <= 0xFFFF else self.rng.choice(["\\U%08x" % o, "\\u%04x\\u%04x" % (
                    0xD800 + ((o - 0x10000) >> 10), 0xDC00 + ((o - 0x10000) & 0x3FF))]))
            else:
                out.append(c)
        return '"' + "".join(out) + '"'

    def single_quoted(self, s):
        if any(ord(c) < 0x20 and c not in "\t" or ord(c) in (0x7F, 0x85, 0x2028, 0xFEFF) for c in s):
            return self.double_quoted(s)
        return "'" + s.replace("'", "''") + "'"

    def key(self, flow, used=()):
        if self.bad():
            k = self.rng.choice(POISON_KEYS)
        else:
            k = self.rng.choice([k for k in CLEAN_KEYS if k not in used] or CLEAN_KEYS)
        if flow and any(c in k for c in ",[]{}#"):
            return self.double_quoted(k)
        r = self.rng.random()
        if r < 0.6:
            return k
        if r < 0.8:
            return self.double_quoted(k)
        if r < 0.95:
            return self.single_quoted(k)
        return "!!str " + k

    def scalar(self, flow):
        if self.bad():
            if self.chance(0.6):
                return self.rng.choice(PLAIN_SPECIAL)
            t = self.rng.choice(TAGS_SCALAR)
            v = self.rng.choice(PLAIN_SPECIAL + NUMBERS + PLAIN_STR[:5] + ["''", '"12"', "true", "null", "x"])
            return f"{t} {v}"
        r = self.rng.random()
        if r < 0.3:
            s = self.rng.choice(PLAIN_STR)
            if flow and any(c in s for c in ",[]{}#"):
                return self.double_quoted(s)
            return s
        if r < 0.5:
            return self.rng.choice(NUMBERS)
        if r < 0.6:
            return self.rng.choice(["true", "false", "null", "~", ""]) if not flow else self.rng.choice(["true", "false", "null"])
        if r < 0.78:
            return self.double_quoted(self.rand_string())
        if r < 0.93:
            return self.single_quoted(self.rand_string().replace("\n", " "))
        return "!!str " + self.rng.choice(PLAIN_STR[:5] + NUMBERS[:5] + ["true", "null", "yes", "0x1F", "''", '"q"'])

    def block_scalar(self):
        """(header, content lines relative to the block's indentation)."""
        lines = []
        for i in range(self.rng.randint(0, 4)):
            r = self.rng.random()
            if r < 0.15:
                lines.append("")
            elif r < 0.3 and i > 0:
                lines.append("  " + self.rng.choice(PLAIN_STR + ["- *x", "&a b", "# hash", "key: value"]))
            else:
                lines.append(self.rng.choice(PLAIN_STR + ["- *x", "&a b", "# not a comment", "key: value", "'q'", "\"q\"",
                                                          "tab\there", "trailing  "]))
        for _ in range(self.rng.choice([0, 0, 0, 1, 2])):
            lines.append("")
        header = self.rng.choice("|>")
        ind = any(l.startswith(" ") for l in lines[:1]) or (lines and not lines[0] and any(l.startswith(" ") for l in lines))
        chomp = self.rng.choice(["", "", "-", "+"])
        if ind or self.chance(0.1):
            header += ("2" + chomp) if self.chance(0.5) else (chomp + "2")
        else:
            header += chomp
        if self.chance(0.15):
            header += " # block"
        return header, lines

    def anchor_prefix(self):
        if self.bad() and self.chance(0.3):
            self.n_anchor += 1
            name = f"a{self.n_anchor}"
            self.anchors.append(name)
            return f"&{name} "
        return ""

    def alias(self):
        if self.anchors and self.bad():
            return "*" + self.rng.choice(self.anchors)
        return None

    def flow(self, depth):
        if depth <= 0 or self.chance(0.4):
            a = self.alias()
            return a or (self.anchor_prefix() + self.scalar(True))
        pre = self.anchor_prefix() + (self.rng.choice(TAGS_COLL) + " " if self.bad() and self.chance(0.3) else "")
        n = self.rng.randint(0, 3)
        sep = self.rng.choice([", ", ",", " , "])
        if self.chance(0.5):
            return pre + "[" + sep.join(self.flow(depth - 1) for _ in range(n)) + "]"
        items, used, plain_used = [], [], set()
        for _ in range(n):
            k = self.rng.choice(used) if used and self.bad() else self.key(True, plain_used)
            used.append(k)
            plain_used.add(k.strip("'\"").replace("!!str ", ""))
            if self.chance(0.05):
                items.append(k)  # a key with no value: null
            else:
                items.append(f"{k}: {self.flow(depth - 1)}")
        return pre + "{" + sep.join(items) + "}"

    def value(self, depth, r=None):
        """('inline', text) | ('block', lines[, properties]) | ('bscalar', header, lines)."""
        r = self.rng.random() if r is None else r
        if depth <= 0 or r < 0.35:
            a = self.alias()
            if a:
                return ("inline", a)
            if self.chance(0.12):
                h, ls = self.block_scalar()
                return ("bscalar", self.anchor_prefix() + h, ls)
            if self.chance(0.05):
                words = [self.rng.choice(PLAIN_STR[:8]) for _ in range(3)]
                return ("inline", words[0] + "\n  " + words[1] + "\n  " + words[2])
            if self.chance(0.03):
                words = [self.rng.choice(PLAIN_STR[:8]) for _ in range(2)]
                return ("inline", '"' + words[0] + "\n\n  " + words[1] + '"')
            return ("inline", self.anchor_prefix() + self.scalar(False))
        if r < 0.45:
            return ("inline", self.flow(min(depth, 3)))
        pre = self.anchor_prefix() + (self.rng.choice(TAGS_COLL) + " " if self.bad() and self.chance(0.3) else "")
        if not pre and self.chance(0.03):
            pre = self.rng.choice(["!!map ", "!!seq "])
        lines = []
        if self.chance(0.55):
            keys_used = []
            for _ in range(self.rng.randint(1, 4)):
                if self.chance(0.15):
                    lines.append("# " + self.rng.choice(PLAIN_STR))
                if keys_used and self.bad() and self.chance(0.5):
                    k = self.rng.choice(keys_used)
                else:
                    k = self.key(False, {u.strip("'\"").replace("!!str ", "") for u in keys_used})
                keys_used.append(k)
                self.entry(lines, k + ":", depth, True)
        else:
            for _ in range(self.rng.randint(1, 4)):
                if self.chance(0.15):
                    lines.append("# " + self.rng.choice(PLAIN_STR))
                self.entry(lines, "-", depth, False)
        if pre:
            return ("block", lines, pre.strip())
        return ("block", lines)

    def pad(self, step, line):
        """Indents a line; a blank line mostly stays empty (trailing spaces on blank lines
        inside block scalars are legal but rare)."""
        return step + line if line or self.chance(0.1) else ""

    def entry(self, lines, head, depth, is_map):
        v = self.value(depth - 1)
        comment = "  # " + self.rng.choice(PLAIN_STR[:6]) if self.chance(0.1) else ""
        if v[0] == "inline":
            first, *rest = v[1].split("\n")
            lines.append(f"{head} {first}" + ("" if rest else comment))
            lines.extend(self.pad("  ", l) for l in rest)
        elif v[0] == "bscalar":
            lines.append(f"{head} {v[1]}")
            lines.extend(self.pad("  ", l) for l in v[2])
        else:
            sub, props = v[1], (v[2] if len(v) > 2 else None)
            if props:
                lines.append(f"{head} {props}")
                lines.extend(self.pad("  ", l) for l in sub)
            elif not is_map and self.chance(0.5) and sub and not sub[0].startswith("#"):
                lines.append(f"{head} {sub[0]}")
                lines.extend(self.pad("  ", l) for l in sub[1:])
            else:
                step = "" if (is_map and sub and sub[0].startswith("-") and self.chance(0.3)) else "  "
                lines.append(head + comment)
                lines.extend(self.pad(step, l) for l in sub)

    def document(self):
        self.anchors, self.n_anchor = [], 0
        self.poison = self.rng.choice([0.0, 0.0, 0.0, 0.0, 0.02, 0.05, 0.15])
        r = self.rng.random()
        depth = self.rng.randint(1, 4)
        if r < 0.03:
            d = self.rng.choice([62, 63, 64, 65, 66])
            style = self.rng.choice(["flow-seq", "flow-map", "block-map", "block-seq"])
            return nested(d, style, self.scalar(style.startswith("flow")))
        r = self.rng.random()
        v = self.value(depth, 0.0 if r < 0.06 else 0.4 if r < 0.16 else 0.5)
        if v[0] == "inline":
            body = v[1] + "\n"
        elif v[0] == "bscalar":
            body = "--- " + v[1] + "\n" + "".join(self.pad("  ", l) + "\n" for l in v[2])
        else:
            props = v[2] if len(v) > 2 else None
            body = ("--- " + props + "\n" if props else "") + "".join(l + "\n" for l in v[1])
        r = self.rng.random()
        if r < 0.04:
            body = "%YAML 1.2\n---\n" + body if not body.startswith("---") else "%YAML 1.2\n" + body
        elif r < 0.06:
            body = "%YAML 1.1\n---\n" + body if not body.startswith("---") else "%YAML 1.1\n" + body
        elif r < 0.12:
            body = "# leading comment\n" + body
        elif r < 0.15:
            body = body + "---\n" + self.rng.choice(["a: 1\n", "", "- x\n", "...\n"])
        elif r < 0.17:
            body = self.rng.choice(["", "# only a comment\n", "---\n", "--- # c\n...\n"])
        elif r < 0.21 and not body.startswith(("---", "%")):
            body = "---\n" + body + "...\n"
        elif r < 0.23:
            body = body.replace("\n", "\r\n")
        return body


def generated_inputs(n, seed):
    rng = random.Random(seed)
    g = Gen(rng)
    return [(f"gen:{seed}:{i}", g.document()) for i in range(n)]


# ----------------------------------------------------------------------------------
# Running and judging
# ----------------------------------------------------------------------------------
def run_swift(interop, path):
    try:
        p = subprocess.run([interop, "yaml", path], capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        return ("crash", "timeout")
    if p.returncode == 0 and p.stdout.endswith(b"\n"):
        return ("ok", p.stdout[:-1])
    if p.returncode == 1:
        try:
            doc = json.loads(p.stdout)
            return ("error", doc["error"])
        except (ValueError, KeyError, TypeError):
            pass
    return ("crash", f"exit {p.returncode}: {p.stdout[:200]!r} {p.stderr[:300]!r}")


def judge(text, swift):
    """(outcome, detail, failure?)"""
    value, refusal, feats = reference(text)
    ref_bytes = None
    if refusal is None:
        try:
            ref_bytes = jcs(value)
        except Exception as e:  # noqa: BLE001
            refusal = Refuse("not_json", f"JCS: {e}")
    kind, out = swift
    if kind == "crash":
        return "FAIL swift crashed", out, True, feats
    if kind == "ok":
        if refusal is not None:
            return f"FAIL swift accepts, reference refuses ({refusal.code})", f"{refusal.why}; swift: {out[:300]!r}", True, feats
        if out != ref_bytes:
            return "FAIL swift accepts, data model differs", f"swift {out[:300]!r}\nref   {ref_bytes[:300]!r}", True, feats
        return "agree: equal data model", "", False, feats
    # Swift refuses.
    if refusal is not None:
        return f"agree: both refuse (reference {refusal.code}; swift {out})", refusal.why, False, feats
    cls = classes_for(text, feats)
    if cls:
        return f"swift refuses ({out}), class {cls[0]}", ",".join(cls), False, feats
    return f"FAIL swift refuses ({out}), reference accepts, no documented class", f"reference {ref_bytes[:300]!r}", True, feats


def reference_only(inputs):
    outcomes, notes, ruamel_diff, py11_diff = Counter(), defaultdict(set), Counter(), Counter()
    for name, text in inputs:
        value, refusal, feats = reference(text)
        if refusal is not None:
            outcomes[f"reference refuses: {refusal.code}"] += 1
            continue
        outcomes["reference accepts"] += 1
        cls = classes_for(text, feats)
        outcomes["  …of which in a refusal class: " + (cls[0] if cls else "none (Swift must accept)")] += 1
        b = jcs(value)
        if ruamel_model(text) != b:
            ruamel_diff[name.split(":")[0]] += 1
        if py11_model(text) != b:
            py11_diff[name.split(":")[0]] += 1
        for k, ss in scalar_notes(feats).items():
            notes[k] |= ss
    print(f"{'outcome':70} count")
    for k, v in sorted(outcomes.items()):
        print(f"{k:70} {v}")
    print(f"documents the reference accepts but ruamel's own constructor reads differently: {dict(ruamel_diff)}")
    print(f"documents the reference accepts but PyYAML (1.1) reads differently: {dict(py11_diff)}")
    print_notes(notes)


def print_notes(notes):
    if notes:
        print("\nplain scalars that YAML 1.1 reads differently from YAML 1.2 (examples):")
        for k, ss in sorted(notes.items()):
            print(f"  {k:28} {', '.join(sorted(repr(s) for s in ss)[:12])}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bin_dir", nargs="?")
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--keep", help="write every failing document here")
    ap.add_argument("--reference-only", action="store_true")
    ap.add_argument("--show", type=int, default=25, help="failures to print in full")
    ap.add_argument("--rulings", action="store_true", help="print the YAML 1.1/1.2 rulings relied on")
    args = ap.parse_args()
    if args.rulings:
        for r in RULINGS:
            print("- " + r)
        return

    if not pyyaml.__with_libyaml__:
        sys.exit("PyYAML was installed without its libyaml binding (yaml.CSafeLoader), which this test needs")
    inputs = example_inputs() + fixed_inputs() + generated_inputs(args.docs, args.seed)
    if args.reference_only:
        reference_only(inputs)
        return
    if not args.bin_dir:
        ap.error("BIN_DIR is required (or --reference-only)")
    interop = os.path.join(args.bin_dir, "parmana-interop")
    if not os.access(interop, os.X_OK):
        sys.exit(f"{interop} is missing")
    probe = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
    probe.write("a: 1\n")
    probe.close()
    p = subprocess.run([interop, "yaml", probe.name], capture_output=True)
    os.unlink(probe.name)
    if p.returncode != 0 or p.stdout != b'{"a":1}\n':
        sys.exit(f"`parmana-interop yaml` is not available or not as specified (exit {p.returncode}, "
                 f"stdout {p.stdout[:100]!r}, stderr {p.stderr[:200]!r})")

    with tempfile.TemporaryDirectory() as work:
        paths = []
        for i, (name, text) in enumerate(inputs):
            path = os.path.join(work, f"{i}.yaml")
            with open(path, "w", encoding="utf-8", newline="", errors="surrogatepass") as f:
                f.write(text)
            paths.append(path)
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            results = list(pool.map(lambda p: run_swift(interop, p), paths))

    fallbacks = Counter()
    table, failures, class_count, code_notes = Counter(), [], Counter(), Counter()
    notes = defaultdict(set)
    accepted_11_differs = Counter()
    for (name, text), swift in zip(inputs, results):
        outcome, detail, failed, feats = judge(text, swift)
        table[outcome] += 1
        if feats.parser_fallback:
            fallbacks[feats.parser_fallback] += 1
        if failed:
            failures.append((name, text, outcome, detail))
        if outcome.startswith("swift refuses"):
            for c in detail.split(","):
                class_count[c] += 1
        if outcome == "agree: equal data model":
            for k, ss in scalar_notes(feats).items():
                notes[k] |= ss
            b = swift[1]
            if py11_model(text) != b:
                accepted_11_differs[name.split(":")[0]] += 1

    print(f"{'outcome':95} count")
    for k, v in sorted(table.items(), key=lambda kv: (kv[0].startswith("FAIL"), kv[0])):
        print(f"{k:95} {v}")
    print("\nrefusal classes (a refusal may fall in several):")
    for c, desc in CLASSES.items():
        print(f"  {c:22} {class_count.get(c, 0):6}  {desc}")
    print(f"\nreference events taken from another parser where ruamel has a known scanner defect: {dict(fallbacks)}")
    print(f"accepted documents that a YAML 1.1 reader (PyYAML) would read differently: {dict(accepted_11_differs)}")
    print_notes(notes)
    if args.keep and failures:
        os.makedirs(args.keep, exist_ok=True)
    for i, (name, text, outcome, detail) in enumerate(failures):
        if args.keep:
            with open(os.path.join(args.keep, f"fail{i:04d}.yaml"), "w", encoding="utf-8", newline="",
                      errors="surrogatepass") as f:
                f.write(text)
        if i < args.show:
            print(f"\n--- {outcome}: {name}\n{text!r}\n{detail}")
    total = len(inputs)
    print(f"\n{total} documents ({len(failures)} failures)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
