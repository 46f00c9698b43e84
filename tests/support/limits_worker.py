"""A worker process for the limits tests: ``python -m tests.support.limits_worker URL SERVERS
CONCURRENCY LEASE``. Runs SERVERS pyasynq Servers (each CONCURRENCY slots) in this one process
until SIGTERM; each handler records what the limits tests measure, in the test's own Redis:

* ``starts``: the wall time of every task start (rate proofs),
* ``running`` / ``samples``: tasks running right now, sampled at every start (concurrency),
* a task whose payload is a number sleeps that many seconds (cancellable).
"""

from __future__ import annotations

import signal
import sys
import threading
import time

import redis

from pyasynq import Server
from tests.support.worker_util import FAST


def handler_for(r: redis.Redis):
    def handle(ctx, task):
        r.rpush("starts", f"{time.time():.4f}")
        r.rpush("samples", r.incr("running"))
        try:
            if task.payload:
                ctx.wait(float(task.payload))
        finally:
            r.decr("running")

    return handle


def main() -> None:
    url, servers, concurrency, lease = (
        sys.argv[1],
        int(sys.argv[2]),
        int(sys.argv[3]),
        int(sys.argv[4]),
    )
    r = redis.Redis.from_url(url)
    started = [
        Server(
            url, concurrency=concurrency, lease_duration=lease, limits_refresh_interval=0.5, **FAST
        )
        for _ in range(servers)
    ]
    for s in started:
        s.start(handler_for(r))
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    r.incr("workers-ready")
    done.wait()
    for s in started:
        s.shutdown()


if __name__ == "__main__":
    main()
