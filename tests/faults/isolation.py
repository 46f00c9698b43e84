"""How much one bad queue slows a worker's other queues (issue 15, item 1).

``measure(redis_url, tasks, bad=...)`` enqueues ``tasks`` no-op tasks to ``default``, makes
queue ``bad``'s ``pending`` a string when ``bad`` is true, runs a worker serving both queues
(equal weights) and returns how fast it drained ``default``. Both runs use the same worker
settings, so their ratio says what the bad queue costs; absolute figures depend on the machine.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis

from pyasynq import Client, ServeMux, Server, Task


def measure(redis_url: str, tasks: int, *, bad: bool, cap: float = 12.0) -> dict[str, Any]:
    r = redis.Redis.from_url(redis_url)
    r.flushall()
    client = Client(redis_url)
    client.enqueue_many([(Task("noop"), {"queue": "default"}) for _ in range(tasks)])
    client.close()
    if bad:
        r.sadd("asynq:queues", "bad")
        r.set("asynq:{bad}:pending", "not a list")
    mux = ServeMux()
    mux.handle("noop", lambda ctx, task: None)
    logging.getLogger("pyasynq.isolation").setLevel(logging.CRITICAL)
    server = Server(
        redis_url,
        concurrency=10,
        queues={"bad": 1, "default": 1},
        task_check_interval=0.2,
        tick=0.05,
        shutdown_timeout=2,
        logger=logging.getLogger("pyasynq.isolation"),
    )
    started = time.monotonic()
    server.start(mux)
    done = 0
    while time.monotonic() - started < cap:
        done = int(r.get("asynq:{default}:processed") or 0)
        if done >= tasks:
            break
        time.sleep(0.02)
    elapsed = time.monotonic() - started
    server.shutdown()
    r.close()
    return {"processed": done, "seconds": round(elapsed, 2), "rate": round(done / elapsed, 1)}
