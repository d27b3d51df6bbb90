"""Resident memory of `parmana serve` across many durable decisions (issue 10).

Usage: serve_rss.py PARMANA WORKDIR TOTAL [MARK ...]
Starts `parmana serve` on a fresh workspace (durable SQLite), sends decisions with
unique signals through wrk (scripts/load/decisions.lua, 16 keep-alive connections) in
slices of a few seconds, and reads VmRSS from /proc/PID/status after every slice.
Prints one progress line per slice to stderr and, on stdout, one JSON object: the RSS
at the first slice at or past each MARK (default: TOTAL/10 and TOTAL) and the peak.
Exits 1 if any request was not 201 or the audit log does not verify afterwards.
"""
import json
import os
import subprocess
import sys
import time

from harness import init_workspace, start_server

parmana, work, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
marks = [int(m) for m in sys.argv[4:]] or [total // 10, total]
here = os.path.dirname(os.path.abspath(__file__))
ws = os.path.join(work, "serve-rss")
init_workspace(parmana, ws)
server, port, token = start_server(parmana, ws, os.path.join(work, "serve-rss.err"), "serve-rss")


def rss_kib():
    for line in open(f"/proc/{server.pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


try:
    done, failures, samples, at_mark = 0, 0, [(0, rss_kib())], {}
    started = time.monotonic()
    while done < total:
        # wrk runs for a duration: slices of 5 s, the last one shortened by the rate so far.
        rate = done / (time.monotonic() - started) if done else 0
        secs = 5 if not rate else max(1, min(5, round((total - done) / rate)))
        out = subprocess.run(["wrk", "-t2", "-c16", f"-d{secs}s", "-s", os.path.join(here, "decisions.lua"),
                              f"http://127.0.0.1:{port}"], check=True, capture_output=True, text=True,
                             env={**os.environ, "PARMANA_TOKEN": token, "LOAD_RUN": str(len(samples))}).stdout
        row = json.loads(out.strip().splitlines()[-1])
        done += row["requests"]
        failures += row["non_2xx"] + row["socket_errors"]
        rss = rss_kib()
        samples.append((done, rss))
        for m in marks:
            if m not in at_mark and done >= m:
                at_mark[m] = {"decisions": done, "rss_mib": round(rss / 1024, 1)}
        print(f"serve-rss: {done:,} decisions, RSS {rss / 1024:.1f} MiB, {row['requests_per_second']:.0f}/s", file=sys.stderr, flush=True)
finally:
    server.terminate()
    server.wait()
verify = subprocess.run([parmana, "audit", "verify", "--dir", ws], capture_output=True, text=True)
result = {
    "decisions": done,
    "failures": failures,
    "rss_at": {str(m): v for m, v in sorted(at_mark.items())},
    "rss_peak_mib": round(max(r for _, r in samples) / 1024, 1),
    "rss_after_first_slice_mib": round(samples[1][1] / 1024, 1),
    "audit_verify": (verify.stdout or verify.stderr).splitlines()[0],
}
print(json.dumps(result))
if failures or verify.returncode != 0:
    sys.exit(f"serve-rss: FAILED: {failures} failed requests; audit verify: {result['audit_verify']}")
