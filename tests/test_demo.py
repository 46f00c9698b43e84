"""``pyasynq demo`` end to end: a private Redis, live tasks in several states, a clean Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest

from pyasynq.extras.embedded_redis import free_port

pytestmark = pytest.mark.slow


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def state_totals(dashboard_html: str) -> dict[str, int]:
    """Sum the per-state counts of every queue row (links like ``?state=retry">3<``)."""
    totals: dict[str, int] = {}
    for state, count in re.findall(r'\?state=(\w+)">(\d+)<', dashboard_html):
        totals[state] = totals.get(state, 0) + int(count)
    return totals


def test_demo_runs_live_tasks_and_stops_cleanly():
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pyasynq.cli",
            "demo",
            "--port",
            str(port),
            "--rate",
            "25",
            "--failure-rate",
            "0.3",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}/monitoring"
    family: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read()
            try:
                if '"ok"' in get(base + "/health"):
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "console never answered"
            time.sleep(0.5)
        family = psutil.Process(proc.pid).children(recursive=True)
        assert any("redis-server" in " ".join(p.cmdline()) for p in family), "no private Redis"

        wanted = {"scheduled", "retry", "archived", "completed"}
        deadline = time.monotonic() + 90
        while True:
            totals = state_totals(get(base + "/"))
            if all(totals.get(s, 0) > 0 for s in wanted):
                break
            assert time.monotonic() < deadline, f"states never filled: {totals}"
            time.sleep(1)
        dashboard = get(base + "/")
        queue = next(
            q
            for q, n in re.findall(r'/queues/([\w-]+)\?state=archived">(\d+)<', dashboard)
            if int(n)
        )
        archived_page = get(f"{base}/queues/{queue}?state=archived")
        assert f"/monitoring/queues/{queue}/tasks/" in archived_page
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=45)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
            pytest.fail(f"demo did not stop on SIGINT:\n{out[-3000:]}")
    assert "demo: stopped" in out
    time.sleep(0.5)
    alive = [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not alive, f"left running: {[p.cmdline() for p in alive]}"


def _start_demo(port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    return subprocess.Popen(
        [sys.executable, "-m", "pyasynq.cli", "demo", "--port", str(port), "--rate", "5"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_healthy(proc: subprocess.Popen, base: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, "the demo exited during startup"
        try:
            if '"ok"' in get(base + "/health"):
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, "console never answered"
        time.sleep(0.5)


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGKILL], ids=["SIGHUP", "SIGKILL"])
def test_demo_leaves_nothing_behind_when_its_terminal_closes_or_it_is_killed(sig):
    """A closed terminal (SIGHUP) or a SIGKILL of the demo: every child dies, no temp dir stays."""
    port = free_port()
    proc = _start_demo(port)
    try:
        _wait_healthy(proc, f"http://127.0.0.1:{port}/monitoring")
        family = psutil.Process(proc.pid).children(recursive=True)
        names = " ".join(" ".join(p.cmdline()) for p in family)
        for part in ("redis-server", "pyasynq.examples.worker", "pyasynq.examples.scheduler",
                     "pyasynq.examples.producer", "gunicorn"):  # fmt: skip
            assert part in names, f"{part} not among the demo's processes: {names}"
        redis = next(p for p in family if "redis-server" in " ".join(p.cmdline()))
        redis_dir = redis.cwd()
        proc.send_signal(sig)
        proc.wait(45)
        gone, alive = psutil.wait_procs(family, timeout=30)
        alive = [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]
        assert not alive, f"left running after {sig.name}: {[p.cmdline() for p in alive]}"
        assert not os.path.exists(redis_dir.removesuffix(" (deleted)")), "temp dir left behind"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
