"""Proof under real Servers: fleet-wide limits hold across processes, survive a SIGKILL, and
never cost a task a retry. Workers run as separate processes (tests/support/limits_worker.py)
or in-process Servers, all on the test's own Redis; handlers record starts and a running count
in Redis, which the tests read. The only fixed duration is the 10 s rate window the issue asks
for; everything else waits on events with short leases (2 s).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pyasynq import Client, Limits, Task
from pyasynq.broker import keys
from pyasynq.broker.codec import decode_task
from pyasynq.broker.extras import limits as lkeys
from tests.support.limits_worker import handler_for
from tests.support.worker_util import fast_server, wait_for

ROOT = Path(__file__).resolve().parents[2]
Q = "default"
LEASE = 2


def start_workers(redis_url: str, servers: int, concurrency: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.limits_worker", redis_url]
        + [str(servers), str(concurrency), str(LEASE)],
        cwd=ROOT,
        env=env,
    )


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def starts(r) -> list[float]:
    return sorted(float(x) for x in r.lrange("starts", 0, -1))


def all_tasks(r, q=Q):
    """Every task message of the queue, whatever its state."""
    out = []
    for key in r.scan_iter(match=keys.task_key_prefix(q) + "*", count=1000):
        out.append((decode_task(r.hget(key, "msg")), r.hget(key, "state").decode()))
    return out


def test_rate_limit_50_per_second_across_4_workers_in_2_processes(redis_url, r):
    Limits(redis_url).set_rate("fleet-rate", 50, per="1s", queue=Q)
    client = Client(redis_url)
    client.enqueue_many([(Task("noop"), {"queue": Q, "max_retry": 5, "retention": 600})] * 700)
    client.close()
    admissions: dict[bytes, float] = {}  # the limit's own log, read faster than it is trimmed
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.is_set():
            admissions.update(r.zrange(lkeys.rate_key("fleet-rate"), 0, -1, withscores=True))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    procs = [start_workers(redis_url, servers=2, concurrency=5) for _ in range(2)]
    try:
        wait_for(lambda: r.llen("starts") > 0, timeout=20, what="a first task start")
        t0 = starts(r)[0]
        time.sleep(max(0.0, t0 + 10.2 - time.time()))
    finally:
        for p in procs:
            stop(p)
        sampling.set()
        sampler.join()
    times = starts(r)
    in_window = [t for t in times if t0 <= t < t0 + 10]
    rate = len(in_window) / 10
    assert 45 <= rate <= 55, f"observed {rate}/s over 10 s"
    # exact among the workers: no 1 s window of the admission log holds more than 50
    log = sorted(admissions.values())
    assert len(log) == len(times)
    busiest = max(sum(1 for u in log if t <= u < t + 1) for t in log)
    assert busiest == 50, f"{busiest} admissions within one second"
    print(f"rate proof: {rate:.1f}/s observed over 10 s, busiest 1 s window {busiest}")
    tasks = all_tasks(r)
    assert len(tasks) == 700
    assert {m.retried for m, _ in tasks} == {0}, "a limited task lost a retry"
    states = {s for _, s in tasks}
    assert states <= {"completed", "pending", "scheduled"}, states
    assert sum(1 for _, s in tasks if s == "completed") == len(times)
    assert int(r.get(keys.failed_total(Q)) or 0) == 0


def test_concurrency_limit_3_with_20_slots_and_recovery_after_sigkill(redis_url, r):
    Limits(redis_url).set_concurrency("fleet-conc", 3, queue=Q)
    client = Client(redis_url)
    client.enqueue_many([(Task("work", b"0.15"), {"queue": Q})] * 18)
    worker = start_workers(redis_url, servers=2, concurrency=10)  # 20 slots
    holders: list[int] = []
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.is_set():
            holders.append(r.zcount(lkeys.holders_key("fleet-conc"), f"({time.time()}", "+inf"))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        wait_for(lambda: r.llen("starts") == 18, timeout=20, what="18 tasks run")
        samples = [int(x) for x in r.lrange("samples", 0, -1)]
        assert max(samples) == 3, samples  # reached, never exceeded
        # a SIGKILLed worker holding every slot: the slots come back within one lease
        client.enqueue_many([(Task("hang", b"60"), {"queue": Q})] * 3)
        wait_for(lambda: r.llen("starts") == 21, timeout=10, what="3 slot holders running")
        survivor = fast_server(redis_url, concurrency=20, lease_duration=LEASE)
        survivor.start(handler_for(r))  # 20 more slots, but the limit is full
        try:
            # killed first: a worker killed while it held "after" (dequeued, not yet refused and
            # given back) would leave it active until the recoverer's cutoff, another proof
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            killed = time.time()
            r.set("running", 0)
            client.enqueue(Task("after", b""), queue=Q)
            dead_until = max(
                s for _, s in r.zrange(lkeys.holders_key("fleet-conc"), 0, -1, withscores=True)
            )
            wait_for(lambda: r.llen("starts") == 22, timeout=10, what="a task after the kill")
            recovered = starts(r)[-1] - killed
        finally:
            survivor.shutdown()
    finally:
        sampling.set()
        sampler.join()
        stop(worker)
        client.close()
    assert max(holders) <= 3
    # the dead worker's slots were held until their lease ran out (not dropped early), which
    # is within one lease of the kill, and then reclaimed at the survivor's next poll
    lease_left = dead_until - killed
    assert 0 < lease_left <= LEASE
    assert lease_left - 0.05 <= recovered <= lease_left + 0.6, (lease_left, recovered)
    print(
        f"concurrency proof: peak {max(holders)} slots held; dead slots' lease ended "
        f"{lease_left:.2f}s after the kill, next task started after {recovered:.2f}s"
    )


def test_per_key_concurrency_limits_for_100_keys_hold_independently(redis_url, r):
    Limits(redis_url).set_concurrency("per-customer", 1, key="json:customer")
    lock = threading.Lock()
    running: dict[str, int] = {}
    peaks: dict[str, int] = {}
    overall: list[int] = []

    def handle(ctx, task):
        customer = json.loads(task.payload)["customer"]
        with lock:
            running[customer] = running.get(customer, 0) + 1
            peaks[customer] = max(peaks.get(customer, 0), running[customer])
            overall.append(sum(running.values()))
        ctx.wait(0.1)
        with lock:
            running[customer] -= 1

    client = Client(redis_url)
    payloads = [json.dumps({"customer": f"c{k}"}).encode() for k in range(100)] * 3
    client.enqueue_many([(Task("bill", p), {"queue": Q}) for p in payloads])
    servers = [fast_server(redis_url, concurrency=50, lease_duration=LEASE) for _ in range(2)]
    for s in servers:
        s.start(handle)
    try:
        wait_for(lambda: len(overall) == 300, timeout=30, what="300 tasks run")
    finally:
        for s in servers:
            s.shutdown()
        client.close()
    assert len(peaks) == 100 and set(peaks.values()) == {1}  # each key: one at a time
    assert max(overall) >= 50  # keys did not wait on one another


@pytest.mark.parametrize("pyasynq_servers", [2])
def test_go_worker_on_a_limited_queue_processes_everything_limit_exact_among_pyasynq(
    redis_url, r, pyasynq_servers
):
    """A "Go worker" (Go's dequeue.lua/done.lua, which our single-task scripts are) shares a
    queue limited to 2 concurrent tasks: it ignores the limit, loses nothing, and pyasynq's
    workers still never run more than 2 at once among themselves."""
    Limits(redis_url).set_concurrency("fleet", 2, queue=Q)
    lock = threading.Lock()
    state = {"running": 0, "peak": 0, "done": 0}

    def handle(ctx, task):
        with lock:
            state["running"] += 1
            state["peak"] = max(state["peak"], state["running"])
        ctx.wait(0.05)
        with lock:
            state["running"] -= 1
            state["done"] += 1

    client = Client(redis_url)
    client.enqueue_many([(Task("t", b""), {"queue": Q, "max_retry": 3})] * 60)
    go_done: list[str] = []
    stop_go = threading.Event()

    def go_worker() -> None:
        from pyasynq.broker.broker import Broker

        go = Broker(redis_url)
        while not stop_go.is_set():
            got = go.dequeue([Q])  # dequeue.lua: Go's script, no limit consulted
            if got is None:
                time.sleep(0.02)
                continue
            msg = decode_task(got[0])
            time.sleep(0.05)
            go.done(Q, msg.id, msg.unique_key)  # done.lua
            go_done.append(msg.id)
        go.close()

    servers = [fast_server(redis_url, concurrency=10) for _ in range(pyasynq_servers)]
    go_thread = threading.Thread(target=go_worker, daemon=True)
    for s in servers:
        s.start(handle)
    go_thread.start()
    try:
        wait_for(lambda: state["done"] + len(go_done) == 60, timeout=30, what="60 tasks done")
    finally:
        stop_go.set()
        go_thread.join()
        for s in servers:
            s.shutdown()
        client.close()
    assert state["peak"] == 2
    assert go_done, "the Go worker got no task"
    assert r.llen(keys.pending(Q)) == r.zcard(keys.scheduled(Q)) == r.llen(keys.active(Q)) == 0
    assert int(r.get(keys.processed_total(Q))) == 60
    assert int(r.get(keys.failed_total(Q)) or 0) == 0
