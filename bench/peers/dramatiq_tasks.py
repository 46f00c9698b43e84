"""Dramatiq actors: ``dramatiq bench.peers.dramatiq_tasks --processes P --threads N``."""

import os

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from bench.peers._lat import record

broker = RedisBroker(url=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
dramatiq.set_broker(broker)


@dramatiq.actor(queue_name="default", max_retries=0)
def noop() -> None:
    return None


@dramatiq.actor(queue_name="default", max_retries=0)
def lat(enqueued_at: float) -> None:
    record(enqueued_at)
