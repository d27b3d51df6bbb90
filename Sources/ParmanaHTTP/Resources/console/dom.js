// DOM building without innerHTML: every server value reaches the page as text.

/**
 * h("a", {href: "#/x", class: "mono", on: {click: f}}, "text", child, [more])
 * Attributes: `class`, `text`, `on`, `dataset`; booleans add/omit the attribute;
 * null/undefined/false are skipped; children may be nodes, strings or arrays.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "on") {
      for (const [event, fn] of Object.entries(value)) el.addEventListener(event, fn);
    } else if (name === "dataset") {
      for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) el.dataset[k] = String(v);
    } else if (name === "text") {
      el.textContent = String(value);
    } else if (value === true) {
      el.setAttribute(name, "");
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function byId(id) {
  return document.getElementById(id);
}

/** A definition list from [term, value] pairs (value: node, string or array). */
export function dl(pairs, cls = "fields") {
  return h("dl", { class: cls }, pairs.filter(Boolean).map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

/**
 * A table with a caption, column headers (<th scope=col>) and rows, inside a wrapper
 * that scrolls sideways on narrow screens instead of the whole page.
 */
export function table({ id, caption, columns, rows, captionHidden = false, cls = "data" }) {
  return h("div", { class: "table-wrap" },
    h("table", { id, class: cls },
      caption ? h("caption", { class: captionHidden ? "visually-hidden" : null }, caption) : null,
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows)));
}

/** A mark with an accessible word, not colour alone: ✓ passed, ✗ failed, … */
export function verdict(ok, text) {
  const word = ok === true ? "pass" : ok === false ? "fail" : "info";
  const icon = ok === true ? "✓" : ok === false ? "✗" : "•";
  return h("span", { class: `verdict verdict-${word}` }, h("span", { "aria-hidden": "true", class: "verdict-icon" }, icon), " ", text);
}

export function shortId(id) {
  return typeof id === "string" && id.length > 8 ? id.slice(0, 8) : String(id ?? "");
}
