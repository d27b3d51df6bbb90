"""What the load scripts share: a fresh workspace and a `parmana serve` on a free port."""
import os
import socket
import subprocess
import sys
import time
import urllib.request


def init_workspace(parmana, path):
    """`parmana init --dir PATH` (quietly); returns PATH."""
    subprocess.run([parmana, "init", "--dir", path], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return path


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_server(parmana, ws, err_path, who):
    """Starts `parmana serve` on a free loopback port and waits for /readyz.

    Returns (process, port, admin token). Exits naming `who` and `err_path` if the server dies first.
    """
    port = free_port()
    server = subprocess.Popen([parmana, "serve", "--dir", ws, "--listen", f"127.0.0.1:{port}", "--log-level", "warning"],
                              stdout=subprocess.DEVNULL, stderr=open(err_path, "w"))
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1).read()
            break
        except OSError:
            if server.poll() is not None:
                sys.exit(f"{who}: the server exited with {server.returncode}; see {err_path}")
            time.sleep(0.1)
    token = open(os.path.join(ws, "tokens", "admin.token")).read().strip()
    return server, port, token
