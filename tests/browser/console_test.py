#!/usr/bin/env python3
"""Browser test of the approver console (SPEC §19.5) in headless Chromium.

Drives the console at BASE/console the way an approver would: enters the API token,
reads the pending queue, opens an execution that needs two approvals, checks that the
page refuses to sign over tampered data (served by a tampering proxy in front of the
server: signals, attestation signature, top-level decision, inclusion proof, missing
signals), loads approver key A, approves (→ "1 of 2", still pending), switches to key B,
approves (→ approved), rejects another execution, opens an expired one, checks that the
inclusion proof is verified in the page, and runs selftest.html. Saves a screenshot of
each page.

Preconditions on the server (the test reads them through the API, it does not create them):
  - exactly 2 executions in state pending_override: one whose quorum needs 2 approvals
    (approved here by A then B) and one other (rejected here by B);
  - at least 1 execution in state override_expired (found through GET /v1/audit/entries,
    or named with --expired-id);
  - keys A and B registered in the trust store as approvers with distinct approver_ids;
  - TOKEN holds the admin role (read + override; admin also lets the test ask for a
    checkpoint with POST /v1/audit/checkpoints when a proof is not yet checkpointed).
  - the console is served from BASE over http://127.0.0.1/localhost or HTTPS (WebCrypto
    needs a secure context).

Usage:
  scripts/browser-setup.sh            # once: Chromium, chromedriver, selenium
  python3 tests/browser/console_test.py BASE TOKEN KEY_A KEY_B [--screenshots DIR]
      [--expired-id ID] [--timeout SECONDS] [--proof-timeout SECONDS]
Example:
  python3 tests/browser/console_test.py http://127.0.0.1:8080 "$ADMIN_TOKEN" \\
      alice.key bob.key --screenshots /tmp/console-shots

Output: one line per check ("ok - …" / "FAIL - …"), then "N passed, N failed".
Exit status 0 only when every check passed.
"""

import argparse
import base64
import http.client
import http.server
import json
import os
import ssl
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
CSP_DIRECTIVES = ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
                  "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"]


class CheckFailed(Exception):
    pass


HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
              "transfer-encoding", "upgrade", "content-length", "host", "accept-encoding", "date", "server"}


class TamperProxy:
    """A reverse proxy on 127.0.0.1 in front of the server, serving what a compromised
    server or a man in the middle could: it forwards every request and, for the
    execution `target`, alters the answer as `mode` says. The console is loaded through
    it (its own origin), so the page sees the tampered data exactly as it would from a
    server, over the same fetch calls, CSP and all.

    modes: None (forward as is), "slow-proof" (the inclusion proof answered `delay`
    seconds late), "signals" (a signal's value changed), "signature" (the attestation's
    signature altered), "decision" (the top-level decision and quorum say one approval
    of a low-risk decision, in the execution and in the queue), "proof" (the proof's
    entry names another record hash), "no-signals" (signals and explanation withheld).
    """

    def __init__(self, upstream):
        u = urllib.parse.urlsplit(upstream)
        self.scheme, self.host, self.port = u.scheme, u.hostname, u.port or (443 if u.scheme == "https" else 80)
        self.mode = None
        self.target = None
        self.delay = 5.0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                if proxy.scheme == "https":
                    conn = http.client.HTTPSConnection(proxy.host, proxy.port, timeout=30, context=ssl._create_unverified_context())
                else:
                    conn = http.client.HTTPConnection(proxy.host, proxy.port, timeout=30)
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    r = conn.getresponse()
                    data = proxy.tamper(self.command, self.path, r.status, r.read())
                    self.send_response(r.status)
                    for k, v in r.getheaders():
                        if k.lower() not in HOP_BY_HOP:
                            self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                finally:
                    conn.close()

            do_GET = do_POST = do_HEAD = do_DELETE = do_PUT = forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def tamper(self, method, path, status, data):
        mode = self.mode
        if not mode or method != "GET" or status != 200:
            return data
        route = urllib.parse.urlsplit(path).path
        if route == "/v1/audit/proofs/inclusion":
            if mode == "slow-proof":
                time.sleep(self.delay)
            elif mode == "proof":
                proof = json.loads(data)
                h = proof["entry"]["record_hash"]
                proof["entry"]["record_hash"] = h[:-1] + ("0" if h[-1] != "0" else "1")
                return json.dumps(proof).encode()
            return data
        if route == f"/v1/executions/{self.target}":
            return json.dumps(self.tamper_execution(json.loads(data))).encode()
        if route == "/v1/executions" and mode == "decision":
            page = json.loads(data)
            page["executions"] = [self.tamper_execution(e) if e.get("execution_id") == self.target else e
                                  for e in page.get("executions", [])]
            return json.dumps(page).encode()
        return data

    def tamper_execution(self, ex):
        mode = self.mode
        if mode == "signals":
            signals = dict(ex["signals"])
            signals["amount"] = signals["amount"] * 10 if isinstance(signals.get("amount"), (int, float)) else 1
            ex["signals"] = signals
        elif mode == "signature":
            sig = bytearray(base64.b64decode(ex["attestation"]["signature"]))
            sig[0] ^= 0x01
            ex["attestation"]["signature"] = base64.b64encode(bytes(sig)).decode()
        elif mode == "decision":
            ex["decision"] = dict(ex["decision"], reason="low_risk", override={"approvals": 1, "expires_at": None})
            ex["quorum"] = dict(ex.get("quorum") or {}, required=1, expires_at=None)
        elif mode == "no-signals":
            ex["signals"] = None
            ex["explanation"] = None
        return ex


class Run:
    def __init__(self, args):
        self.args = args
        self.base = args.base.rstrip("/")
        self.passed = 0
        self.failed = 0
        self.driver = None
        self.shots = args.screenshots
        os.makedirs(self.shots, exist_ok=True)

    # ---- reporting ---------------------------------------------------------------

    def ok(self, name, detail=""):
        self.passed += 1
        print(f"ok - {name}{(': ' + detail) if detail else ''}", flush=True)

    def fail(self, name, detail):
        self.failed += 1
        print(f"FAIL - {name}: {detail}", flush=True)

    def check(self, cond, name, detail=""):
        if cond:
            self.ok(name, detail)
        else:
            raise CheckFailed(f"{name}: {detail}")

    # ---- API (urllib, for preconditions and cross-checks) ----------------------------------

    def api(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Authorization": f"Bearer {self.args.token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                return r.status, json.loads(r.read() or b"null"), dict(r.headers)
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw), dict(e.headers)
            except ValueError:
                return e.code, None, dict(e.headers)

    def preconditions(self):
        status, page, _ = self.api("GET", "/v1/executions?state=pending_override&limit=500")
        self.check(status == 200, "API lists pending executions", f"HTTP {status}")
        pending = page.get("executions", [])
        self.check(len(pending) == 2, "exactly 2 pending executions on the server", f"{len(pending)} found")

        def required(ex):
            q = ex.get("quorum") or {}
            return q.get("required") or ((ex.get("decision") or ex["attestation"]["payload"]["decision"]).get("override") or {}).get("approvals") or 1

        doubles = [e for e in pending if required(e) == 2]
        self.check(len(doubles) == 1, "one pending execution needs 2 approvals", f"{[required(e) for e in pending]}")
        self.double = doubles[0]
        self.single = next(e for e in pending if e is not self.double)
        self.key_a = json.load(open(self.args.key_a))
        self.key_b = json.load(open(self.args.key_b))
        self.check(self.key_a.get("approver_id") != self.key_b.get("approver_id"), "keys A and B are distinct approvers",
                   f"{self.key_a.get('approver_id')} / {self.key_b.get('approver_id')}")
        self.secrets = [self.key_a["private_key"], self.key_b["private_key"]]
        self.expired_id = self.args.expired_id or self.find_expired()
        self.check(self.expired_id is not None, "an override_expired execution exists", str(self.expired_id))
        status, _, headers = self.raw_get("/console/")
        csp = headers.get("Content-Security-Policy", "")
        missing = [d for d in CSP_DIRECTIVES if d not in csp]
        self.check(status == 200 and not missing, "GET /console/ is served with the strict CSP",
                   f"HTTP {status}, missing {missing}" if missing else csp)

    def raw_get(self, path):
        try:
            with urllib.request.urlopen(self.base + path, timeout=20) as r:
                return r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read(), dict(e.headers)

    def find_expired(self):
        start = 1
        found = None
        for _ in range(50):
            status, body, _ = self.api("GET", f"/v1/audit/entries?from={start}&limit=1000")
            if status != 200 or not body or not body.get("entries"):
                break
            for item in body["entries"]:
                entry = item.get("entry", item)
                if entry.get("kind") == "override_expired":
                    found = entry.get("execution_id")
            start += len(body["entries"])
            if start > body.get("size", 0):
                break
        return found

    # ---- browser ------------------------------------------------------------------------

    def start_browser(self):
        os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download anything
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
                  "--disable-gpu", "--no-first-run", "--disable-extensions", "--disable-background-networking",
                  "--lang=en-US"]:
            opts.add_argument(a)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        self.driver.set_page_load_timeout(30)
        caps = self.driver.capabilities
        print(f"# browser: {caps.get('browserName')} {caps.get('browserVersion')}, "
              f"chromedriver {caps.get('chrome', {}).get('chromedriverVersion', '?').split(' ')[0]}", flush=True)

    def wait(self, cond, what, timeout=None):
        try:
            return WebDriverWait(self.driver, timeout or self.args.timeout, poll_frequency=0.1,
                                 ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: cond(d))
        except TimeoutException:
            raise CheckFailed(f"timed out waiting for {what}") from None

    def el(self, id_):
        return self.driver.find_element(By.ID, id_)

    # Read in one script call, so an element the page replaces meanwhile is never stale.
    def attr(self, id_, name):
        return self.driver.execute_script(
            "const e = document.getElementById(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;", id_, name)

    def text(self, id_):
        return self.driver.execute_script(
            "const e = document.getElementById(arguments[0]); return e ? e.innerText.trim() : '';", id_)

    def shot(self, name):
        """Full-page screenshot (the window grows to the page's height)."""
        d = self.driver
        height = d.execute_script("return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)")
        d.set_window_size(1280, min(max(int(height) + 40, 800), 8000))
        time.sleep(0.2)
        path = os.path.join(self.shots, f"{name}.png")
        d.save_screenshot(path)
        d.set_window_size(1280, 1000)
        print(f"# screenshot: {path}", flush=True)

    def browser_errors(self):
        """Console errors, CSP violations included (they are logged as SEVERE)."""
        out = []
        for entry in self.driver.get_log("browser"):
            msg = entry.get("message", "")
            if entry.get("level") == "SEVERE" or "Content Security Policy" in msg:
                # A 4xx/5xx answer the page handled (e.g. 409 not_yet_checkpointed, the
                # deliberate 401) is logged by Chromium as a failed resource: not a page error.
                if "Failed to load resource" in msg and "/v1/" in msg:
                    continue
                out.append(msg)
        return out

    def network_requests(self):
        reqs = []
        for entry in self.driver.get_log("performance"):
            try:
                m = json.loads(entry["message"])["message"]
            except (ValueError, KeyError):
                continue
            if m.get("method") == "Network.requestWillBeSent":
                r = m["params"]["request"]
                reqs.append({"url": r.get("url", ""), "method": r.get("method"),
                             "headers": {k.lower(): v for k, v in r.get("headers", {}).items()},
                             "body": r.get("postData", "")})
        return reqs

    # ---- the flow -------------------------------------------------------------------------

    def enter_token(self, token):
        self.wait(lambda d: d.find_element(By.ID, "token-input").is_displayed(), "the token field")
        field = self.el("token-input")
        field.clear()
        field.send_keys(token)
        field.send_keys(Keys.ENTER)

    def open_console(self):
        d = self.driver
        d.get(self.base + "/console")
        self.wait(lambda d: d.execute_script("return document.documentElement.dataset.ready === 'true'"), "the console to start")
        self.check(d.current_url.rstrip("/").endswith("/console") and self.el("token-input").get_attribute("type") == "password",
                   "console opens with a password-type token field", d.current_url)
        label = d.find_elements(By.CSS_SELECTOR, "label[for=token-input]")
        self.check(bool(label) and label[0].text.strip() != "", "token field is labelled", label[0].text if label else "")

        # A wrong token is refused, and the error shows its SPEC §13 code.
        self.enter_token("not-the-token")
        self.wait(lambda d: "unauthorized" in self.text("messages"), "the unauthorized error")
        self.check(self.attr("messages", "role") == "alert", "errors appear in a role=alert region with their code",
                   self.text("messages").splitlines()[0] if self.text("messages") else "")
        self.el("token-forget").click()
        self.enter_token(self.args.token)

    def queue(self):
        d = self.driver
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#queue-table tbody tr"), "the queue table")
        rows = d.find_elements(By.CSS_SELECTOR, "#queue-table tbody tr")
        ids = [r.get_attribute("data-execution-id") for r in rows]
        self.check(len(rows) == 2, "queue shows the 2 pending executions", ", ".join(ids))
        self.check(ids[0] in (self.double["execution_id"], self.single["execution_id"]) and set(ids) == {self.double["execution_id"], self.single["execution_id"]},
                   "queue rows are the server's pending executions")
        row = d.find_element(By.CSS_SELECTOR, f"#queue-table tr[data-execution-id='{self.double['execution_id']}']")
        self.check("0 of 2 approvals" in row.text, "queue row shows '0 of 2 approvals'", row.text.replace("\n", " | "))
        self.check(("left" in row.text) or ("no expiry" in row.text), "queue row shows the time left", row.text.replace("\n", " | "))
        policy = (self.double.get("policy") or self.double["attestation"]["payload"]["policy"])["policy_id"]
        self.check(policy in row.text, "queue row shows the policy id", policy)
        headers = d.find_elements(By.CSS_SELECTOR, "#queue-table thead th[scope=col]")
        self.check(len(headers) >= 5, "queue table has column headers with scope", str(len(headers)))
        options = [o.get_attribute("value") for o in Select(self.el("policy-filter")).options]
        self.check(policy in options, "policy filter lists the policies from GET /v1/policies", ", ".join(o or "(all)" for o in options))
        self.shot("01-queue")

        # The filter narrows the queue when the two executions belong to different policies.
        other = (self.single.get("policy") or self.single["attestation"]["payload"]["policy"])["policy_id"]
        if other != policy and other in options:
            Select(self.el("policy-filter")).select_by_value(other)
            self.wait(lambda d: [r.get_attribute("data-execution-id") for r in d.find_elements(By.CSS_SELECTOR, "#queue-table tbody tr")]
                      == [self.single["execution_id"]], "the filtered queue")
            self.ok("policy filter shows only that policy's executions", other)
            Select(self.el("policy-filter")).select_by_value("")
            self.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#queue-table tbody tr")) == 2, "the unfiltered queue")

        # Keyboard: the row's link is focusable and Enter opens the execution.
        link = d.find_element(By.CSS_SELECTOR, f"#queue-table tr[data-execution-id='{self.double['execution_id']}'] a")
        link.send_keys(Keys.ENTER)

    def wait_execution(self, execution_id, state):
        self.wait(lambda d: self.attr("exec-state", "data-state") == state
                  and execution_id in self.text("page-heading"), f"execution {execution_id} in state {state}")

    def wait_proof(self):
        """Waits for the page's own inclusion-proof check; retries while not yet checkpointed."""
        deadline = time.time() + self.args.proof_timeout
        asked_checkpoint = False
        saw_not_yet = False
        while True:
            status = self.attr("proof-status", "data-status")
            if status == "verified":
                self.ok("inclusion proof verified in the page", self.text("proof-status"))
                if saw_not_yet:
                    self.ok("'not yet checkpointed' was shown and the retry button recovered it")
                return
            if status in ("failed", "error"):
                raise CheckFailed(f"inclusion proof: {status}: {self.text('proof-status')} / {self.text('proof-checks')}")
            if status == "not_yet_checkpointed":
                saw_not_yet = True
                if time.time() > deadline:
                    raise CheckFailed(f"the proof stayed not_yet_checkpointed: {self.text('proof-status')}")
                if not asked_checkpoint and time.time() > deadline - self.args.proof_timeout / 2:
                    self.api("POST", "/v1/audit/checkpoints", {})
                    asked_checkpoint = True
                time.sleep(1.0)
                retry = self.el("proof-retry")
                if retry.is_displayed():
                    retry.click()
            elif time.time() > deadline:
                raise CheckFailed(f"the proof check did not finish: {status}")
            time.sleep(0.2)

    def execution_page(self):
        ex = self.double
        self.wait_execution(ex["execution_id"], "pending_override")
        self.check(self.text("quorum-progress") == "0 of 2 approvals", "execution page shows '0 of 2 approvals'", self.text("quorum-progress"))
        rows = self.driver.find_elements(By.CSS_SELECTOR, "#signals-table tbody tr")
        self.check(len(rows) > 0, "signals shown as a table", f"{len(rows)} signals")
        self.wait(lambda d: self.attr("fingerprint-check", "data-status") in ("pass", "fail"), "the fingerprint check")
        self.check(self.attr("fingerprint-check", "data-status") == "pass", "signals hash to the attested execution_fingerprint",
                   self.text("fingerprint-check")[:100])
        self.wait(lambda d: self.attr("attestation-checks", "data-status") in ("pass", "fail", "partial"), "the attestation checks")
        self.check(self.attr("attestation-checks", "data-status") == "pass", "attestation hash and signature checked in the page",
                   self.text("attestation-checks").replace("\n", " | ")[:200])
        decision = ex.get("decision") or ex["attestation"]["payload"]["decision"]
        page = self.el("main").text
        self.check(decision["rule_id"] in page and decision["reason"] in page, "decision reason and deciding rule shown",
                   f"{decision['reason']} / {decision['rule_id']}")
        self.check(str(ex["seq"]) == self.text("audit-seq"), "audit seq shown", self.text("audit-seq"))
        self.wait_proof()
        self.shot("02-execution")

    def key_file_errors(self):
        """Bad key files are refused in the page, with a SPEC §13 code, and nothing is loaded."""
        base = json.load(open(self.args.key_a))
        other = json.load(open(self.args.key_b))
        cases = {
            "not-json.key": ("invalid_json", "this is not a key file"),
            "attestation-role.key": ("untrusted_key", json.dumps(dict(base, roles=["attestation"]))),
            "wrong-type.key": ("malformed_payload", json.dumps(dict(base, type="parmana.trust-store/v1"))),
            "bad-base64.key": ("invalid_encoding", json.dumps(dict(base, private_key=base["private_key"].rstrip("=")))),
            "mismatched-seed.key": ("invalid_key", json.dumps(dict(base, private_key=other["private_key"]))),
        }
        tmp = os.path.join(self.shots, "bad-keys")
        os.makedirs(tmp, exist_ok=True)
        for name, (code, content) in cases.items():
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write(content)
            self.el("key-file").send_keys(os.path.abspath(path))
            self.wait(lambda d: code in self.text("messages"), f"error {code} for {name}")
            self.check(self.attr("key-status", "data-loaded") == "false", f"bad key file refused in the page: {name} → {code}",
                       self.text("messages").splitlines()[0])
            os.remove(path)
        os.rmdir(tmp)

    def load_key(self, path, approver):
        self.el("key-file").send_keys(os.path.abspath(path))
        self.wait(lambda d: self.attr("key-status", "data-approver") == approver, f"key of {approver} to load")
        self.check(self.el("key-file").get_attribute("value") == "", "the file input is cleared after import")
        self.ok(f"key loaded: {approver}", self.text("key-status").splitlines()[0])

    def review(self, resolution, reason):
        """Fills the form and opens the review panel (nothing is signed)."""
        self.el(f"resolution-{resolution}").click()
        box = self.el("reason")
        box.clear()
        box.send_keys(reason)
        self.el("review-button").click()
        self.wait(lambda d: self.el("review-panel").is_displayed(), "the review panel")

    def gate(self):
        """The review panel's signing gate: (status, sign button enabled, explanation)."""
        return self.driver.execute_script(
            "const g = document.getElementById('sign-gate'), b = document.getElementById('sign-button');"
            "return [g ? g.dataset.status : null, b ? !b.disabled : null, g ? g.innerText.trim() : ''];")

    def gate_check(self, name):
        return self.driver.execute_script(
            "const li = document.querySelector(`#review-checks li[data-check='${arguments[0]}']`);"
            "return li ? [li.dataset.status, li.innerText.trim()] : [null, ''];", name)

    def wait_signable(self):
        """Waits until every check in the page passed and the sign button is enabled;
        drives the proof's retry (wait_proof) while the entry is not yet checkpointed."""
        deadline = time.time() + self.args.proof_timeout + self.args.timeout
        while True:
            status, enabled, text = self.gate()
            if status == "ok" and enabled:
                return text
            if status == "blocked":
                raise CheckFailed(f"signing blocked on genuine data: {text}")
            if self.attr("proof-status", "data-status") == "not_yet_checkpointed":
                self.wait_proof()
            if time.time() > deadline:
                raise CheckFailed(f"the sign button stayed disabled: {status}: {text}")
            time.sleep(0.1)

    def resolve(self, resolution, reason):
        """Fills the form, reviews (resolved_at shown before signing), signs and submits."""
        self.review(resolution, reason)
        status, enabled, _ = self.gate()
        if status != "ok":
            self.check(not enabled, "the sign button is disabled while the checks in the page run", f"gate {status}")
        text = self.wait_signable()
        self.check(all(self.gate_check(n)[0] == "pass" for n in ("signals", "attestation", "consistency", "proof")),
                   "genuine data: every check passed, the sign button is enabled", text)
        resolved_at = self.text("review-resolved_at")
        status, body, _ = self.api("GET", f"/v1/executions/{self.current}")
        server_time = body.get("server_time") if body else None
        self.check(self.text("review-resolution") == resolution, f"review shows resolution {resolution}")
        if server_time:
            skew = abs(iso_ms(resolved_at) - iso_ms(server_time)) / 1000
            self.check(skew < 120, "resolved_at shown before signing follows the server clock",
                       f"resolved_at {resolved_at}, server_time {server_time} (|Δ| {skew:.1f} s)")
        else:
            self.fail("server_time in GET /v1/executions/{id}", "missing: resolved_at cannot follow the server clock")
        self.el("sign-button").click()
        self.wait(lambda d: "Override recorded" in self.text("status") or self.text("messages"), "the override answer")
        if self.text("messages"):
            raise CheckFailed(f"override refused: {self.text('messages')}")
        self.ok(f"{resolution} signed in the page and accepted", self.text("status"))

    def blocked(self, check, label, what):
        """The review panel refuses to sign: gate blocked, button disabled, the failed check
        labelled in the explanation and in the list, and the page's banner says so."""
        self.wait(lambda d: self.gate()[0] == "blocked", f"the signing gate to block ({what})")
        status, enabled, text = self.gate()
        self.check(not enabled and self.attr("sign-button", "disabled") is not None,
                   f"{what}: sign button disabled", f"gate {status}")
        self.check(text.startswith("Signing blocked") and label in text,
                   f"{what}: the explanation names the failed check", text[:220])
        self.check(self.attr("sign-button", "aria-describedby") == "sign-gate",
                   f"{what}: the sign button is described by the explanation")
        st, _ = self.gate_check(check)
        self.check(st == "fail", f"{what}: check '{check}' listed as failed at review", st or "none")
        self.check(self.attr("check-banner", "data-status") == "fail" and "Checks in this page failed" in self.text("check-banner"),
                   f"{what}: the page shows that its checks failed", self.text("check-banner")[:160])

    def tampered(self):
        """Through a tampering proxy: the page never lets the approver sign over data it
        could not verify, and shows the attested decision, not the server's copy."""
        ex = self.double
        xid = ex["execution_id"]
        proxy = self.proxy
        proxy.target = xid
        d = self.driver
        attested = ex["attestation"]["payload"]["decision"]

        # Control: the same execution through the proxy, untampered, with the proof
        # answered late: the button waits for the checks, then lets the approver sign.
        proxy.mode = "slow-proof"
        d.get(proxy.base + f"/console/#/executions/{xid}")
        self.enter_token_if_needed()
        self.wait_execution(xid, "pending_override")
        self.load_key(self.args.key_a, self.key_a["approver_id"])
        self.review("approve", "tamper test: genuine data (not signed)")
        status, enabled, text = self.gate()
        self.check(status == "checking" and not enabled, "checks still running: sign button disabled", text[:160])
        self.wait(lambda d: self.gate()[0] == "ok", "the checks to pass", timeout=self.args.timeout + proxy.delay)
        status, enabled, text = self.gate()
        self.check(enabled, "checks finished and passed: sign button enabled", text[:120])
        self.el("review-cancel").click()

        cases = [
            ("signals", "signals", "Signals match the attested execution_fingerprint", "tampered signals"),
            ("signature", "attestation", "Attestation hash and signature verify", "tampered attestation signature"),
            ("decision", "consistency", "The server's fields agree with the signed attestation", "top-level decision differs from the attestation"),
            ("proof", "proof", "Audit inclusion proof verifies", "tampered inclusion proof"),
        ]
        for mode, check, label, what in cases:
            proxy.mode = mode
            self.el("exec-refresh").click()
            self.wait_execution(xid, "pending_override")
            self.review("approve", f"tamper test: {mode} (must not be signed)")
            self.blocked(check, label, what)
            if mode == "signals":
                self.check(self.attr("fingerprint-check", "data-status") == "fail", "tampered signals: fingerprint check fails",
                           self.text("fingerprint-check")[:120])
            if mode == "signature":
                self.check("signature does not verify" in self.gate_check("attestation")[1],
                           "tampered signature: 'the signature does not verify'", self.gate_check("attestation")[1][:160])
            if mode == "decision":
                self.check(self.text("decision-reason") == attested["reason"],
                           "the decision shown is the attested one, not the server's top-level copy",
                           f"shown {self.text('decision-reason')}, attested {attested['reason']}, server said low_risk")
                self.check(self.text("quorum-progress") == "0 of 2 approvals",
                           "approvals needed come from the attestation (2), not the server's quorum (1)", self.text("quorum-progress"))
                self.check("decision" in self.gate_check("consistency")[1] and "low_risk" in self.gate_check("consistency")[1],
                           "the disagreement is named", self.gate_check("consistency")[1][:200])
            self.shot(f"t-{mode}")
            self.el("review-cancel").click()

        # The queue flags the row whose top-level fields disagree with its attestation.
        proxy.mode = "decision"
        d.find_element(By.CSS_SELECTOR, ".site-header a[href='#/queue']").click()
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, f"#queue-table tr[data-execution-id='{xid}']"), "the queue")
        row = d.find_element(By.CSS_SELECTOR, f"#queue-table tr[data-execution-id='{xid}']")
        other = d.find_element(By.CSS_SELECTOR, f"#queue-table tr[data-execution-id='{self.single['execution_id']}']")
        self.check(row.find_elements(By.CSS_SELECTOR, "[data-problem=consistency]") and "0 of 2 approvals" in row.text
                   and attested["reason"] in row.text and "low_risk" not in row.text,
                   "queue: attested decision and quorum shown, the disagreeing row flagged", row.text.replace("\n", " | "))
        self.check(not other.find_elements(By.CSS_SELECTOR, "[data-problem]"), "queue: the genuine row is not flagged")

        # Signals withheld: a prominent warning, and approving needs an explicit acknowledgement.
        proxy.mode = "no-signals"
        d.find_element(By.CSS_SELECTOR, f"#queue-table tr[data-execution-id='{xid}'] a").click()
        self.wait_execution(xid, "pending_override")
        self.check("not available" in self.text("signals-missing"), "missing signals: a warning in the signals section",
                   self.text("signals-missing")[:120])
        self.wait(lambda d: self.attr("check-banner", "data-status") == "warn", "the missing-signals banner")
        self.review("approve", "tamper test: no signals (not signed)")
        self.wait(lambda d: self.gate()[0] in ("ack", "blocked"), "the signing gate")
        status, enabled, text = self.gate()
        self.check(status == "ack" and not enabled, "missing signals: sign button disabled until acknowledged", text[:160])
        label = d.find_elements(By.CSS_SELECTOR, "label[for=ack-no-signals]")
        self.check(bool(label) and label[0].text.strip() == "I approve without seeing the signals",
                   "the acknowledgement is a labelled checkbox", label[0].text if label else "none")
        self.el("ack-no-signals").send_keys(Keys.SPACE)  # keyboard
        self.wait(lambda d: self.gate()[0] == "ok", "the gate after the acknowledgement")
        self.check(self.gate()[1], "acknowledged: sign button enabled", self.gate()[2][:120])
        self.el("ack-no-signals").send_keys(Keys.SPACE)
        self.wait(lambda d: self.gate()[0] == "ack" and not self.gate()[1], "the gate after withdrawing the acknowledgement")
        self.ok("acknowledgement withdrawn: sign button disabled again")
        self.shot("t-no-signals")
        self.el("review-cancel").click()
        self.review("reject", "tamper test: no signals, reject (not signed)")
        self.wait(lambda d: self.gate()[0] in ("ok", "blocked", "ack"), "the signing gate for a rejection")
        self.check(self.gate()[0] == "ok" and self.gate()[1] and not d.find_elements(By.ID, "ack-no-signals"),
                   "missing signals: a rejection needs no acknowledgement", self.gate()[2][:120])
        self.el("review-cancel").click()

        # Back to the server itself, untampered (a new page: token and key are entered again).
        proxy.mode = None
        d.get(self.base + f"/console/#/executions/{xid}")
        self.enter_token_if_needed()
        self.wait_execution(xid, "pending_override")

    def approvals(self):
        ex = self.double
        self.current = ex["execution_id"]
        self.key_file_errors()
        self.load_key(self.args.key_a, self.key_a["approver_id"])
        self.resolve("approve", "checked the invoice against the contract (console test, approver A)")
        self.wait_execution(ex["execution_id"], "pending_override")
        self.wait(lambda d: self.text("quorum-progress") == "1 of 2 approvals", "'1 of 2 approvals'")
        self.ok("after approver A: '1 of 2 approvals', still pending", self.text("quorum-progress"))

        # The same approver again: the server refuses, and the page shows the code.
        self.el("resolution-approve").click()
        self.el("reason").send_keys("approving twice (console test)")
        self.el("review-button").click()
        self.wait(lambda d: self.el("review-panel").is_displayed(), "the review panel")
        self.wait_signable()
        self.el("sign-button").click()
        self.wait(lambda d: "override_already_resolved" in self.text("messages"), "the override_already_resolved error")
        self.ok("a second approval by the same approver is refused, code shown", self.text("messages").splitlines()[0])
        self.el("review-cancel").click()
        self.el("exec-refresh").click()
        self.wait_execution(ex["execution_id"], "pending_override")
        self.wait(lambda d: self.text("quorum-progress") == "1 of 2 approvals", "'1 of 2 approvals' after the refusal")
        self.wait(lambda d: self.driver.find_elements(By.CSS_SELECTOR, "#overrides-table tbody tr"), "the overrides table")
        self.check(self.key_a["approver_id"] in self.el("overrides-table").text, "the override so far lists approver A")
        self.wait(lambda d: self.attr("proof-status", "data-status") in ("verified", "failed", "error", "not_yet_checkpointed"), "the proof")
        self.shot("03-after-first-approval")

        self.load_key(self.args.key_b, self.key_b["approver_id"])
        self.resolve("approve", "second pair of eyes: beneficiary verified (console test, approver B)")
        self.wait_execution(ex["execution_id"], "override_approved")
        self.ok("after approver B: override_approved", self.text("quorum-progress"))
        self.check(not self.driver.find_elements(By.ID, "resolve"), "a resolved execution offers no approve/reject form")
        status, body, _ = self.api("GET", f"/v1/executions/{ex['execution_id']}")
        self.check(body and body.get("execution_state") == "override_approved", "the server agrees: override_approved",
                   str(body and body.get("execution_state")))
        self.shot("04-approved")

    def rejection(self):
        ex = self.single
        self.current = ex["execution_id"]
        # Back to the queue through the page's own navigation (no reload: token and key stay in memory).
        self.driver.find_element(By.CSS_SELECTOR, ".site-header a[href='#/queue']").click()
        self.wait(lambda d: [r.get_attribute("data-execution-id") for r in d.find_elements(By.CSS_SELECTOR, "#queue-table tbody tr")]
                  == [ex["execution_id"]], "the queue with the one execution left")
        self.ok("queue now holds only the other execution")
        self.driver.find_element(By.CSS_SELECTOR, f"#queue-table tr[data-execution-id='{ex['execution_id']}'] a").click()
        self.wait_execution(ex["execution_id"], "pending_override")
        self.check(self.attr("key-status", "data-approver") == self.key_b["approver_id"],
                   "the loaded key stays in memory across pages", self.attr("key-status", "data-approver") or "none")
        self.resolve("reject", "beneficiary could not be verified (console test)")
        self.wait_execution(ex["execution_id"], "override_rejected")
        self.ok("reject path: override_rejected", self.text("exec-state"))
        self.shot("05-rejected")

    def enter_token_if_needed(self):
        self.wait(lambda d: d.execute_script("return document.documentElement.dataset.ready === 'true'"), "the console to start")
        if self.el("token-input").is_displayed():
            self.enter_token(self.args.token)

    def expired(self):
        self.driver.get(self.base + f"/console/#/executions/{self.expired_id}")
        self.enter_token_if_needed()
        self.wait_execution(self.expired_id, "override_expired")
        self.ok("expired execution shows state override_expired", self.text("exec-state"))
        self.check(not self.driver.find_elements(By.ID, "resolve"), "an expired execution offers no approve/reject form")
        self.check(self.text("time-left") == "expired", "time left reads 'expired'", self.text("time-left"))
        self.wait(lambda d: self.attr("proof-status", "data-status") in ("verified", "failed", "error", "not_yet_checkpointed"), "the proof")
        self.shot("06-expired")

    def privacy(self):
        reqs = self.network_requests()
        leaked = [r["url"] for r in reqs if any(s in (r["body"] or "") or s in r["url"] for s in self.secrets)]
        self.check(not leaked, "no request carries a private key", f"{len(reqs)} requests inspected")
        stray = [r["url"] for r in reqs if "authorization" in r["headers"] and "/v1/" not in r["url"]]
        self.check(not stray, "the token is sent only to /v1/ API calls", ", ".join(stray))
        cookies = [r["url"] for r in reqs if "cookie" in r["headers"]]
        self.check(not cookies and self.driver.get_cookies() == [], "no cookies")
        overrides = [r for r in reqs if r["method"] == "POST" and r["url"].endswith("/override")]
        self.check(len(overrides) == 4, "4 override envelopes posted (one refused; none over tampered data)", str(len(overrides)))
        storage = self.driver.execute_script("return JSON.stringify(sessionStorage) + JSON.stringify(localStorage)")
        self.check(not any(s in storage for s in self.secrets), "no private key in web storage")

    def selftest(self):
        self.driver.get(self.base + "/console/selftest.html")
        self.wait(lambda d: self.attr("result", "data-status") in ("pass", "fail"), "the self-test", timeout=60)
        result = self.el("result")
        detail = result.text
        for row in self.driver.find_elements(By.CSS_SELECTOR, "#groups-body tr"):
            print(f"#   {row.get_attribute('data-group')}: {row.get_attribute('data-passed')} passed, {row.get_attribute('data-failed')} failed", flush=True)
        self.shot("07-selftest")
        self.check(result.get_attribute("data-status") == "pass", "selftest.html passes (JCS vectors incl. numbers.txt, Ed25519, Merkle)", detail)

    def run(self):
        try:
            self.preconditions()
        except (CheckFailed, OSError, KeyError, ValueError) as e:
            self.fail("preconditions", str(e))
            return self.finish()
        self.proxy = TamperProxy(self.base)
        try:
            self.start_browser()
        except WebDriverException as e:
            self.fail("start headless Chromium", str(e).splitlines()[0])
            return self.finish()
        try:
            for step in (self.open_console, self.queue, self.execution_page, self.tampered, self.approvals, self.rejection,
                         self.expired, self.privacy):
                step()
        except (CheckFailed, WebDriverException, KeyError) as e:
            self.fail("console flow", str(e).splitlines()[0] if str(e) else repr(e))
            if not isinstance(e, CheckFailed):
                traceback.print_exc()
            try:
                self.shot("failure")
                print(f"# page text at failure:\n{self.driver.find_element(By.TAG_NAME, 'body').text[:3000]}")
            except WebDriverException:
                pass
        errors = []
        try:
            errors = self.browser_errors()
            self.selftest()
        except (CheckFailed, WebDriverException) as e:
            self.fail("self-test", str(e).splitlines()[0])
        errors += self.browser_errors()
        if errors:
            self.fail("no console errors or CSP violations", " || ".join(errors)[:1500])
        else:
            self.ok("no console errors or CSP violations")
        return self.finish()

    def finish(self):
        if self.driver:
            self.driver.quit()
        if getattr(self, "proxy", None):
            self.proxy.stop()
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 0 if self.failed == 0 and self.passed > 0 else 1


def iso_ms(text):
    import datetime
    dt = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return dt.timestamp() * 1000


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("base", help="server base URL, e.g. http://127.0.0.1:8080 (the console is BASE/console)")
    p.add_argument("token", help="an admin API token")
    p.add_argument("key_a", help="approver A's key file (parmana keygen)")
    p.add_argument("key_b", help="approver B's key file")
    p.add_argument("--screenshots", default="console-screenshots", help="directory for the PNG screenshots")
    p.add_argument("--expired-id", help="an override_expired execution (default: found in GET /v1/audit/entries)")
    p.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for each page state")
    p.add_argument("--proof-timeout", type=float, default=40.0, help="seconds to wait for a proof to be checkpointed")
    sys.exit(Run(p.parse_args()).run())


if __name__ == "__main__":
    main()
