"""Producer side of the benchmark, one system per process: ``python -m bench.enqueue SYSTEM MODE N``.

MODE is ``single`` (one call per task), ``batch`` (the library's bulk API, 1,000 per call) or
``preload`` (fastest way to fill the queue before a processing run; not timed by the report).
Prints ``{"rate": tasks_per_second}``. ``bare`` and ``bare-min`` are the redis-py baselines.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid

URL = os.environ["BENCH_REDIS_URL"]
BATCH = 1000


def _timed(fn, n: int) -> float:
    t0 = time.perf_counter()
    fn(n)
    return n / (time.perf_counter() - t0)


def pyasynq(mode: str, n: int) -> float:
    from pyasynq import Client, Task

    c = Client(URL)
    c.enqueue(Task("warmup"))
    if mode == "single":
        task = Task("noop")

        def go(k: int) -> None:
            for _ in range(k):
                c.enqueue(task)

        return _timed(go, n)

    def batch(k: int) -> None:
        for i in range(0, k, BATCH):
            res = c.enqueue_many([Task("noop")] * min(BATCH, k - i))
            assert not isinstance(res[0], Exception), res[0]

    return _timed(batch, n)


def bare(mode: str, n: int) -> float:
    """redis-py alone doing the Redis work of one pyasynq ``enqueue``: EVALSHA of
    enqueue_notify.lua (Go's §4.2 script plus the hand-off check and the wake-up PUBLISH; the queue's SADD is sent
    once, as Go does) with a pre-encoded message and a fresh uuid4 id per task."""
    import redis

    from pyasynq.broker import scripts

    r = redis.Redis.from_url(URL)
    r.sadd("asynq:queues", "default")
    sha = r.script_load(scripts.source("enqueue_notify"))
    msg = b"\n\x04noop\x1a$" + b"0" * 36 + b'"\x07default(\x19@\x88\x0e'

    def go(k: int) -> None:
        for _ in range(k):
            tid = str(uuid.uuid4())
            r.evalsha(
                sha,
                6,
                f"asynq:{{default}}:t:{tid}",
                "asynq:{default}:pending",
                "asynq:{default}:paused",
                "asynq:{default}:active",
                "asynq:{default}:lease",
                "pyasynq:{default}:idle",
                msg,
                tid,
                time.time_ns(),
                "pyasynq:wake",
                "default",
                "pyasynq:handoff:",
            )

    return _timed(go, n)


def bare_min(mode: str, n: int) -> float:
    """Go's own enqueue.lua by bare EVALSHA (no wake-up), for reference."""
    import redis

    from pyasynq.broker import scripts

    r = redis.Redis.from_url(URL)
    sha = r.script_load(scripts.source("enqueue"))
    msg = b"\n\x04noop\x1a$" + b"0" * 36 + b'"\x07default(\x19@\x88\x0e'

    def go(k: int) -> None:
        for _ in range(k):
            tid = str(uuid.uuid4())
            r.evalsha(
                sha,
                2,
                f"asynq:{{default}}:t:{tid}",
                "asynq:{default}:pending",
                msg,
                tid,
                time.time_ns(),
            )

    return _timed(go, n)


def rq(mode: str, n: int) -> float:
    from redis import Redis
    from rq import Queue

    from bench.peers.rq_tasks import noop

    q = Queue("default", connection=Redis.from_url(URL))
    if mode == "single":

        def go(k: int) -> None:
            for _ in range(k):
                q.enqueue(noop)

        return _timed(go, n)

    def batch(k: int) -> None:
        for i in range(0, k, BATCH):
            data = [Queue.prepare_data(noop) for _ in range(min(BATCH, k - i))]
            with q.connection.pipeline() as pipe:
                q.enqueue_many(data, pipeline=pipe)
                pipe.execute()

    return _timed(batch, n)


def arq(mode: str, n: int) -> float:
    from arq import create_pool
    from arq.connections import RedisSettings

    async def main() -> float:
        pool = await create_pool(RedisSettings.from_dsn(URL))
        t0 = time.perf_counter()
        if mode == "single":
            for _ in range(n):
                await pool.enqueue_job("noop")
        else:  # no bulk API: the fastest fill is many concurrent enqueue_job calls
            for i in range(0, n, 500):
                await asyncio.gather(*(pool.enqueue_job("noop") for _ in range(min(500, n - i))))
        rate = n / (time.perf_counter() - t0)
        await pool.aclose()
        return rate

    return asyncio.run(main())


def celery(mode: str, n: int) -> float:
    from bench.peers.celery_tasks import app, noop

    noop.delay()  # connect
    if mode == "single":

        def go(k: int) -> None:
            for _ in range(k):
                noop.delay()

        return _timed(go, n)

    def fill(k: int) -> None:  # no bulk API: reuse one producer
        with app.producer_or_acquire() as producer:
            for _ in range(k):
                noop.apply_async(producer=producer)

    return _timed(fill, n)


def dramatiq(mode: str, n: int) -> float:
    from bench.peers.dramatiq_tasks import noop

    noop.send()

    def go(k: int) -> None:  # no bulk API
        for _ in range(k):
            noop.send()

    return _timed(go, n)


SYSTEMS = {
    "pyasynq": pyasynq,
    "bare": bare,
    "bare-min": bare_min,
    "rq": rq,
    "arq": arq,
    "celery": celery,
    "dramatiq": dramatiq,
}


def interleaved(systems: list[str], mode: str, n: int, rounds: int) -> dict[str, list[float]]:
    """``rounds`` rounds of ``n`` tasks per system, the systems taking turns in each round, so
    a burst of load from elsewhere on the machine hits them alike; returns per-round rates."""
    rates: dict[str, list[float]] = {s: [] for s in systems}
    for _ in range(rounds):
        for s in systems:
            rates[s].append(SYSTEMS[s](mode, n))
    return rates


if __name__ == "__main__":
    system, mode, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "rounds":  # python -m bench.enqueue sys1,sys2 rounds N ROUNDS SUBMODE
        print(json.dumps(interleaved(system.split(","), sys.argv[5], count, int(sys.argv[4]))))
    else:
        print(json.dumps({"rate": SYSTEMS[system]("batch" if mode == "preload" else mode, count)}))
