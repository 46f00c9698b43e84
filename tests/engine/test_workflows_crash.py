"""200 workflows while worker processes are SIGKILLed again and again: every workflow finishes
exactly once, every continuation is enqueued exactly once, every callback sees right results.

Execution is at-least-once (a task killed mid-run runs again), so a callback handler may run
twice; what must never happen is a lost or doubled *continuation*: the test counts enqueues
per workflow (written by the same script that records each outcome) and callback task ids.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import redis

from pyasynq import Client, Inspector, Task
from pyasynq.broker import keys
from pyasynq.broker.codec import decode_task
from pyasynq.extras.workflows import chain, chord, group

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = 200
BUDGET = 45.0  # seconds at most for the run (typically 10-25 s on a loaded 2-core machine)
MAX_KILLS = 6
TASKS = WORKFLOWS // 2 * 4 + WORKFLOWS // 2 * 5  # chains: 3 + callback; chords: 3 + 1 + 1


def heartbeat_pids(r: redis.Redis) -> tuple[set[int], set[int]]:
    """Pids of worker servers that sent a heartbeat (they are up), and of those whose last
    heartbeat listed tasks in flight (they are busy)."""
    live, busy = set(), set()
    for key in r.scan_iter("asynq:workers:*"):
        pid = int(key.decode().rsplit(":", 2)[-2])
        live.add(pid)
        if r.hlen(key):
            busy.add(pid)
    return live, busy


def spawn(url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.workflow_worker", url],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_sigkilled_workers_finish_every_workflow_exactly_once(redis_url):
    r = redis.Redis.from_url(redis_url)
    client = Client(redis_url)
    insp = Inspector(redis_url)
    expected: dict[str, tuple[list[int], int]] = {}  # id -> (callback parents, enqueues)
    for i in range(WORKFLOWS):
        if i % 2:
            flow = chain(Task("wstep", b"1"), Task("wstep", b"2"), Task("wstep", str(i)))
            want, members = [3 + i], 4
        else:
            flow = chord(group(Task("wstep", str(k)) for k in range(3)), Task("wstep", b"0"))
            want, members = [3], 5
        wf = client.enqueue_workflow(flow, on_success=Task("wcb"))
        expected[wf.id] = (want, members)
    rng = random.Random(int(os.environ.get("PYASYNQ_FAULTS_SEED", "19")))
    workers = [spawn(redis_url), spawn(redis_url)]
    kills = 0
    started = time.monotonic()
    try:
        while time.monotonic() - started < BUDGET:
            still_open = r.zcard("pyasynq:workflows:open")
            if not still_open:
                break
            time.sleep(0.1)
            # one SIGKILL each time another 7% of the tasks was processed (7%, 14%, ...),
            # so the kills are spread over the run however fast the machine is
            processed = int(r.get(keys.processed_total("default")) or 0)
            due = kills < MAX_KILLS and processed >= TASKS * 0.07 * (kills + 1)
            if not due:
                continue
            # a worker that is up (it sent a heartbeat; imports take a while on a loaded
            # machine), preferably one whose heartbeat lists tasks in flight
            live, busy = heartbeat_pids(r)
            victims = [i for i, w in enumerate(workers) if w.pid in busy] or [
                i for i, w in enumerate(workers) if w.pid in live
            ]
            if victims:
                victim = rng.choice(victims)
                os.kill(workers[victim].pid, signal.SIGKILL)
                workers[victim].wait()
                kills += 1
                workers[victim] = spawn(redis_url)
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            try:
                w.wait(timeout=10)
            except subprocess.TimeoutExpired:
                w.kill()
    elapsed = time.monotonic() - started
    states = Counter()
    recovered = 0  # members a killed worker held: their lease expired, they ran again
    for wid, (want, members) in expected.items():
        info = insp.get_workflow(wid)
        pipe = r.pipeline(transaction=False)
        for m in info.members:
            pipe.hget(keys.task_key(m.queue, m.id), "msg")
        recovered += sum(bool(decode_task(x).retried) for x in pipe.execute())
        states[info.state] += 1
        assert info.enqueues == members, (wid, info.enqueues)
        assert all(m.state == "completed" for m in info.members), wid
        assert [int(x) for x in (info.stages[-1][0].result,)] == want
    assert states == {"succeeded": WORKFLOWS}
    runs = [json.loads(x) for x in r.lrange("test:callbacks", 0, -1)]
    by_workflow: dict[str, set[str]] = {}
    for wid, task_id, got in runs:
        assert got == expected[wid][0]
        by_workflow.setdefault(wid, set()).add(task_id)
    assert set(by_workflow) == set(expected)  # every callback ran...
    assert all(len(ids) == 1 for ids in by_workflow.values())  # ...from one enqueue each
    print(
        f"\nWORKFLOWS {WORKFLOWS} workflows, {kills} SIGKILLs, {recovered} tasks recovered, "
        f"{elapsed:.1f}s, "
        f"{len(runs) - WORKFLOWS} callback re-runs (at-least-once execution)"
    )
    assert kills >= 4 and recovered > 0  # (a late milestone may come as the run ends)
