"""Huey tasks, for the latency phase only: the issue's latency target quotes Huey, whose
consumer blocks in BRPOP (``huey_consumer bench.peers.huey_tasks.huey -k thread``)."""

import os

from huey import RedisHuey

from bench.peers._lat import record

huey = RedisHuey("bench", url=os.environ.get("BENCH_REDIS_URL"), results=False)


@huey.task()
def lat(enqueued_at: float) -> None:
    record(enqueued_at)
