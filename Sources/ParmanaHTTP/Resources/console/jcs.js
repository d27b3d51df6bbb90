// RFC 8785 JSON Canonicalization Scheme (SPEC §1) for values produced by JSON.parse.
//
// - object members sorted by their names as UTF-16 code units (the default order of
//   JavaScript string comparison, which is exactly that);
// - numbers as ECMAScript Number.prototype.toString (what String(n) does; -0 → "0");
// - strings with only the JCS escapes (\" \\ \b \f \n \r \t, other controls as
//   lowercase \u00xx), everything else raw: what ES2019 JSON.stringify does for a
//   well-formed string. A lone surrogate cannot be encoded as UTF-8 and is refused.
// - no whitespace; UTF-8 bytes from canonicalBytes().

export class JCSError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function wellFormed(s) {
  return typeof s.isWellFormed === "function" ? s.isWellFormed() : !loneSurrogate.test(s);
}

export function serializeString(s) {
  if (!wellFormed(s)) throw new JCSError("invalid_string", "a string holds a lone surrogate");
  return JSON.stringify(s);
}

export function serializeNumber(n) {
  if (!Number.isFinite(n)) throw new JCSError("number_out_of_range", "NaN and Infinity have no JSON form");
  // Number.prototype.toString is the ECMAScript serialization RFC 8785 §3.2.2.3 names;
  // it already prints -0 as "0".
  return String(n);
}

function write(value, out, depth) {
  if (value === null) { out.push("null"); return; }
  switch (typeof value) {
    case "boolean": out.push(value ? "true" : "false"); return;
    case "number": out.push(serializeNumber(value)); return;
    case "string": out.push(serializeString(value)); return;
    case "object": break;
    default: throw new JCSError("invalid_json", `a ${typeof value} is not a JSON value`);
  }
  // depth counts the enclosing arrays and objects: a top-level container is level 1.
  if (depth >= 64) throw new JCSError("too_deep", "nesting deeper than 64");
  if (Array.isArray(value)) {
    out.push("[");
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(",");
      write(value[i], out, depth + 1);
    }
    out.push("]");
    return;
  }
  const keys = Object.keys(value);
  // Default sort compares UTF-16 code units, as RFC 8785 §3.2.3 requires (not locale, not code points).
  keys.sort();
  out.push("{");
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) out.push(",");
    out.push(serializeString(keys[i]), ":");
    write(value[keys[i]], out, depth + 1);
  }
  out.push("}");
}

/** JCS text of a JSON value (as JSON.parse produces it). */
export function canonicalize(value) {
  const out = [];
  write(value, out, 0);
  return out.join("");
}

const encoder = new TextEncoder();

/** JCS bytes (UTF-8) of a JSON value. */
export function canonicalBytes(value) {
  return encoder.encode(canonicalize(value));
}
