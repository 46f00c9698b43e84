"""Figures for docs/security.md: sign-in cost and memory per page, against a real gunicorn.

    python -m bench.security_figures auth   [--seconds 8]
    python -m bench.security_figures memory [--tasks 100 --mb 50]
    python -m bench.security_figures compare --before DIR [--seconds 3 --rounds 3]

Each run starts its own redis-server and gunicorn on free loopback ports and stops them.
``--pythonpath DIR`` (``--before DIR`` for ``compare``) serves another copy of pyasynq (e.g. an older commit laid out as an
installed package) to compare before and after on one machine in one sitting; only ratios
within one run mean anything on a shared machine. Lay an older commit out as a package with
``git archive C engine console templates static | tar -x -C src`` and copy ``src/engine`` to
``DIR/pyasynq``, ``src/console`` to ``DIR/pyasynq/console``, and ``src/templates`` and
``src/static`` into ``DIR/pyasynq/console/``.

``auth``: requests/s for one client polling ``/api/queues`` with HTTP Basic (scrypt hash) and
with a form-login session cookie, plus a signed-in operator's latency while another client
tries random user names from the same address.
``memory``: enqueue ``--tasks`` tasks of ``--mb`` MB, then fetch the queue page and the list
API once; report response sizes and the gunicorn worker's peak RSS (VmHWM).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

ROOT = "/monitoring"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


@contextmanager
def redis_server() -> Iterator[str]:
    port, folder = free_port(), tempfile.mkdtemp()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", folder],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def gunicorn(
    env: dict[str, str], pythonpath: str | None, workers: int = 1
) -> Iterator[tuple[int, int]]:
    """(port, master pid) of a gunicorn serving the console with ``env``."""
    port = free_port()
    full = {**os.environ, **env}
    if pythonpath:
        full["PYTHONPATH"] = pythonpath
    cmd = [
        sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers",
        str(workers), "--timeout", "300", "--log-level", "warning", "pyasynq.console.wsgi:app",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=full, cwd=tempfile.gettempdir())
    try:
        wait_port(port)
        yield port, proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


def request(port: int, path: str, headers: dict[str, str] | None = None, method: str = "GET",
            body: str | None = None) -> tuple[int, bytes, Any]:  # fmt: skip
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data, resp


def basic(name: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}


def rate(port: int, headers: dict[str, str], seconds: float) -> float:
    request(port, ROOT + "/api/queues", headers)  # warm up: imports, Redis, first check
    done, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        status, _, _ = request(port, ROOT + "/api/queues", headers)
        assert status == 200, status
        done += 1
    return done / seconds


def form_cookie(port: int) -> dict[str, str]:
    status, page, resp = request(port, ROOT + "/login")
    cookie = resp.getheader("Set-Cookie").split(";")[0]
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
    body = f"csrf_token={token}&username=alice&password=op-pass"
    status, _, resp = request(
        port,
        ROOT + "/login",
        {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
        "POST",
        body,
    )
    assert status == 303, status
    return {"Cookie": resp.getheader("Set-Cookie").split(";")[0]}


def auth(args: argparse.Namespace) -> dict[str, Any]:
    from werkzeug.security import generate_password_hash

    users = f"alice:operator:{generate_password_hash('op-pass')}"  # scrypt, the default
    out: dict[str, Any] = {}
    with redis_server() as url:
        common = {"REDIS_URL": url, "CONSOLE_USERS": users, "CONSOLE_SECRET_KEY": "bench",
                  "CONSOLE_RECORD_THROUGHPUT": "0"}  # fmt: skip
        with gunicorn({**common, "CONSOLE_AUTH": "basic"}, args.pythonpath) as (port, _):
            out["basic_rps"] = rate(port, basic("alice", "op-pass"), args.seconds)
            latencies: list[float] = []
            stop = threading.Event()

            def attacker() -> None:
                i = 0
                while not stop.is_set():
                    request(port, ROOT + "/api/queues", basic(f"random{i}", "guess"))
                    i += 1

            threads = [threading.Thread(target=attacker, daemon=True) for _ in range(3)]
            for t in threads:
                t.start()
            start = time.monotonic()
            end = start + args.attack_seconds
            while time.monotonic() < end:
                t0 = time.monotonic()
                status, _, _ = request(port, ROOT + "/api/queues", basic("alice", "op-pass"))
                latencies.append((t0 - start, time.monotonic() - t0))
            stop.set()
            for t in threads:
                t.join(30)
            late = [d for at, d in latencies if at >= args.attack_seconds * 2 / 3] or [
                latencies[-1][1]
            ]
            out["operator_under_attack_requests"] = len(latencies)
            out["operator_under_attack_median_s_last_third"] = statistics.median(late)
            out["operator_under_attack_max_s"] = max(d for _, d in latencies)
            out["operator_under_attack_last_status"] = status
        with gunicorn({**common, "CONSOLE_AUTH": "form"}, args.pythonpath) as (port, _):
            out["session_rps"] = rate(port, form_cookie(port), args.seconds)
    out["session_over_basic"] = out["session_rps"] / out["basic_rps"]
    return out


def compare(args: argparse.Namespace) -> dict[str, Any]:
    """Basic and session requests/s of this copy and of ``--before``, in alternating windows."""
    from werkzeug.security import generate_password_hash

    if not args.before:
        raise SystemExit("compare needs --before DIR (an older pyasynq laid out as a package)")
    users = f"alice:operator:{generate_password_hash('op-pass')}"
    windows: dict[str, list[float]] = {}
    with redis_server() as url:
        base = {"REDIS_URL": url, "CONSOLE_USERS": users, "CONSOLE_SECRET_KEY": "bench",
                "CONSOLE_RECORD_THROUGHPUT": "0"}  # fmt: skip
        form, bas = {**base, "CONSOLE_AUTH": "form"}, {**base, "CONSOLE_AUTH": "basic"}
        with (
            gunicorn(form, None) as (fa, _),
            gunicorn(form, args.before) as (fb, _),
            gunicorn(bas, None) as (ba, _),
            gunicorn(bas, args.before) as (bb, _),
        ):
            targets = {
                "session_after": (fa, form_cookie(fa)),
                "session_before": (fb, form_cookie(fb)),
                "basic_after": (ba, basic("alice", "op-pass")),
                "basic_before": (bb, basic("alice", "op-pass")),
            }
            for _ in range(args.rounds):
                for name, (port, headers) in targets.items():
                    windows.setdefault(name, []).append(rate(port, headers, args.seconds))
    return {name: round(statistics.median(v), 1) for name, v in windows.items()}


def peak_rss_kib(master: int) -> int:
    children = subprocess.run(
        ["pgrep", "-P", str(master)], capture_output=True, text=True, check=False
    ).stdout.split()
    peak = 0
    for pid in children:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
    return peak


def memory(args: argparse.Namespace) -> dict[str, Any]:
    import redis

    from pyasynq import Client, Task

    out: dict[str, Any] = {"tasks": args.tasks, "payload_mb": args.mb}
    with redis_server() as url:
        client = Client(url)
        blob = b'{"data": "' + b"z" * (args.mb * 1024 * 1024 - 12) + b'"}'
        for _ in range(args.tasks):
            client.enqueue(Task("big", blob), queue="big")
        client.close()
        del blob
        env = {"REDIS_URL": url, "CONSOLE_SECRET_KEY": "bench", "CONSOLE_RECORD_THROUGHPUT": "0"}
        with gunicorn(env, args.pythonpath) as (port, master):
            time.sleep(1)
            out["worker_rss_idle_kib"] = peak_rss_kib(master)
            t0 = time.monotonic()
            status, body, _ = request(
                port, ROOT + f"/queues/big?state=pending&size={min(100, args.tasks)}"
            )
            out["page_status"], out["page_bytes"] = status, len(body)
            out["page_seconds"] = round(time.monotonic() - t0, 2)
            status, body, _ = request(
                port, ROOT + f"/api/queues/big/states/pending/tasks?size={args.tasks}"
            )
            out["api_status"], out["api_bytes"] = status, len(body)
            if status == 200:
                first = json.loads(body)["tasks"][0]
                status, body, _ = request(port, ROOT + f"/queues/big/tasks/{first['id']}")
                out["task_page_status"], out["task_page_bytes"] = status, len(body)
            out["worker_peak_rss_kib"] = peak_rss_kib(master)
        out["redis_used_memory_mb"] = round(
            redis.Redis.from_url(url).info("memory")["used_memory"] / 2**20
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=("auth", "memory", "compare"))
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--attack-seconds", type=float, default=30.0)
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--pythonpath", default=None)
    parser.add_argument("--before", default=None, help="compare: the older copy's package dir")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    result = {"auth": auth, "memory": memory, "compare": compare}[args.what](args)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
