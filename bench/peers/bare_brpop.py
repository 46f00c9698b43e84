"""The latency floor: a bare redis-py BRPOP loop, no job system (``python -m bench.peers.bare_brpop``).

Each item is an enqueue time pushed by the producer; the loop records (now - it) like every
worker's handler does, so its latency is what one cross-process hop through Redis costs on this
machine: the bound below which no Redis-backed queue can start a task."""

import os

import redis

from bench.peers._lat import record

if __name__ == "__main__":
    r = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"])
    while True:
        _, enqueued_at = r.brpop(["bench:floor"])
        record(float(enqueued_at))
