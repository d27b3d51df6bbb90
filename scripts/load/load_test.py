"""Driver of scripts/load-test.sh: in-process durable decide, then HTTP at each connection count.

Usage: load_test.py PARMANA WORKDIR SECONDS CONN [CONN ...]
Prints one line per phase and a summary table; exits 1 if any HTTP request was not 201
or the audit log of a phase does not verify.
"""
import json
import os
import resource
import subprocess
import sys
import time

from harness import init_workspace, start_server

parmana, work, seconds, conns = sys.argv[1], sys.argv[2], int(sys.argv[3]), [int(c) for c in sys.argv[4:]]
here = os.path.dirname(os.path.abspath(__file__))
ticks = os.sysconf("SC_CLK_TCK")


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def proc_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (proc(5) fields 14, 15)


def init(name):
    return init_workspace(parmana, os.path.join(work, name))


results = {"seconds": seconds, "load_average_before": os.getloadavg()[0]}

# Baseline: in-process durable decide with as many callers as the largest connection count.
callers = max(conns)
ws = init("inproc")
before = children_cpu()
out = subprocess.run([parmana, "bench", "decide", "--dir", ws, "--concurrency", str(callers), "--seconds", str(seconds),
                      "--json"], check=True, capture_output=True, text=True).stdout
cpu = children_cpu() - before
inproc = json.loads(out)
inproc["cpu_us_per_decision"] = cpu * 1e6 / inproc["decisions"]
results["in_process"] = inproc
print(f"== in process, {callers} callers: {inproc['decisions_per_second']:.0f} decisions/s, "
      f"CPU {inproc['cpu_us_per_decision']:.0f} µs/decision", flush=True)

failed = []
results["http"] = []
for c in conns:
    ws = init(f"http-{c}")
    server, port, token = start_server(parmana, ws, os.path.join(work, f"serve-{c}.err"), "load-test")
    threads = min(2, c)
    if c == max(conns):
        # The HTTP stack's floor: the same connections on GET /healthz (no decision).
        server_before, wrk_before = proc_cpu(server.pid), children_cpu()
        floor = subprocess.run(["wrk", f"-t{threads}", f"-c{c}", f"-d{max(seconds // 2, 2)}s", "-s",
                                os.path.join(here, "healthz.lua"), f"http://127.0.0.1:{port}/healthz"],
                               check=True, capture_output=True, text=True)
        fl = json.loads(floor.stdout.strip().splitlines()[-1])
        fl["server_cpu_us_per_request"] = (proc_cpu(server.pid) - server_before) * 1e6 / max(fl["requests"], 1)
        fl["wrk_cpu_us_per_request"] = (children_cpu() - wrk_before) * 1e6 / max(fl["requests"], 1)
        results["http_floor_healthz"] = fl
        print(f"== HTTP floor, GET /healthz, {c} connections: {fl['requests_per_second']:.0f} requests/s; CPU server "
              f"{fl['server_cpu_us_per_request']:.0f} µs/request, wrk {fl['wrk_cpu_us_per_request']:.0f} µs/request", flush=True)
    server_before, wrk_before = proc_cpu(server.pid), children_cpu()
    wrk = subprocess.run(["wrk", f"-t{threads}", f"-c{c}", f"-d{seconds}s", "-s", os.path.join(here, "decisions.lua"),
                          f"http://127.0.0.1:{port}"], check=True, capture_output=True, text=True,
                         env={**os.environ, "PARMANA_TOKEN": token})
    server_cpu, wrk_cpu = proc_cpu(server.pid) - server_before, children_cpu() - wrk_before
    server.terminate()
    server.wait()
    row = json.loads(wrk.stdout.strip().splitlines()[-1])
    row["connections"] = c
    row["server_cpu_us_per_decision"] = server_cpu * 1e6 / max(row["requests"], 1)
    row["wrk_cpu_us_per_request"] = wrk_cpu * 1e6 / max(row["requests"], 1)
    verify = subprocess.run([parmana, "audit", "verify", "--dir", ws], capture_output=True, text=True)
    row["audit_verify"] = verify.stdout.splitlines()[0] if verify.stdout else verify.stderr.strip()
    if row["non_2xx"] or row["socket_errors"]:
        failed.append(f"{c} connections: {row['non_2xx']} non-2xx answers, {row['socket_errors']} socket errors")
    if verify.returncode != 0:
        failed.append(f"{c} connections: audit verify: {row['audit_verify']}")
    results["http"].append(row)
    print(f"== HTTP, {c} keep-alive connections: {row['requests_per_second']:.0f} decisions/s, p50 {row['p50_ms']:.2f} ms, "
          f"p99 {row['p99_ms']:.2f} ms; CPU server {row['server_cpu_us_per_decision']:.0f} µs/decision, "
          f"wrk {row['wrk_cpu_us_per_request']:.0f} µs/request; {row['audit_verify']}", flush=True)

results["load_average_after"] = os.getloadavg()[0]
print()
print(f"| connections | decisions/s | p50 | p99 | ratio vs in-process ({callers} callers) | server CPU µs/decision | wrk CPU µs/request |")
print("|---|---|---|---|---|---|---|")
print(f"| in process | {inproc['decisions_per_second']:.0f} | | | 1 (baseline) | {inproc['cpu_us_per_decision']:.0f} | |")
for row in results["http"]:
    row["ratio_vs_in_process"] = row["requests_per_second"] / inproc["decisions_per_second"]
    print(f"| {row['connections']} | {row['requests_per_second']:.0f} | {row['p50_ms']:.2f} ms | {row['p99_ms']:.2f} ms | "
          f"{row['ratio_vs_in_process']:.2f}× | {row['server_cpu_us_per_decision']:.0f} | {row['wrk_cpu_us_per_request']:.0f} |")
if "http_floor_healthz" in results:
    fl = results["http_floor_healthz"]
    print(f"| GET /healthz, {max(conns)} (the HTTP stack alone) | {fl['requests_per_second']:.0f} requests/s | {fl['p50_ms']:.2f} ms | "
          f"{fl['p99_ms']:.2f} ms | | {fl['server_cpu_us_per_request']:.0f} | {fl['wrk_cpu_us_per_request']:.0f} |")
    # Two cores: a decision over HTTP costs at least the in-process decision plus the HTTP
    # stack's request, plus wrk's request, all on the same cores.
    inp = inproc["cpu_us_per_decision"]
    bound = inp / (inp + fl["server_cpu_us_per_request"] + fl["wrk_cpu_us_per_request"])
    results["cpu_bound_ratio"] = bound
    print(f"CPU-bound ratio from this run: {inp:.0f} / ({inp:.0f} + {fl['server_cpu_us_per_request']:.0f} + "
          f"{fl['wrk_cpu_us_per_request']:.0f}) = {bound:.2f}× (HTTP durable / in-process, if the cores are the limit)")
print(f"load average: {results['load_average_before']:.2f} before, {results['load_average_after']:.2f} after")
if os.environ.get("LOAD_TEST_JSON"):
    json.dump(results, open(os.environ["LOAD_TEST_JSON"], "w"), indent=2)
if failed:
    sys.exit("load-test: FAILED\n  " + "\n  ".join(failed))
