"""End to end: a Server with group_aggregator turns grouped tasks into one handled task."""

from __future__ import annotations

import threading

import pyasynq.server as server_mod
from pyasynq import Client, Task


def test_server_aggregates_group_by_size(redis_url, r):
    got: list[Task] = []
    done = threading.Event()

    def handler(*args):
        task = args[-1]
        got.append(task)
        done.set()

    def aggregate(group, tasks):
        return Task("digest", b"|".join(t.payload for t in tasks))

    server = server_mod.Server(
        redis_url,
        concurrency=1,
        group_grace_period=1,
        group_max_size=3,
        group_aggregator=aggregate,
        shutdown_timeout=1,
    )
    with Client(redis_url) as client:
        for i in range(3):
            client.enqueue(Task("email", f"m{i}".encode()), group="inbox")
    server.start(handler)
    try:
        assert done.wait(6), "aggregated task was not processed"
    finally:
        server.shutdown()
    (task,) = got
    # same-second scores: zset order falls back to task ID, as in Go
    assert task.type == "digest" and sorted(task.payload.split(b"|")) == [b"m0", b"m1", b"m2"]
    assert not r.exists("asynq:{default}:g:inbox")
    assert not r.keys("asynq:{default}:t:*")
