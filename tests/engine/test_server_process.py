"""Real worker processes: SIGKILL mid-task loses nothing; SIGTERM is a graceful shutdown."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from pyasynq import Client, Inspector, ManualClock, Task
from pyasynq.broker import keys
from tests.support.worker_util import fast_server, wait_for

Q = "default"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def spawn_worker(redis_url, *args):
    env = {**os.environ, "PYTHONPATH": ROOT}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pyasynq.cli._worker_process",
            "tests.support.worker_handlers:mux",
            "--redis-url",
            redis_url,
            *args,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_sigkill_mid_task_loses_nothing(redis_url, r):
    client = Client(redis_url)
    ids = [client.enqueue(Task("slow", b"60"), retention=3600).id for _ in range(6)]
    proc = spawn_worker(redis_url, "--concurrency", "4")
    try:
        wait_for(lambda: r.llen(keys.active(Q)) == 4, timeout=15)
    finally:
        proc.kill()
        proc.wait()
    assert r.llen(keys.active(Q)) == 4 and r.llen(keys.pending(Q)) == 2
    # Another server, whose clock is past lease (30 s) + recoverer cutoff (30 s), recovers them.
    clock = ManualClock(time.time() + 61)
    srv = fast_server(redis_url, clock=clock, retry_delay_func=lambda n, e, t: 0, concurrency=4)
    from pyasynq import ServeMux

    mux = ServeMux()
    mux.handle("slow", lambda ctx, task: task.result_writer.write(b"recovered"))
    srv.start(mux)
    try:
        wait_for(lambda: r.zcard(keys.completed(Q)) == 6, timeout=15)
    finally:
        srv.shutdown()
    assert sorted(m.decode() for m in r.zrange(keys.completed(Q), 0, -1)) == sorted(ids)
    assert r.llen(keys.active(Q)) == 0 and r.zcard(keys.lease(Q)) == 0
    assert r.zcard(keys.retry(Q)) == 0 and r.zcard(keys.archived(Q)) == 0
    # 4 recovered (failure counted once each) + 6 completions
    assert r.get(keys.failed_total(Q)) == b"4" and r.get(keys.processed_total(Q)) == b"10"


def test_sigterm_is_graceful_and_sigtstp_stops_fetching(redis_url, r):
    client = Client(redis_url)
    slow = client.enqueue(Task("slow", b"60")).id
    proc = spawn_worker(
        redis_url, "--concurrency", "2", "--shutdown-timeout", "0.5", "--heartbeat-interval", "0.2"
    )
    inspector = Inspector(redis_url)
    try:
        wait_for(lambda: r.llen(keys.active(Q)) == 1, timeout=15)
        proc.send_signal(signal.SIGTSTP)
        # the signal was handled: the heartbeat reports the server as stopped (no sleep guess)
        wait_for(lambda: [s.status for s in inspector.servers()] == ["stopped"], timeout=10)
        quick = client.enqueue(Task("quick"), retention=60).id
        time.sleep(2.0)  # longer than the 1.5 s idle poll: a fetching worker would take it
        assert r.lrange(keys.pending(Q), 0, -1) == [quick.encode()]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert set(r.lrange(keys.pending(Q), 0, -1)) == {slow.encode(), quick.encode()}
    assert r.llen(keys.active(Q)) == 0 and r.get(keys.processed_total(Q)) is None
    assert r.zcard(keys.ALL_SERVERS) == 0


@pytest.fixture(autouse=True)
def _no_leftovers():
    yield
