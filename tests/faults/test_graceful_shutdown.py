"""Graceful shutdown under load: SIGTERM while long tasks are in flight.

Tasks that finish within ``shutdown_timeout`` are acknowledged; the others go back to pending
and another worker finishes them. Either way each task is counted once as processed, never as
failed, and the process exits 0 within the timeout (plus start-up/bookkeeping slack).
"""

from __future__ import annotations

import signal
import time

import redis

from pyasynq import Client, Task
from pyasynq.broker import keys
from tests.faults.conftest import runs, spawn

Q = "default"
SHUTDOWN_TIMEOUT = 1.5


def heartbeating(r: redis.Redis, pid: int) -> bool:
    """The worker process has started its Server (its signal handlers are in place)."""
    return any(f":{pid}:".encode() in m for m in r.zrange(keys.ALL_SERVERS, 0, -1))


def test_sigterm_under_load_finishes_or_requeues(aof_redis, tmp_path, profile, report):
    url = aof_redis.url
    r = redis.Redis.from_url(url)
    n = profile.shutdown_tasks
    client = Client(url)
    # half finish within the shutdown timeout, half are too long and must be requeued
    ids = [
        client.enqueue(Task("job", b"700" if i % 2 else b"2500"), max_retry=0, retention=3600).id
        for i in range(n)
    ]
    client.close()
    logs = tmp_path / "logs"
    logs.mkdir()
    args = (
        "worker",
        url,
        str(tmp_path),
        "--concurrency",
        "8",
        "--shutdown-timeout",
        str(SHUTDOWN_TIMEOUT),
    )
    workers = [spawn(*args, log=logs / f"w{i}.log") for i in range(2)]
    terms, exit_times, codes = 0, [], []
    turn = 0
    try:
        end = time.monotonic() + 180
        # two SIGTERMs, each sent the moment tasks are in flight (not on a fixed beat, which a
        # loaded machine can miss), then let the survivors finish everything
        while terms < 2 and r.zcard(keys.completed(Q)) < n and time.monotonic() < end:
            victim = workers[turn % 2]
            if r.llen(keys.active(Q)) == 0 or not heartbeating(r, victim.pid):
                time.sleep(0.05)
                continue
            t0 = time.monotonic()
            victim.send_signal(signal.SIGTERM)
            codes.append(victim.wait(30))
            exit_times.append(time.monotonic() - t0)
            terms += 1
            workers[turn % 2] = spawn(*args, log=logs / f"w{turn % 2}.log")
            turn += 1
        while r.zcard(keys.completed(Q)) < n and time.monotonic() < end:
            time.sleep(0.2)
    finally:
        time.sleep(3)  # a just-restarted worker must be up (signal handlers set) before SIGTERM
        for w in workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
        codes += [w.wait(30) for w in workers]
    completed = {m.decode() for m in r.zrange(keys.completed(Q), 0, -1)}
    ran = runs(tmp_path)
    processed = int(r.get(keys.processed_total(Q)) or 0)
    failed = int(r.get(keys.failed_total(Q)) or 0)
    lost = sum(1 for i in ids if i not in completed)
    report(
        scenario=f"graceful shutdown (SIGTERM under load, timeout {SHUTDOWN_TIMEOUT:g} s)",
        tasks=n,
        kills=terms,
        outages=0,
        inputs=0,
        lost=lost,
        run_twice=sum(1 for i in ids if ran[i] >= 2),
        processed_counted=processed,
        slowest_exit=round(max(exit_times, default=0), 2),
    )
    assert terms >= 2
    assert codes and all(c == 0 for c in codes), codes
    assert max(exit_times) < SHUTDOWN_TIMEOUT + 3.5, exit_times
    assert lost == 0
    assert processed == n and failed == 0, "a task was counted twice (or as failed)"
    assert r.llen(keys.active(Q)) == 0 and r.llen(keys.pending(Q)) == 0
    assert r.zcard(keys.retry(Q)) == 0 and r.zcard(keys.archived(Q)) == 0
