"""``pyasynq worker``: option parsing and the multi-process supervisor with real processes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import click
import pytest

from pyasynq import Client, Task
from pyasynq.broker import keys
from pyasynq.cli.worker import load_handler, parse_queues
from tests.support.worker_util import wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_parse_queues_and_load_handler():
    assert parse_queues("critical=6,default=3,low=1") == {"critical": 6, "default": 3, "low": 1}
    assert parse_queues("a, b=2") == {"a": 1, "b": 2}
    for bad in ("", "a=x", "a=0", "=3"):
        with pytest.raises(click.BadParameter):
            parse_queues(bad)
    assert load_handler("tests.support.worker_handlers:mux").patterns == ["quick", "slow"]
    with pytest.raises(click.BadParameter):
        load_handler("tests.support.worker_handlers:nope")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is not alive
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def server_pids(r) -> set[int]:
    out = set()
    for member in r.zrange(keys.ALL_SERVERS, 0, -1):
        m = re.match(r"asynq:servers:\{.*:(\d+):[^:]+\}$", member.decode())
        if m and r.exists(member):
            out.add(int(m.group(1)))
    return out


def test_supervisor_restarts_dead_child_and_forwards_sigterm(redis_url, r):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from pyasynq.cli import main; main()",
            "worker",
            "tests.support.worker_handlers:mux",
            "--redis-url",
            redis_url,
            "--concurrency",
            "2",
            "--async-concurrency",
            "50",
            "--queues",
            "critical=6,default=3,low=1",
            "--processes",
            "2",
            "--shutdown-timeout",
            "1",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": ROOT},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seen: set[int] = set()
    victim = -1
    try:
        first = wait_for(lambda: p if len(p := server_pids(r)) == 2 else None, timeout=20)
        seen |= first
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: server_pids(r) - first, timeout=20)
        seen |= server_pids(r)
        client = Client(redis_url)
        ids = [
            client.enqueue(Task("quick"), retention=60, queue=q).id
            for q in ("critical", "default", "low")
            for _ in range(4)
        ]
        wait_for(
            lambda: sum(r.zcard(keys.completed(q)) for q in ("critical", "default", "low")) == 12,
            timeout=20,
        )
        workers = {
            int(r.hget(keys.task_key(q, i), "result"))
            for q in ("critical", "default", "low")
            for i in ids
            if r.exists(keys.task_key(q, i))
        }
        assert victim not in workers and workers <= seen
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert len(seen) == 3
    wait_for(lambda: not any(alive(p) for p in seen), timeout=5)
    # the SIGKILLed child could not clear its heartbeat; it expires with its TTL (10 s)
    assert server_pids(r) <= {victim}
