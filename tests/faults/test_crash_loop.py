"""Crash loop: workers SIGKILLed at random every 1-3 s; no task is lost or left active.

At-least-once is the contract: a task whose worker died mid-run is recovered when its lease
expires and runs again, so the figure that matters is *lost* (must be 0) and how many ran twice.
"""

from __future__ import annotations

import os
import random
import signal
import time

import redis

from pyasynq import Client, Task
from pyasynq.broker import keys
from tests.faults.conftest import runs, spawn

Q = "default"


def enqueue_all(url: str, n: int, ms: int) -> list[str]:
    client = Client(url)
    try:
        ids: list[str] = []
        for start in range(0, n, 500):
            batch = [
                (Task("job", str(ms).encode()), {"max_retry": 10_000, "retention": 3600})
                for _ in range(start, min(n, start + 500))
            ]
            results = client.enqueue_many(batch)
            assert not [r for r in results if isinstance(r, Exception)]
            ids.extend(r.id for r in results)  # type: ignore[union-attr]
        return ids
    finally:
        client.close()


def state_counts(r: redis.Redis) -> dict[str, int]:
    return {
        "pending": r.llen(keys.pending(Q)),
        "active": r.llen(keys.active(Q)),
        "lease": r.zcard(keys.lease(Q)),
        "scheduled": r.zcard(keys.scheduled(Q)),
        "retry": r.zcard(keys.retry(Q)),
        "archived": r.zcard(keys.archived(Q)),
        "completed": r.zcard(keys.completed(Q)),
    }


def test_crash_loop_loses_nothing(aof_redis, tmp_path, profile, report):
    url = aof_redis.url
    r = redis.Redis.from_url(url)
    n = profile.crash_tasks
    ids = enqueue_all(url, n, profile.crash_task_ms)
    rng = random.Random(int(os.environ.get("PYASYNQ_FAULTS_SEED", "9")))
    logs = tmp_path / "logs"
    logs.mkdir()
    args = ("worker", url, str(tmp_path), "--concurrency", "8", "--lease", "5")
    workers = [spawn(*args, log=logs / f"w{i}.log") for i in range(2)]
    kills = 0
    started = time.monotonic()
    try:
        # Kill while work remains, and for at least the minimum time (tasks recovered after a
        # kill are themselves processed under fire).
        while True:
            time.sleep(rng.uniform(1.0, 3.0))
            done = r.zcard(keys.completed(Q))
            if done >= n and time.monotonic() - started >= profile.crash_min_kill_seconds:
                break
            if time.monotonic() - started > profile.crash_min_kill_seconds * 6:
                break  # the checks below say what is missing
            victim = rng.randrange(len(workers))
            workers[victim].send_signal(signal.SIGKILL)
            workers[victim].wait()
            kills += 1
            workers[victim] = spawn(*args, log=logs / f"w{victim}.log")
        kill_seconds = time.monotonic() - started
        # Let the survivors finish: recovered tasks come back within lease + cutoff + interval.
        end = time.monotonic() + 60
        while time.monotonic() < end:
            counts = state_counts(r)
            if counts["completed"] >= n and counts["active"] == 0 and counts["pending"] == 0:
                break
            time.sleep(0.2)
    finally:
        for w in workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
        for w in workers:
            try:
                w.wait(20)
            except Exception:
                w.kill()
    counts = state_counts(r)
    completed = {m.decode() for m in r.zrange(keys.completed(Q), 0, -1)}
    ran = runs(tmp_path)
    lost = [i for i in ids if i not in completed]
    twice = sum(1 for i in ids if ran[i] >= 2)
    report(
        scenario="crash loop (2 workers, SIGKILL every 1-3 s)",
        tasks=n,
        kills=kills,
        outages=0,
        inputs=0,
        lost=len(lost),
        run_twice=twice,
        never_ran=sum(1 for i in ids if ran[i] == 0),
        kill_seconds=round(kill_seconds, 1),
    )
    assert kills >= 5
    assert not lost, f"{len(lost)} tasks never completed; states: {counts}"
    assert all(ran[i] >= 1 for i in ids)
    assert counts["active"] == 0 and counts["lease"] == 0 and counts["pending"] == 0
    assert counts["retry"] == 0 and counts["archived"] == 0 and counts["completed"] == n
    r.close()
