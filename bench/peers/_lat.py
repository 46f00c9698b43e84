"""The latency probe shared by every worker: record (handler start - enqueue time) in Redis."""

from __future__ import annotations

import os
import time

import redis

_client: redis.Redis | None = None


def record(enqueued_at: float) -> None:
    started = time.time()  # first thing: this is "handler start"
    global _client
    if _client is None:
        _client = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"])
    _client.rpush("bench:lat", repr(started - float(enqueued_at)))
