// The console's only door to the server: fetch calls to /v1/..., authenticated by a
// bearer token the user typed in. The token lives in this module (and, only if the
// user asks, in sessionStorage for this tab); it is never put in a cookie, a URL or
// a log, and fetch never sends cookies.

const STORAGE_KEY = "parmana.console.token";
let token = null;

try {
  token = sessionStorage.getItem(STORAGE_KEY);
} catch {
  token = null;
}

export function hasToken() {
  return typeof token === "string" && token.length > 0;
}

/** Keeps the token in memory; with `remember`, also in this tab's sessionStorage. */
export function setToken(value, remember) {
  token = value;
  try {
    if (remember) sessionStorage.setItem(STORAGE_KEY, value);
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage refused (private mode, policy): memory only.
  }
}

export function clearToken() {
  token = null;
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // nothing stored
  }
}

export function tokenRemembered() {
  try {
    return sessionStorage.getItem(STORAGE_KEY) !== null;
  } catch {
    return false;
  }
}

// ---- the server's clock -------------------------------------------------------
// Times shown and signed (time left, resolved_at) come from the server's clock: the
// `server_time` of the latest response plus the browser's monotonic time since it
// arrived. The browser's wall clock is used only before any server_time was seen.

let clock = null; // {serverMs, at: performance.now() when it arrived, text}

const TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z$/;

/** Milliseconds since the epoch of a `YYYY-MM-DDTHH:MM:SS.mmmZ` time, or NaN. */
export function parseTime(text) {
  const m = typeof text === "string" ? TIME.exec(text) : null;
  if (!m) return NaN;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +m[7]);
}

/** The wire form of a time: `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC, exactly three fractional digits). */
export function formatTime(ms) {
  return new Date(Math.floor(ms)).toISOString();
}

export function noteServerTime(text) {
  const ms = parseTime(text);
  if (!Number.isNaN(ms)) clock = { serverMs: ms, at: performance.now(), text };
}

/** {ms, source: "server" | "browser"} — the best estimate of the server's now. */
export function serverNow() {
  if (clock) return { ms: clock.serverMs + (performance.now() - clock.at), source: "server" };
  return { ms: Date.now(), source: "browser" };
}

// ---- requests ------------------------------------------------------------------

export class ApiError extends Error {
  constructor(code, message, { status = 0, details = null, body = null } = {}) {
    super(message);
    this.code = code;
    this.status = status;
    this.details = details;
    this.body = body;
  }
}

/** The API's base path: the console is served at <prefix>/console/, the API at <prefix>/v1/. */
function apiBase() {
  const path = location.pathname;
  const at = path.lastIndexOf("/console");
  return (at >= 0 ? path.slice(0, at) : "") + "/v1/";
}

/**
 * Calls `/v1/<path>` (path without the /v1/ prefix, query included) and returns the
 * parsed JSON body. Errors become ApiError with the SPEC §13 code.
 */
export async function api(method, path, body) {
  if (!hasToken()) throw new ApiError("unauthorized", "enter an API token first");
  const headers = { Authorization: `Bearer ${token}`, Accept: "application/json" };
  const init = {
    method,
    headers,
    credentials: "omit",
    cache: "no-store",
    redirect: "error",
    referrerPolicy: "no-referrer",
  };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(apiBase() + path, init);
  } catch (e) {
    throw new ApiError("network_error", `the server could not be reached (${e.message})`);
  }
  const text = await response.text();
  let json = null;
  try {
    json = text.length ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (json && typeof json.server_time === "string") noteServerTime(json.server_time);
  if (!response.ok) {
    const err = json?.error;
    if (err && typeof err.code === "string") {
      throw new ApiError(err.code, typeof err.message === "string" ? err.message : "", {
        status: response.status, details: err.details ?? null, body: json,
      });
    }
    throw new ApiError(`http_${response.status}`, `the server answered ${response.status} without a Parmana error body`, {
      status: response.status,
    });
  }
  if (json === null) {
    throw new ApiError("invalid_json", `the server's answer to ${method} /v1/${path} is not JSON`, { status: response.status });
  }
  return json;
}
