// Parmana approver console (SPEC §19.5): the pending queue, what each execution is
// (signals, decision, explanation, policy, lineage with an inclusion proof checked
// here), and approve / reject signed in this page with the approver's own key.

import { ApiError, api, clearToken, formatTime, hasToken, parseTime, serverNow, setToken, tokenRemembered } from "./api.js";
import { byId, clear, dl, h, shortId, table, verdict } from "./dom.js";
import { canonicalize } from "./jcs.js";
import { loadApproverKey, signOverride } from "./keys.js";
import { canonicalHash, checkInclusionProof, trustedKey, verifyEnvelope } from "./verify.js";
import { importPublicKey, unhex } from "./crypto.js";

const STATE_LABELS = {
  completed: "completed",
  pending_override: "pending approval",
  override_approved: "approved",
  override_rejected: "rejected",
  override_expired: "expired",
};

/** A reviewed payload older than this is not signed: resolved_at would no longer be "now". */
const REVIEW_MAX_AGE_MS = 5 * 60 * 1000;

const state = {
  policies: null, // [{policy_id, version, hash, signed}]
  filter: "",
  limit: 25,
  cursors: [null], // cursor of each page seen; the last is the current page's
  trust: null,
  key: null, // {cryptoKey, keyId, approverId, publicKey, fileName}
  execution: null, // the execution on screen
  review: null, // {payload, executionId, acknowledged, signing}: shown for review, not yet signed
  gate: null, // the checks done in the page on the execution on screen, which signing waits for
  renderToken: 0, // bumps on each navigation; stale async work checks it
  cryptoProblem: null, // why this browser cannot sign, if it cannot
};

// ---- the checks signing waits for ------------------------------------------------
// Nothing is signed over an execution the page could not verify: the signals must hash
// to the attested fingerprint (or, when the server did not return them, the approver
// must say they approve without seeing them), the attestation's hash and signature must
// verify against the trust store, the server's unsigned fields must agree with the
// signed attestation, and the audit inclusion proof must verify. Until every check has
// finished the sign button stays disabled; when one fails it stays disabled and says which.

const GATE_CHECKS = [
  ["signals", "Signals match the attested execution_fingerprint"],
  ["attestation", "Attestation hash and signature verify"],
  ["consistency", "The server's fields agree with the signed attestation"],
  ["proof", "Audit inclusion proof verifies"],
];
const GATE_LABELS = Object.fromEntries(GATE_CHECKS);

/** status: checking | waiting | pass | fail | unverified (could not be checked) | missing (signals only). */
function newGate(token, ex) {
  const checking = { status: "checking", text: "checking…" };
  const signals = ex.signals === null || ex.signals === undefined
    ? { status: "missing", text: "the server did not return the signals: they cannot be shown or checked" }
    : checking;
  const problems = consistencyProblems(ex);
  const consistency = problems.length
    ? { status: "fail", text: problems.join("; ") }
    : { status: "pass", text: "decision, policy, quorum requirement, issued_at and fingerprint are the attested ones" };
  return { token, checks: { signals, attestation: checking, consistency, proof: checking } };
}

function setCheck(token, name, status, text) {
  const g = state.gate;
  if (!g || g.token !== token || token !== state.renderToken) return;
  g.checks[name] = { status, text };
  updateGate();
}

/**
 * Whether `resolution` may be signed now: {ok, status: ok | blocked | checking | ack, text}.
 * blocked: a check failed or could not be done; checking: a check has not finished;
 * ack: approving without the signals needs the approver's explicit acknowledgement.
 */
function gateOf(resolution, acknowledged) {
  const g = state.gate;
  if (!g || g.token !== state.renderToken) {
    return { ok: false, status: "checking", text: "Signing waits for the checks in this page to start." };
  }
  const entries = GATE_CHECKS.map(([name]) => [name, g.checks[name]]);
  const bad = entries.filter(([, c]) => c.status === "fail" || c.status === "unverified");
  if (bad.length) {
    return {
      ok: false, status: "blocked", failed: bad.map(([n]) => n),
      text: `${bad.map(([n, c]) => `${GATE_LABELS[n]}: ${c.status === "fail" ? "FAILED" : "NOT VERIFIED"} (${c.text})`).join("; ")}. Do not sign for this execution; report it to your operator.`,
    };
  }
  const running = entries.filter(([, c]) => c.status === "checking" || c.status === "waiting");
  if (running.length) {
    return {
      ok: false, status: "checking",
      text: `${running.map(([n, c]) => `${GATE_LABELS[n]} (${c.text})`).join("; ")}.`,
    };
  }
  if (g.checks.signals.status === "missing" && resolution === "approve" && !acknowledged) {
    return {
      ok: false, status: "ack",
      text: "the signals are not available: tick “I approve without seeing the signals” above to sign this approval.",
    };
  }
  return {
    ok: true, status: "ok",
    text: g.checks.signals.status === "missing"
      ? "The attestation, the server's fields and the inclusion proof verified in this page; the signals were not available."
      : "Every check in this page passed.",
  };
}

const GATE_TITLES = {
  ok: "Ready to sign:",
  blocked: "Signing blocked — a check in this page failed:",
  checking: "Signing waits until the checks in this page finish:",
  ack: "Acknowledgement needed:",
};

function gateVerdictOk(status) {
  return status === "pass" ? true : status === "fail" || status === "unverified" ? false : null;
}

function gateList(id) {
  const g = state.gate;
  return h("ul", { class: "checks gate-checks", id },
    GATE_CHECKS.map(([name, label]) => {
      const c = g?.checks?.[name] ?? { status: "checking", text: "checking…" };
      const word = { pass: "passed", fail: "FAILED", unverified: "not verified", missing: "not available", waiting: "waiting", checking: "checking" }[c.status] ?? c.status;
      return h("li", { dataset: { check: name, status: c.status } }, verdict(gateVerdictOk(c.status), `${label}: ${word} — ${c.text}`));
    }));
}

/** Redraws what depends on the checks: the banner, and the review panel's list and sign button. */
function updateGate() {
  const banner = byId("check-banner");
  const g = state.gate;
  if (banner && g) {
    const bad = GATE_CHECKS.filter(([n]) => ["fail", "unverified"].includes(g.checks[n].status));
    clear(banner);
    if (bad.length) {
      banner.dataset.status = "fail";
      banner.hidden = false;
      banner.append(
        h("p", {}, h("strong", {}, "Checks in this page failed: "), bad.map(([, label]) => label).join("; "), "."),
        h("p", {}, "Do not approve this execution: signing is blocked. The details are listed below."));
    } else if (g.checks.signals.status === "missing") {
      banner.dataset.status = "warn";
      banner.hidden = false;
      banner.append(h("p", {}, h("strong", {}, "The signals of this execution are not available: "),
        "this page cannot show you what was decided on, nor check it against the attested fingerprint."));
    } else {
      banner.dataset.status = "ok";
      banner.hidden = true;
    }
  }
  const review = state.review;
  const list = byId("review-checks");
  if (list) list.replaceWith(gateList("review-checks"));
  const sign = byId("sign-button");
  const why = byId("sign-gate");
  if (!review || !sign || !why) return;
  const gate = gateOf(review.payload.resolution, review.acknowledged);
  why.dataset.status = gate.status;
  clear(why).append(h("strong", {}, GATE_TITLES[gate.status] ?? ""), " ", gate.text);
  if (!review.signing) sign.disabled = !gate.ok;
}

// ---- messages --------------------------------------------------------------------

/** Shows an error with its code in the alert region (role=alert, assertive). */
function showError(error, context) {
  const code = error?.code ?? "internal_error";
  const message = error?.message ?? String(error);
  const details = Array.isArray(error?.details) ? error.details : [];
  const box = byId("messages");
  const item = h("div", { class: "message message-error", dataset: { code } },
    h("p", {},
      h("strong", {}, context ? `${context}: ` : "Error: "),
      h("code", { class: "error-code" }, code),
      message ? ` — ${message}` : ""),
    details.length
      ? h("ul", { class: "details" }, details.map((d) => h("li", {}, h("code", {}, d.pointer ?? ""), " ", d.message ?? "")))
      : null,
    h("button", { type: "button", class: "link-button", on: { click: () => item.remove() } }, "Dismiss"));
  box.appendChild(item);
  while (box.children.length > 4) box.firstChild.remove();
  console.warn(`[parmana] ${code}: ${message}`);
}

function clearErrors() {
  clear(byId("messages"));
}

/** A polite status message (role=status). */
function announce(text) {
  const el = byId("status");
  el.textContent = text;
}

// ---- token -----------------------------------------------------------------------

function renderTokenState() {
  const has = hasToken();
  byId("token-form").hidden = has;
  byId("token-state").hidden = !has;
  byId("token-state-text").textContent = tokenRemembered()
    ? "API token set (kept in this tab's session storage until you forget it or close the tab)."
    : "API token set (kept in this page's memory only).";
}

function setupToken() {
  byId("token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = byId("token-input");
    const value = input.value.trim();
    if (!value) {
      showError({ code: "unauthorized", message: "enter the bearer token you were given" }, "Token");
      input.focus();
      return;
    }
    setToken(value, byId("token-remember").checked);
    input.value = "";
    clearErrors();
    renderTokenState();
    route();
    announce("Token set.");
  });
  byId("token-forget").addEventListener("click", () => {
    clearToken();
    state.policies = null;
    state.trust = null;
    renderTokenState();
    route();
    announce("Token forgotten.");
    byId("token-input").focus();
  });
  renderTokenState();
}

// ---- time ------------------------------------------------------------------------

function formatDuration(ms) {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  if (d > 0) return `${d} d ${hh} h`;
  if (hh > 0) return `${hh} h ${mm} min`;
  if (mm > 0) return `${mm} min ${ss} s`;
  return `${ss} s`;
}

/** "3 h 12 min left" / "expired" / "no expiry", against the server's clock. */
function timeLeftText(expiresAt) {
  if (expiresAt === null || expiresAt === undefined) return { text: "no expiry", cls: "none" };
  const t = parseTime(expiresAt);
  if (Number.isNaN(t)) return { text: `unreadable expiry ${expiresAt}`, cls: "expired" };
  const left = t - serverNow().ms;
  if (left <= 0) return { text: "expired", cls: "expired" };
  return { text: `${formatDuration(left)} left`, cls: left < 15 * 60 * 1000 ? "soon" : "ok" };
}

function timeLeftElement(expiresAt, id) {
  const { text, cls } = timeLeftText(expiresAt);
  return h("span", { id, class: `time-left time-left-${cls}`, dataset: { expiresAt: expiresAt ?? "" } }, text);
}

function tickTimeLeft() {
  for (const el of document.querySelectorAll(".time-left[data-expires-at]")) {
    if (!el.dataset.expiresAt) continue;
    const { text, cls } = timeLeftText(el.dataset.expiresAt);
    if (el.textContent !== text) el.textContent = text;
    el.className = `time-left time-left-${cls}`;
  }
  const clock = byId("server-clock");
  if (clock) clock.textContent = serverClockText();
}

function serverClockText() {
  const now = serverNow();
  return now.source === "server"
    ? `Server time ${formatTime(now.ms)}`
    : "Server time not known yet (using this browser's clock)";
}

// ---- helpers over an execution -----------------------------------------------------
// What the page shows as the decision, the policy and the approval rule comes from the
// signed attestation payload, never from the server's unsigned top-level copies: those
// are only compared with it (consistencyProblems), and a disagreement blocks signing.

function attestationPayload(ex) {
  const p = ex?.attestation?.payload;
  return p && typeof p === "object" && !Array.isArray(p) ? p : {};
}

function isObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** The attested decision (attestation.payload.decision). */
function decisionOf(ex) {
  const d = attestationPayload(ex).decision;
  return isObject(d) ? d : {};
}

/** The attested policy {policy_id, version, hash} (attestation.payload.policy). */
function policyOf(ex) {
  const p = attestationPayload(ex).policy;
  return isObject(p) ? p : {};
}

function issuedAtOf(ex) {
  return attestationPayload(ex).issued_at ?? null;
}

/**
 * The approvers whose `approve` overrides of this attestation are in the execution's
 * override records, once each, in order. With `verified` (index → true when the page
 * verified that override's signature), only the verified ones count.
 */
function approversOf(ex, verified = null) {
  const overrides = Array.isArray(ex.overrides) ? ex.overrides : [];
  const approvers = [];
  overrides.forEach((o, i) => {
    const p = o?.payload;
    if (!isObject(p) || p.resolution !== "approve" || p.attestation_hash !== ex.attestation_hash) return;
    if (verified && verified[i] !== true) return;
    if (typeof p.approver_id === "string" && !approvers.includes(p.approver_id)) approvers.push(p.approver_id);
  });
  return approvers;
}

/**
 * {approvals, required, approvers, expiresAt, reported, verified}, or null when the
 * attested decision needs no approval. `required` and `expiresAt` come from the attested
 * decision (v2: decision.override; v1: one approval, no expiry); the approvals so far are
 * not in the attestation: they are counted from the override records (`verified` once
 * the page has checked their signatures). `reported` is the server's own count.
 */
function quorumOf(ex, verified = null) {
  const decision = decisionOf(ex);
  if (decision.requires_override !== true) return null;
  const approvers = approversOf(ex, verified);
  const reported = isObject(ex.quorum) && Number.isSafeInteger(ex.quorum.approvals) ? ex.quorum.approvals : null;
  return {
    approvals: approvers.length,
    required: Number(decision.override?.approvals ?? 1),
    approvers,
    expiresAt: decision.override?.expires_at ?? null,
    reported,
    verified: Boolean(verified),
  };
}

function sameJSON(a, b) {
  try {
    return canonicalize(a) === canonicalize(b);
  } catch {
    return false;
  }
}

function briefJSON(v) {
  if (v === undefined) return "nothing";
  const t = jsonText(v);
  return t.length > 140 ? `${t.slice(0, 137)}…` : t;
}

/**
 * Where the server's unsigned top-level fields disagree with the signed attestation
 * payload (or with each other): one text per disagreement, empty when they agree.
 */
function consistencyProblems(ex) {
  const problems = [];
  if (!isObject(ex?.attestation?.payload)) return ["the server sent no attestation payload"];
  const p = attestationPayload(ex);
  const d = isObject(p.decision) ? p.decision : null;
  if (!d) problems.push("the attestation payload has no decision");
  const differs = (field, server, attested) =>
    problems.push(`${field}: the server says ${briefJSON(server)}, the signed attestation says ${briefJSON(attested)}`);
  if ("decision" in ex && !sameJSON(ex.decision, p.decision)) differs("decision", ex.decision, p.decision);
  if ("policy" in ex && !sameJSON(ex.policy, p.policy)) differs("policy", ex.policy, p.policy);
  if ("issued_at" in ex && ex.issued_at !== p.issued_at) differs("issued_at", ex.issued_at, p.issued_at);
  if ("execution_fingerprint" in ex && ex.execution_fingerprint !== p.execution_fingerprint) {
    differs("execution_fingerprint", ex.execution_fingerprint, p.execution_fingerprint);
  }
  if (d && "quorum" in ex) {
    const q = ex.quorum;
    if (d.requires_override === true) {
      const required = d.override?.approvals ?? 1;
      const expiresAt = d.override?.expires_at ?? null;
      if (!isObject(q)) {
        differs("quorum", q, { required, expires_at: expiresAt });
      } else {
        if (q.required !== required) differs("quorum.required (approvals needed)", q.required, required);
        if ((q.expires_at ?? null) !== expiresAt) differs("quorum.expires_at", q.expires_at, expiresAt);
      }
    } else if (q !== null && q !== undefined) {
      problems.push(`quorum: the server reports a quorum ${briefJSON(q)}, but the signed decision requires no approval`);
    }
  }
  if (d && ex.execution_state === "pending_override" && d.requires_override !== true) {
    problems.push("execution_state: the server says pending_override, but the signed decision requires no approval");
  }
  const deciding = ex.explanation?.deciding_rule;
  if (d && typeof deciding === "string" && deciding !== d.rule_id) {
    differs("explanation.deciding_rule", deciding, d.rule_id);
  }
  return problems;
}

function approvedByText(q, pending) {
  return q.approvers.length ? q.approvers.join(", ") : pending ? "nobody yet" : "nobody";
}

function quorumText(q) {
  return q ? `${q.approvals} of ${q.required} approval${q.required === 1 ? "" : "s"}` : "no approval required";
}

function stateBadge(s, id) {
  return h("span", { id, class: `badge badge-${String(s).replace(/[^a-z_]/g, "")}`, dataset: { state: s } },
    STATE_LABELS[s] ?? String(s));
}

function jsonText(v) {
  try {
    return canonicalize(v);
  } catch {
    return String(v);
  }
}

function typeName(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function mono(text, cls = "") {
  return h("code", { class: `mono ${cls}`.trim() }, text);
}

function hashText(text) {
  return h("code", { class: "mono hash" }, text ?? "—");
}

// ---- routing ---------------------------------------------------------------------

function route() {
  state.renderToken += 1;
  state.review = null;
  byId("status").textContent = "";
  clearErrors();
  const main = byId("main");
  clear(main);
  const hash = location.hash || "#/queue";
  if (!hasToken()) {
    main.appendChild(h("section", { class: "card intro" },
      h("h1", { tabindex: "-1", id: "page-heading" }, "Approver console"),
      h("p", {}, "Enter your API token above to see the executions waiting for approval."),
      h("p", { class: "hint" },
        "The token is sent only as an Authorization header to this server's /v1 API. ",
        "Approvals are signed in this page with your own approver key file; the private key never leaves the browser.")));
    setTitle("Approver console");
    return;
  }
  const m = /^#\/executions\/([^/?#]+)$/.exec(hash);
  let id = null;
  try {
    id = m ? decodeURIComponent(m[1]) : null;
  } catch {
    id = null; // a malformed %-escape: not an execution link
  }
  if (hash === "#/queue" || hash === "#/" || hash === "#") {
    renderQueue();
  } else if (id) {
    renderExecution(id);
  } else {
    main.appendChild(h("section", { class: "card" },
      h("h1", { tabindex: "-1", id: "page-heading" }, "Page not found"),
      h("p", {}, h("a", { href: "#/queue" }, "Back to the pending queue"))));
  }
}

function setTitle(text) {
  document.title = `${text} — Parmana`;
}

function focusHeading() {
  const heading = byId("page-heading");
  if (heading && document.activeElement === document.body) heading.focus({ preventScroll: true });
}

// ---- queue -----------------------------------------------------------------------

async function loadPolicies() {
  if (state.policies) return state.policies;
  const body = await api("GET", "policies");
  state.policies = Array.isArray(body.policies) ? body.policies : [];
  return state.policies;
}

function queuePath() {
  const q = new URLSearchParams({ state: "pending_override" });
  if (state.filter) q.set("policy_id", state.filter);
  q.set("limit", String(state.limit));
  const after = state.cursors[state.cursors.length - 1];
  if (after) q.set("after", after);
  return `executions?${q.toString()}`;
}

async function renderQueue() {
  const token = state.renderToken;
  setTitle("Pending approvals");
  const main = byId("main");
  const filterSelect = h("select", { id: "policy-filter", name: "policy_id" }, h("option", { value: "" }, "All policies"));
  const sizeSelect = h("select", { id: "page-size", name: "limit" },
    [10, 25, 50, 100].map((n) => h("option", { value: String(n), selected: n === state.limit }, String(n))));
  const body = h("div", { id: "queue-body", "aria-busy": "true" }, h("p", { class: "loading" }, "Loading pending executions…"));
  main.appendChild(h("section", { class: "card", "aria-labelledby": "page-heading" },
    h("div", { class: "title-row" },
      h("h1", { id: "page-heading", tabindex: "-1" }, "Pending approvals"),
      h("p", { class: "meta", id: "server-clock" }, serverClockText())),
    h("p", { class: "lead" }, "Executions whose decision requires a human, oldest first. Open one to see what you would approve."),
    h("p", { class: "hint" }, "Policy, decision and approvals needed are read from each execution's signed attestation; ",
      "approvals so far are counted from its override records. Signatures, signals and the inclusion proof are checked when you open an execution."),
    h("form", { class: "filters", on: { submit: (ev) => ev.preventDefault() } },
      h("div", { class: "field" }, h("label", { for: "policy-filter" }, "Policy"), filterSelect),
      h("div", { class: "field" }, h("label", { for: "page-size" }, "Per page"), sizeSelect),
      h("button", { type: "button", id: "queue-refresh", on: { click: () => route() } }, "Refresh")),
    body));
  focusHeading();

  filterSelect.addEventListener("change", () => {
    state.filter = filterSelect.value;
    state.cursors = [null];
    route();
  });
  sizeSelect.addEventListener("change", () => {
    state.limit = Number(sizeSelect.value);
    state.cursors = [null];
    route();
  });

  loadPolicies().then((policies) => {
    if (token !== state.renderToken) return;
    const ids = [...new Set(policies.map((p) => p.policy_id).filter((x) => typeof x === "string"))].sort();
    if (state.filter && !ids.includes(state.filter)) ids.push(state.filter);
    for (const id of ids) {
      const versions = policies.filter((p) => p.policy_id === id).map((p) => p.version).filter(Boolean);
      const label = versions.length ? `${id} (${versions.join(", ")})` : id;
      filterSelect.appendChild(h("option", { value: id, selected: id === state.filter }, label));
    }
  }).catch((e) => showError(e, "Loading policies"));

  let page;
  try {
    page = await api("GET", queuePath());
  } catch (e) {
    if (token !== state.renderToken) return;
    clear(body).appendChild(h("p", { class: "empty" }, "The queue could not be loaded."));
    body.removeAttribute("aria-busy");
    showError(e, "Loading the queue");
    return;
  }
  if (token !== state.renderToken) return;
  body.removeAttribute("aria-busy");
  clear(body);
  const executions = Array.isArray(page.executions) ? page.executions : [];
  const pageNo = state.cursors.length;
  byId("server-clock").textContent = serverClockText();

  if (executions.length === 0) {
    body.appendChild(h("p", { class: "empty", id: "queue-empty" },
      pageNo > 1 ? "No more executions on this page." : "No executions are waiting for approval."));
  } else {
    const rows = executions.map((ex) => queueRow(ex));
    body.appendChild(table({
      id: "queue-table",
      caption: `Pending executions${state.filter ? ` for ${state.filter}` : ""}, page ${pageNo} (${executions.length} shown, oldest first)`,
      columns: ["Execution", "Policy", "Decision", "Approvals", "Time left", "Issued at"],
      rows,
    }));
  }
  const prev = h("button", { type: "button", id: "page-prev", disabled: pageNo <= 1 }, "← Previous page");
  const next = h("button", { type: "button", id: "page-next", disabled: !page.next_after }, "Next page →");
  prev.addEventListener("click", () => {
    state.cursors.pop();
    route();
  });
  next.addEventListener("click", () => {
    state.cursors.push(page.next_after);
    route();
  });
  body.appendChild(h("nav", { class: "pager", "aria-label": "Queue pages" }, prev, h("span", { class: "meta" }, `Page ${pageNo}`), next));
  announce(`${executions.length} pending execution${executions.length === 1 ? "" : "s"} on page ${pageNo}.`);
}

function queueRow(ex) {
  const id = ex.execution_id;
  const decision = decisionOf(ex);
  const policy = policyOf(ex);
  const q = quorumOf(ex);
  const problems = consistencyProblems(ex);
  const href = `#/executions/${encodeURIComponent(id)}`;
  const link = h("a", { href, class: "mono exec-link", "aria-label": `Execution ${id}`, title: id }, shortId(id));
  const row = h("tr", { class: "clickable", dataset: { executionId: id } },
    h("th", { scope: "row" }, link),
    h("td", {}, h("span", { class: "policy-id" }, policy.policy_id ?? "—"), h("span", { class: "version" }, ` v${policy.version ?? "?"}`)),
    h("td", {}, h("strong", { class: `action action-${decision.action}` }, decision.action ?? "—"), " ",
      h("span", { class: "reason" }, decision.reason ?? "—"), h("br"),
      h("span", { class: "meta" }, "rule ", mono(decision.rule_id ?? "—")),
      problems.length
        ? h("span", { class: "row-problem", dataset: { problem: "consistency" } }, h("br"),
          verdict(false, "the server's fields disagree with the signed attestation: do not approve"))
        : null),
    h("td", { class: "quorum" }, quorumText(q)),
    h("td", {}, timeLeftElement(q?.expiresAt ?? null)),
    h("td", { class: "mono small" }, issuedAtOf(ex) ?? "—"));
  // The whole row opens the execution for mouse users; keyboard users have the link.
  row.addEventListener("click", (ev) => {
    if (ev.target.closest("a")) return;
    location.hash = href;
  });
  return row;
}

// ---- execution ---------------------------------------------------------------------

async function loadTrust(force = false) {
  if (state.trust && !force) return state.trust;
  state.trust = await api("GET", "trust");
  return state.trust;
}

async function renderExecution(id) {
  const token = state.renderToken;
  setTitle(`Execution ${shortId(id)}`);
  const main = byId("main");
  main.appendChild(h("p", { class: "loading", "aria-busy": "true" }, "Loading execution…"));
  let ex;
  let trust = null;
  try {
    [ex, trust] = await Promise.all([
      api("GET", `executions/${encodeURIComponent(id)}`),
      loadTrust(true).catch((e) => {
        showError(e, "Loading the trust store");
        return null;
      }),
    ]);
  } catch (e) {
    if (token !== state.renderToken) return;
    clear(main).appendChild(h("section", { class: "card" },
      h("h1", { id: "page-heading", tabindex: "-1" }, "Execution not shown"),
      h("p", {}, "The execution could not be loaded. "),
      h("p", {}, h("a", { href: "#/queue" }, "Back to the pending queue"))));
    showError(e, `Loading execution ${id}`);
    focusHeading();
    return;
  }
  if (token !== state.renderToken) return;
  state.execution = ex;
  state.gate = newGate(token, ex);
  clear(main);
  drawExecution(main, ex, trust);
  updateGate();
  focusHeading();
  runChecks(ex, trust, token).catch((e) => showError(e, "Checking the evidence in the page"));
}

function drawExecution(main, ex, trust) {
  const decision = decisionOf(ex);
  const policy = policyOf(ex);
  const q = quorumOf(ex);
  const pending = ex.execution_state === "pending_override";

  // Summary
  main.appendChild(h("nav", { class: "breadcrumbs", "aria-label": "Breadcrumbs" },
    h("a", { href: "#/queue" }, "Pending approvals"), " / ", h("span", { class: "mono" }, shortId(ex.execution_id))));
  main.appendChild(h("section", { class: "card summary", "aria-labelledby": "page-heading" },
    h("div", { class: "title-row" },
      h("h1", { id: "page-heading", tabindex: "-1" }, "Execution ", h("span", { class: "mono" }, ex.execution_id)),
      stateBadge(ex.execution_state, "exec-state")),
    h("div", { class: "summary-grid" },
      dl([
        ["State", h("span", { id: "exec-state-text" }, STATE_LABELS[ex.execution_state] ?? ex.execution_state)],
        ["Approvals", [h("span", { id: "quorum-progress", dataset: { approvals: q?.approvals ?? "", required: q?.required ?? "" } }, quorumText(q)),
          q ? [" ", h("span", { id: "quorum-source", class: "meta", dataset: { source: "records" } }, "(counted from the override records; checking their signatures…)")] : null]],
        q ? ["Approved by", h("span", { id: "approved-by" }, approvedByText(q, pending))] : null,
        ["Time left", pending || ex.execution_state === "override_expired"
          ? timeLeftElement(q?.expiresAt ?? null, "time-left")
          : h("span", { id: "time-left", class: "time-left time-left-none" }, "resolved")],
        ["Expires at", mono(q?.expiresAt ?? "never")],
      ]),
      dl([
        ["Policy", [h("strong", { id: "policy-id" }, policy.policy_id ?? "—"), ` version ${policy.version ?? "?"}`]],
        ["Decision", [h("strong", { id: "decision-action" }, decision.action ?? "—"),
          decision.requires_override ? " (requires human approval)" : ""]],
        ["Reason", h("code", { class: "mono", id: "decision-reason" }, decision.reason ?? "—")],
        ["Deciding rule", mono(decision.rule_id ?? "—", "rule")],
        ["Issued at", mono(issuedAtOf(ex) ?? "—")],
      ])),
    h("p", { class: "meta" }, "Policy, decision, approvals needed and expiry are read from the signed attestation payload, ",
      "which this page verifies; approvals so far are counted from the signed override records it verifies."),
    h("div", { id: "check-banner", class: "check-banner", role: "note", hidden: true }),
    h("p", { class: "meta", id: "server-clock" }, serverClockText()),
    h("div", { class: "actions" },
      h("button", { type: "button", id: "exec-refresh", on: { click: () => route() } }, "Refresh"))));

  main.appendChild(signalsSection(ex));
  main.appendChild(explanationSection(ex, decision));
  main.appendChild(approvalsSection(ex, q));
  if (pending) main.appendChild(resolveSection(ex, q, trust));
  main.appendChild(lineageSection(ex, policy));
}

function signalsSection(ex) {
  const signals = ex.signals;
  let content;
  if (signals && typeof signals === "object" && !Array.isArray(signals)) {
    const names = Object.keys(signals).sort();
    content = table({
      id: "signals-table",
      caption: "Signals of this execution (as the server retained them)",
      captionHidden: true,
      columns: ["Signal", "Value", "Type"],
      rows: names.map((name) => h("tr", {},
        h("th", { scope: "row", class: "mono" }, name),
        h("td", { class: "mono value" }, jsonText(signals[name])),
        h("td", { class: "meta" }, typeName(signals[name])))),
    });
  } else if (signals === null || signals === undefined) {
    const pending = ex.execution_state === "pending_override";
    content = h("div", { class: pending ? "warnings alarm" : "empty", id: "signals-missing" },
      h("p", {}, pending ? h("strong", {}, "Warning: the signals of this execution are not available. ") : null,
        "The server did not return this execution's signals: it keeps them only as its retain_signals setting says ",
        "(by default, until the execution is resolved or expired)."),
      pending
        ? h("p", {}, "This page cannot show you what was decided on, nor check it against the attested fingerprint. ",
          "Do not approve what you cannot see: approving needs your explicit acknowledgement at review.")
        : null);
  } else {
    content = h("p", { class: "empty", id: "signals-malformed" }, "The server returned signals that are not a JSON object.");
  }
  return h("section", { class: "card", "aria-labelledby": "signals-h" },
    h("h2", { id: "signals-h" }, "Signals"),
    h("p", { class: "lead" }, "What the decision was made on. Values are shown as canonical JSON (strings in quotes)."),
    content,
    h("p", { id: "fingerprint-check", class: "check", dataset: { status: signals === null || signals === undefined ? "missing" : "checking" } },
      signals === null || signals === undefined
        ? verdict(null, "Not checked: without the signals their fingerprint cannot be checked.")
        : verdict(null, "Checking the signals against the attested fingerprint…")));
}

function explanationSection(ex, decision) {
  const exp = ex.explanation;
  const parts = [];
  if (exp && typeof exp === "object") {
    const rules = Array.isArray(exp.rules) ? exp.rules : [];
    parts.push(h("p", {}, "Deciding rule: ", mono(exp.deciding_rule ?? decision.rule_id ?? "—", "rule"),
      exp.deciding_rule === "default" ? " (no rule was true; the policy's default decided)" : ""));
    parts.push(table({
      id: "rules-table",
      caption: "Rules in evaluation order",
      columns: ["Rule", "Value", ""],
      rows: rules.map((r) => h("tr", { class: r.id === exp.deciding_rule ? "deciding" : null },
        h("th", { scope: "row", class: "mono" }, r.id ?? "—"),
        h("td", {}, h("span", { class: `truth truth-${r.value}` }, String(r.value))),
        h("td", {}, r.id === exp.deciding_rule ? h("strong", {}, "decides") : ""))),
    }));
    const leaves = Array.isArray(exp.leaves) ? exp.leaves : [];
    if (leaves.length) {
      parts.push(table({
        id: "leaves-table",
        caption: "Conditions of the deciding rule",
        columns: ["Signal", "Operator", "Operand", "Value", "Where in the policy"],
        rows: leaves.map((l) => h("tr", {},
          h("th", { scope: "row", class: "mono" }, l.signal ?? "—"),
          h("td", { class: "mono" }, l.operator ?? "—"),
          h("td", { class: "mono value" }, jsonText(l.operand)),
          h("td", {}, h("span", { class: `truth truth-${l.value}` }, String(l.value))),
          h("td", { class: "mono small" }, l.path ?? ""))),
      }));
    }
  } else {
    parts.push(h("p", { class: "empty" }, "No explanation is available for this execution."));
  }
  return h("section", { class: "card", "aria-labelledby": "explanation-h" },
    h("h2", { id: "explanation-h" }, "Why: decision and explanation"),
    dl([
      ["Action", mono(decision.action ?? "—")],
      ["Requires override", mono(String(decision.requires_override ?? "—"))],
      ["Reason", mono(decision.reason ?? "—")],
      ["Rule", mono(decision.rule_id ?? "—")],
      decision.override ? ["Approval rule", `${decision.override.approvals ?? 1} approval(s), expires ${decision.override.expires_at ?? "never"}`] : null,
    ], "fields inline"),
    parts);
}

function approvalsSection(ex, q) {
  const overrides = Array.isArray(ex.overrides) ? ex.overrides : [];
  const seqs = Array.isArray(ex.override_seqs) ? ex.override_seqs : [];
  const rows = overrides.map((o, i) => {
    const p = o?.payload ?? {};
    return h("tr", { dataset: { approver: p.approver_id ?? "" } },
      h("th", { scope: "row" }, p.approver_id ?? "—"),
      h("td", {}, h("span", { class: `resolution resolution-${p.resolution}` }, p.resolution ?? "—")),
      h("td", { class: "reason-text" }, p.reason ?? ""),
      h("td", { class: "mono small" }, p.resolved_at ?? "—"),
      h("td", { class: "mono small" }, seqs[i] ?? "—"),
      h("td", { id: `override-check-${i}`, class: "small" }, verdict(null, "checking…")));
  });
  const expiry = ex.expiry;
  return h("section", { class: "card", "aria-labelledby": "approvals-h" },
    h("h2", { id: "approvals-h" }, "Approvals so far"),
    h("p", { class: "lead" }, approvalsLead(ex, q)),
    overrides.length
      ? table({ id: "overrides-table", caption: "Overrides recorded, in order", columns: ["Approver", "Resolution", "Reason", "Resolved at", "Audit seq", "Signature"], rows })
      : h("p", { class: "empty", id: "overrides-empty" }, "No override has been recorded yet."),
    expiry ? h("div", { class: "expiry", id: "expiry-record" },
      h("h3", {}, "Expiry record"),
      dl([
        ["Type", mono(expiry.payload?.type ?? "—")],
        ["Expired at", mono(expiry.payload?.expired_at ?? "—")],
        ["Signed by key", hashText(expiry.payload?.key_id)],
        ["Signature", h("span", { id: "expiry-check" }, verdict(null, "checking…"))],
      ])) : null);
}

function approvalsLead(ex, q) {
  if (!q) return "This execution needs no approval.";
  const n = `${q.required} distinct approver${q.required === 1 ? "" : "s"}`;
  switch (ex.execution_state) {
    case "pending_override":
      return `${quorumText(q)}. ${n} must approve${q.expiresAt ? ` before ${q.expiresAt}` : ""}; one reject rejects it.`;
    case "override_approved": return `Approved: ${quorumText(q)} from ${n}.`;
    case "override_rejected": return "Rejected by an approver; the execution must not run.";
    case "override_expired": return `Expired at ${q.expiresAt ?? "its deadline"} with ${quorumText(q)}: the execution must not run.`;
    default: return quorumText(q);
  }
}

// ---- resolve (approve / reject) ------------------------------------------------------

function keyStatus() {
  const k = state.key;
  if (!k) return h("p", { id: "key-status", class: "key-status", dataset: { loaded: "false" } }, "No approver key loaded.");
  return h("div", { id: "key-status", class: "key-status loaded", dataset: { loaded: "true", approver: k.approverId, keyId: k.keyId } },
    h("p", {}, "Signing as ", h("strong", { id: "key-approver" }, k.approverId), " with key ", mono(k.keyId),
      ` (from ${k.fileName}; held in memory only, not extractable).`),
    k.trustNote ? h("p", { class: "check" }, verdict(k.trustOk, k.trustNote)) : null);
}

function resolveSection(ex, q, trust) {
  const keyInput = h("input", { type: "file", id: "key-file", accept: ".json,.key,application/json", "aria-describedby": "key-hint" });
  const unload = h("button", { type: "button", id: "key-unload", disabled: !state.key }, "Unload key");
  const keyBox = h("div", { class: "keybox", id: "keybox" },
    h("h3", {}, "1. Your approver key"),
    keyStatus(),
    h("div", { class: "field" },
      h("label", { for: "key-file" }, state.key ? "Use another key file" : "Approver key file"), keyInput),
    h("p", { class: "hint", id: "key-hint" },
      "A private key file from parmana keygen (parmana.private-key/v1, role approver). It is read in this page only: ",
      "the private key is never sent to the server and never stored; the file's contents are dropped once imported."),
    unload);

  keyInput.addEventListener("change", async () => {
    const file = keyInput.files?.[0];
    keyInput.value = "";
    if (!file) return;
    clearErrors();
    try {
      const key = await loadApproverKey(file);
      const note = trustNoteFor(key, trust);
      key.trustOk = note.ok;
      key.trustNote = note.text;
      state.key = key;
      state.review = null;
      refreshKeyBox();
      announce(`Key loaded: ${key.approverId}.`);
    } catch (e) {
      showError(e, "Loading the key file");
    }
  });
  unload.addEventListener("click", () => {
    state.key = null;
    state.review = null;
    refreshKeyBox();
    announce("Key unloaded.");
  });

  const reason = h("textarea", { id: "reason", name: "reason", rows: "3", required: true, maxlength: "1000", "aria-describedby": "reason-hint" });
  const form = h("form", { id: "override-form", class: "override-form", novalidate: true },
    h("h3", {}, "2. Your resolution"),
    h("fieldset", {},
      h("legend", {}, "Resolution"),
      h("div", { class: "radio" },
        h("input", { type: "radio", name: "resolution", id: "resolution-approve", value: "approve", checked: true }),
        h("label", { for: "resolution-approve" }, "Approve")),
      h("div", { class: "radio" },
        h("input", { type: "radio", name: "resolution", id: "resolution-reject", value: "reject" }),
        h("label", { for: "resolution-reject" }, "Reject"))),
    h("div", { class: "field" },
      h("label", { for: "reason" }, "Reason (required)"),
      reason,
      h("p", { class: "hint", id: "reason-hint" }, "Recorded in the signed override and the audit log.")),
    h("button", { type: "submit", id: "review-button", class: "primary" }, "Review override…"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    prepareReview(ex, q);
  });
  // A review shows exactly what will be signed: editing the form withdraws it.
  const withdrawReview = () => {
    if (!state.review) return;
    state.review = null;
    const panel = byId("review-panel");
    clear(panel);
    panel.hidden = true;
  };
  form.addEventListener("input", withdrawReview);
  form.addEventListener("change", withdrawReview);

  return h("section", { class: "card resolve", id: "resolve", "aria-labelledby": "resolve-h" },
    h("h2", { id: "resolve-h" }, "Approve or reject"),
    state.cryptoProblem ? h("p", { class: "warnings", id: "crypto-problem" }, `Signing is not possible in this browser: ${state.cryptoProblem}.`) : null,
    keyBox,
    form,
    h("div", { id: "review-panel", class: "review", hidden: true }));
}

function trustNoteFor(key, trust) {
  if (!trust) return { ok: null, text: "The trust store could not be loaded to check this key." };
  const at = formatTime(serverNow().ms);
  const found = trustedKey(trust, key.keyId, "approver", at);
  if (!found.key) return { ok: false, text: `The server will refuse this key: ${found.reason}.` };
  if (found.key.approver_id !== key.approverId) {
    return { ok: false, text: `The trust store names this key's approver ${found.key.approver_id}, not ${key.approverId}.` };
  }
  if (found.key.public_key !== key.publicKey) return { ok: false, text: "The trust store holds another public key under this key id." };
  return { ok: true, text: `In the server's trust store as approver ${found.key.approver_id}, valid now.` };
}

function refreshKeyBox() {
  const old = byId("key-status");
  if (old) old.replaceWith(keyStatus());
  const label = document.querySelector("label[for=key-file]");
  if (label) label.textContent = state.key ? "Use another key file" : "Approver key file";
  const unload = byId("key-unload");
  if (unload) unload.disabled = !state.key;
  const panel = byId("review-panel");
  if (panel) {
    clear(panel);
    panel.hidden = true;
  }
}

function prepareReview(ex, q) {
  clearErrors();
  if (!state.key) {
    showError({ code: "untrusted_key", message: "load your approver key file first" }, "Cannot prepare the override");
    byId("key-file").focus();
    return;
  }
  const reason = byId("reason").value.trim();
  if (!reason) {
    showError({ code: "invalid_request", message: "give a reason: it is part of the signed record" }, "Cannot prepare the override");
    byId("reason").focus();
    return;
  }
  const resolution = document.querySelector("input[name=resolution]:checked")?.value ?? "approve";
  const now = serverNow();
  const payload = {
    type: "parmana.override/v1",
    execution_id: ex.execution_id,
    attestation_hash: ex.attestation_hash,
    resolution,
    reason,
    approver_id: state.key.approverId,
    resolved_at: formatTime(now.ms),
    key_id: state.key.keyId,
  };
  state.review = { payload, executionId: ex.execution_id, acknowledged: false, signing: false };
  const review = state.review;

  const warnings = [];
  if (now.source !== "server") warnings.push("The server's time is not known; resolved_at comes from this browser's clock.");
  if (q?.expiresAt && payload.resolved_at >= q.expiresAt) {
    warnings.push(`The approval window closed at ${q.expiresAt}: the server will refuse this override (override_expired).`);
  }
  if (q && q.approvers.includes(payload.approver_id)) {
    warnings.push(`${payload.approver_id} has already approved this execution (override_already_resolved).`);
  }

  const panel = byId("review-panel");
  clear(panel);
  // Disabled until the checks in the page have passed (updateGate enables it).
  const sign = h("button", { type: "button", id: "sign-button", class: resolution === "reject" ? "danger" : "primary",
    disabled: true, "aria-describedby": "sign-gate" },
  resolution === "approve" ? "Sign and submit approval" : "Sign and submit rejection");
  const cancel = h("button", { type: "button", id: "review-cancel" }, "Cancel");
  let ack = null;
  if (resolution === "approve" && state.gate?.checks?.signals?.status === "missing") {
    const box = h("input", { type: "checkbox", id: "ack-no-signals", "aria-describedby": "ack-no-signals-hint" });
    box.addEventListener("change", () => {
      review.acknowledged = box.checked;
      updateGate();
    });
    ack = h("div", { class: "warnings alarm", id: "signals-ack" },
      h("p", { id: "ack-no-signals-hint" }, h("strong", {}, "You cannot see the signals of this execution. "),
        "The server did not return them, so this page could not show you what was decided on nor check it against the ",
        "attested execution_fingerprint. Approve only if you have seen and checked them elsewhere."),
      h("div", { class: "checkbox" }, box, h("label", { for: "ack-no-signals" }, "I approve without seeing the signals")));
  }
  panel.append(...[
    h("h3", { id: "review-h", tabindex: "-1" }, "3. Review what you sign"),
    h("p", {}, "You are about to ", h("strong", {}, resolution === "approve" ? "approve" : "reject"),
      " execution ", mono(ex.execution_id), " as ", h("strong", {}, payload.approver_id), "."),
    warnings.length ? h("ul", { class: "warnings" }, warnings.map((w) => h("li", {}, w))) : null,
    h("h4", { id: "review-checks-h" }, "Checks in this page"),
    gateList("review-checks"),
    ack,
    table({
      id: "review-table",
      caption: "Override payload (parmana.override/v1)",
      columns: ["Field", "Value"],
      rows: Object.entries(payload).map(([k, v]) => h("tr", {}, h("th", { scope: "row", class: "mono" }, k), h("td", { class: "mono value", id: `review-${k}` }, v))),
    }),
    h("details", {}, h("summary", {}, "Exact bytes signed (RFC 8785 canonical JSON)"), h("pre", { class: "mono wrap", id: "review-jcs" }, canonicalize(payload))),
    h("p", { id: "sign-gate", class: "sign-gate", dataset: { status: "checking" }, "aria-live": "polite" }),
    h("div", { class: "actions" }, sign, cancel)].filter(Boolean));
  panel.hidden = false;
  updateGate();
  byId("review-h").focus();

  cancel.addEventListener("click", () => {
    state.review = null;
    clear(panel);
    panel.hidden = true;
    byId("review-button").focus();
  });
  sign.addEventListener("click", () => submitOverride(sign, cancel));
}

async function submitOverride(signButton, cancelButton) {
  const review = state.review;
  if (!review || !state.key || review.signing) return;
  // The button is disabled while the gate is closed; check again in case it was not.
  const gate = gateOf(review.payload.resolution, review.acknowledged);
  if (!gate.ok) {
    signButton.disabled = true;
    announce(`Not signed. ${GATE_TITLES[gate.status] ?? ""} ${gate.text}`);
    return;
  }
  if (review.payload.key_id !== state.key.keyId) {
    showError({ code: "invalid_request", message: "the key changed since the review; review again" }, "Not signed");
    return;
  }
  if (serverNow().ms - parseTime(review.payload.resolved_at) > REVIEW_MAX_AGE_MS) {
    showError({ code: "invalid_request", message: "this review is more than 5 minutes old: review again, so that resolved_at is current" }, "Not signed");
    return;
  }
  review.signing = true;
  signButton.disabled = true;
  cancelButton.disabled = true;
  signButton.textContent = "Signing…";
  announce("Signing and submitting the override…");
  const token = state.renderToken;
  try {
    const envelope = await signOverride(state.key, review.payload);
    const result = await api("POST", `executions/${encodeURIComponent(review.executionId)}/override`, envelope);
    state.review = null;
    const q = result.quorum;
    const progress = q ? ` — ${q.approvals} of ${q.required} approval${q.required === 1 ? "" : "s"}` : "";
    const msg = `Override recorded at audit seq ${result.seq}: the execution is ${STATE_LABELS[result.execution_state] ?? result.execution_state}${progress}.`;
    if (token === state.renderToken) route();
    announce(msg);
  } catch (e) {
    showError(e, "The override was not accepted");
    review.signing = false;
    cancelButton.disabled = false;
    signButton.textContent = "Sign and submit again";
    updateGate();
  }
}

// ---- lineage -------------------------------------------------------------------------

function lineageSection(ex, policy) {
  const p = attestationPayload(ex);
  const fields = ["type", "execution_id", "execution_fingerprint", "execution_state", "issued_at", "runtime_hash", "key_id"];
  const rows = fields.filter((f) => f in p).map((f) => h("tr", {},
    h("th", { scope: "row", class: "mono" }, f), h("td", { class: "mono value" }, String(p[f]))));
  if (p.policy) rows.push(h("tr", {}, h("th", { scope: "row", class: "mono" }, "policy"), h("td", { class: "mono value" }, jsonText(p.policy))));
  if (p.decision) rows.push(h("tr", {}, h("th", { scope: "row", class: "mono" }, "decision"), h("td", { class: "mono value" }, jsonText(p.decision))));
  const retry = h("button", { type: "button", id: "proof-retry", hidden: true }, "Retry proof");
  retry.addEventListener("click", () => checkProof(ex, state.trust, state.renderToken));
  return h("section", { class: "card", "aria-labelledby": "lineage-h" },
    h("h2", { id: "lineage-h" }, "Lineage and evidence"),
    h("h3", {}, "Policy"),
    dl([
      ["Policy id", mono(policy.policy_id ?? "—")],
      ["Version", mono(policy.version ?? "—")],
      ["Policy hash", hashText(policy.hash ?? policy.policy_hash)],
    ]),
    h("h3", {}, "Attestation"),
    table({ id: "attestation-table", caption: "Signed attestation payload", captionHidden: true, columns: ["Field", "Value"], rows }),
    dl([
      ["Attestation hash", hashText(ex.attestation_hash)],
      ["Audit seq", h("span", { id: "audit-seq", class: "mono" }, String(ex.seq ?? "—"))],
    ]),
    h("ul", { class: "checks", id: "attestation-checks" }, h("li", {}, verdict(null, "Checking the attestation…"))),
    h("h3", { id: "proof-h" }, "Audit inclusion proof"),
    h("p", { class: "lead" }, `Proof that audit entry ${ex.seq} (this execution) is in the log under a signed checkpoint, checked in this page.`),
    h("div", { id: "proof-status", class: "proof-status", dataset: { status: "checking" }, "aria-live": "polite" }, verdict(null, "Checking…")),
    h("ul", { class: "checks", id: "proof-checks" }),
    h("div", { id: "proof-details" }),
    retry);
}

// ---- checks done in the page -------------------------------------------------------------

async function runChecks(ex, trust, token) {
  const stale = () => token !== state.renderToken;
  // Signals → fingerprint
  const fpEl = byId("fingerprint-check");
  const attestedFingerprint = attestationPayload(ex).execution_fingerprint;
  if (isObject(ex.signals)) {
    try {
      const fp = await canonicalHash(ex.signals);
      if (stale()) return;
      const ok = fp === ex.execution_fingerprint && fp === attestedFingerprint;
      const text = ok
        ? `sha256(JCS(signals)) = ${fp}, the attested execution_fingerprint: these are the signals that were decided on.`
        : `sha256(JCS(signals)) = ${fp} does not match the attested execution_fingerprint ${attestedFingerprint}: do not approve.`;
      clear(fpEl).appendChild(verdict(ok, text));
      fpEl.dataset.status = ok ? "pass" : "fail";
      setCheck(token, "signals", ok ? "pass" : "fail", ok
        ? "sha256(JCS(signals)) is the attested execution_fingerprint"
        : `sha256(JCS(signals)) = ${fp}, not the attested execution_fingerprint ${attestedFingerprint}: the signals shown are not the ones decided on`);
    } catch (e) {
      if (stale()) return;
      clear(fpEl).appendChild(verdict(false, `The signals could not be canonicalized (${e.code ?? "error"}: ${e.message}).`));
      fpEl.dataset.status = "fail";
      setCheck(token, "signals", "fail", `the signals could not be canonicalized (${e.code ?? "error"}: ${e.message})`);
    }
  } else if (ex.signals !== null && ex.signals !== undefined) {
    clear(fpEl).appendChild(verdict(false, "The signals are not a JSON object: they cannot be the ones decided on."));
    fpEl.dataset.status = "fail";
    setCheck(token, "signals", "fail", "the server returned signals that are not a JSON object");
  }

  // Attestation: hash and signature
  if (!trust) {
    trust = await loadTrust(true).catch(() => null);
    if (stale()) return;
  }
  const attChecks = [];
  try {
    const ah = await canonicalHash(ex.attestation);
    attChecks.push([ah === ex.attestation_hash, ah === ex.attestation_hash
      ? "attestation_hash = sha256(JCS(attestation envelope))"
      : `sha256(JCS(attestation)) is ${ah}, not the attestation_hash the server gave`]);
  } catch (e) {
    attChecks.push([false, `the attestation could not be canonicalized (${e.message})`]);
  }
  const p = attestationPayload(ex);
  if (trust) {
    const sig = await verifyEnvelope(ex.attestation, trust, "attestation", p.issued_at);
    attChecks.push([sig.ok, sig.ok ? `signature valid: attestation key ${p.key_id}, trusted at ${p.issued_at}` : `signature: ${sig.reason}`]);
  } else {
    attChecks.push([null, "signature not checked: the trust store could not be loaded"]);
  }
  const typeOk = p.type === "parmana.attestation/v1" || p.type === "parmana.attestation/v2";
  attChecks.push([typeOk, `payload type ${p.type}`]);
  attChecks.push([p.execution_id === ex.execution_id, "the attestation names this execution"]);
  if (stale()) return;
  const attList = byId("attestation-checks");
  clear(attList).append(...attChecks.map(([ok, text]) => h("li", {}, verdict(ok, text))));
  const attOk = attChecks.every(([ok]) => ok === true);
  const attFailed = attChecks.filter(([ok]) => ok === false);
  attList.dataset.status = attOk ? "pass" : attFailed.length ? "fail" : "partial";
  if (attOk) {
    setCheck(token, "attestation", "pass", `attestation_hash and the signature of attestation key ${p.key_id} verify`);
  } else if (attFailed.length) {
    setCheck(token, "attestation", "fail", attFailed.map(([, text]) => text).join("; "));
  } else {
    setCheck(token, "attestation", "unverified", attChecks.filter(([ok]) => ok !== true).map(([, text]) => text).join("; "));
  }

  // Overrides and expiry
  const overrides = Array.isArray(ex.overrides) ? ex.overrides : [];
  const verified = {};
  for (let i = 0; i < overrides.length; i++) {
    const o = overrides[i];
    const cell = byId(`override-check-${i}`);
    let ok;
    let text;
    if (!trust) {
      ok = null;
      text = "not checked: no trust store";
    } else {
      const r = await verifyEnvelope(o, trust, "approver", o?.payload?.resolved_at);
      const approverOk = r.ok && r.key.approver_id === o.payload.approver_id;
      const hashOk = o?.payload?.attestation_hash === ex.attestation_hash;
      ok = r.ok && approverOk && hashOk;
      text = !r.ok ? r.reason : !approverOk ? "the key belongs to another approver" : !hashOk ? "names another attestation" : "valid, trusted approver key";
    }
    if (stale()) return;
    verified[i] = ok === true;
    if (cell) clear(cell).appendChild(verdict(ok, text));
  }
  showVerifiedQuorum(ex, trust ? verified : null, overrides.length);
  if (ex.expiry && trust) {
    const r = await verifyEnvelope(ex.expiry, trust, "attestation", ex.expiry?.payload?.expired_at);
    const cell = byId("expiry-check");
    if (!stale() && cell) clear(cell).appendChild(verdict(r.ok, r.ok ? "valid, signed by a runtime attestation key" : r.reason));
  }

  await checkProof(ex, trust, token);
}

/**
 * The approvals so far, counted from the override records whose signatures the page
 * verified (the attestation does not carry them), with where the count comes from.
 */
function showVerifiedQuorum(ex, verified, recordCount) {
  const q = quorumOf(ex, verified);
  const progress = byId("quorum-progress");
  const source = byId("quorum-source");
  if (!q || !progress || !source) return;
  progress.textContent = quorumText(q);
  progress.dataset.approvals = String(q.approvals);
  const by = byId("approved-by");
  if (by) by.textContent = approvedByText(q, ex.execution_state === "pending_override");
  const unverified = verified ? Object.values(verified).filter((ok) => !ok).length : 0;
  const parts = [];
  if (!verified) {
    parts.push("counted from the override records; their signatures could not be checked (no trust store)");
    source.dataset.source = "records";
  } else {
    parts.push(recordCount === 0
      ? "no override recorded"
      : `counted from the signed override records verified in this page: ${recordCount - unverified} of ${recordCount} verified`);
    if (unverified) parts.push(`${unverified} record${unverified === 1 ? "" : "s"} did not verify and ${unverified === 1 ? "is" : "are"} not counted`);
    source.dataset.source = "verified";
  }
  if (q.reported !== null && q.reported !== q.approvals) {
    parts.push(`the server reports ${q.reported}: only verified records are counted`);
    source.dataset.disagrees = "true";
  }
  source.textContent = `(${parts.join("; ")})`;
}

async function checkProof(ex, trust, token) {
  const statusEl = byId("proof-status");
  const list = byId("proof-checks");
  const details = byId("proof-details");
  const retry = byId("proof-retry");
  if (!statusEl) return;
  // The page's proof status → the signing gate's: only "verified" lets signing go on.
  const gateStatus = { checking: "checking", verified: "pass", failed: "fail", error: "unverified", not_yet_checkpointed: "waiting" };
  const set = (status, ok, text) => {
    if (token !== state.renderToken) return;
    statusEl.dataset.status = status;
    clear(statusEl).appendChild(verdict(ok, text));
    setCheck(token, "proof", gateStatus[status] ?? "unverified", text);
  };
  set("checking", null, "Checking…");
  clear(list);
  clear(details);
  retry.hidden = true;
  if (!Number.isSafeInteger(ex.seq)) {
    set("failed", false, "Failed: the execution has no audit seq");
    return;
  }
  try {
    if (!trust) trust = await loadTrust(true);
  } catch (e) {
    if (token !== state.renderToken) return;
    set("error", false, `Not checked: the trust store could not be loaded (${e.code}: ${e.message})`);
    retry.hidden = false;
    return;
  }
  let proof;
  try {
    proof = await api("GET", `audit/proofs/inclusion?seq=${ex.seq}`);
  } catch (e) {
    if (token !== state.renderToken) return;
    if (e instanceof ApiError && e.code === "not_yet_checkpointed") {
      set("not_yet_checkpointed", null, `Not yet checkpointed: ${e.message || "the entry is newer than the newest signed checkpoint"}. Retry shortly.`);
    } else {
      set("error", false, `Not checked: ${e.code ?? "error"}: ${e.message}`);
      showError(e, "Loading the inclusion proof");
    }
    retry.hidden = false;
    return;
  }
  let result;
  try {
    const recordHash = await canonicalHash(ex.attestation);
    result = await checkInclusionProof(proof, trust, {
      seq: ex.seq, kind: "execution", executionId: ex.execution_id, recordHash, fingerprint: attestationPayload(ex).execution_fingerprint,
    });
    if (recordHash !== ex.attestation_hash) {
      result.ok = false;
      result.reason = result.reason ?? "the attestation does not hash to attestation_hash";
    }
  } catch (e) {
    result = { ok: false, reason: `the proof could not be checked (${e.message})`, checks: [] };
  }
  if (token !== state.renderToken) return;
  if (result.ok) {
    set("verified", true, `Verified: entry ${ex.seq} is in the log of ${proof.tree_size} entries under checkpoint ${shortId(result.checkpoint?.root_hash)}…, signed at ${result.checkpoint?.issued_at}.`);
  } else {
    set("failed", false, `Failed: ${result.reason}`);
    retry.hidden = false;
  }
  list.append(...result.checks.map((c) => h("li", { dataset: { check: c.name } }, verdict(c.ok, `${c.name} — ${c.detail}`))));
  if (result.checkpoint) {
    details.appendChild(dl([
      ["Log id", mono(result.checkpoint.log_id ?? "—")],
      ["Tree size", mono(String(proof.tree_size))],
      ["Leaf index", mono(String(proof.leaf_index))],
      ["Entry hash", hashText(result.entryHash)],
      ["Checkpoint root", hashText(result.checkpoint.root_hash)],
      ["Checkpoint issued at", mono(result.checkpoint.issued_at ?? "—")],
      ["Checkpoint key", hashText(result.checkpoint.key_id)],
    ]));
  }
}

// ---- start ---------------------------------------------------------------------------

/** Says at once, not at signing time, when this browser cannot sign with Ed25519. */
async function checkWebCrypto() {
  try {
    // RFC 8032 §7.1 TEST 1 public key.
    await importPublicKey(unhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"));
  } catch (e) {
    state.cryptoProblem = e.code === "webcrypto_unavailable" ? e.message : `this browser has no Ed25519 in WebCrypto (${e.message})`;
    showError({
      code: "webcrypto_unavailable",
      message: e.code === "webcrypto_unavailable"
        ? e.message
        : `this browser has no Ed25519 in WebCrypto (${e.message}); use a current Chrome/Chromium (137 or later), Firefox (129 or later) or Safari (17 or later)`,
    }, "Signing is not possible here");
  }
}

function start() {
  setupToken();
  byId("skip-link").addEventListener("click", (ev) => {
    ev.preventDefault();
    byId("main").focus();
  });
  window.addEventListener("hashchange", () => {
    if (location.hash.startsWith("#/") || location.hash === "") route();
  });
  setInterval(tickTimeLeft, 1000);
  route();
  checkWebCrypto();
  if (!hasToken()) byId("token-input").focus();
  document.documentElement.dataset.ready = "true";
}

start();
