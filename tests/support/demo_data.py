"""Realistic console data, like the demo's, built quickly and left still for the browser to look.

The demo's producer mix (emails, image resizes, webhooks, reports, data syncs, grouped analytics
events) is processed by the example worker's real handlers with the demo's failure rate, in a few
batches with a throughput sample between them, so the per-minute charts hold several minutes.
Then the worker stops: counts no longer move while a test compares what the pages show with the
Inspector. Tasks left in every state: pending (a paused queue), scheduled, retry, archived,
completed (webhooks keep a result), aggregating (groups still in their grace period).
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

from pyasynq import Client, Inspector, Server, Task
from pyasynq.broker.broker import Broker
from tests.support.worker_util import wait_for


def _sample(broker: Broker, minute: int) -> None:
    broker.record_throughput(sorted(q.decode() for q in broker.all_queues()), minute)


def seed(redis_url: str, *, tasks: int = 180, batches: int = 4, seed_value: int = 17) -> dict:
    """Fill the Redis at ``redis_url``; returns a few facts for the test (queue names, ...)."""
    os.environ["DEMO_FAILURE_RATE"] = "0.15"  # read by the example handlers at each call
    from pyasynq.examples import producer, webhook_sink, worker
    from pyasynq.examples.handlers import build_mux

    sink, hook_url = webhook_sink.start()
    producer.WEBHOOK_URL = hook_url
    random.seed(seed_value)
    client = Client(redis_url)
    broker = Broker(redis_url)
    producer.showcase(client)
    now_minute = int(time.time() // 60) * 60
    first_minute = now_minute - 60 * (batches + 1)
    _sample(broker, first_minute)
    server = Server(
        redis_url,
        concurrency=24,
        queues=worker.QUEUES,
        retry_delay_func=lambda n, e, t: 600 + 60 * n,  # stay in Retry while the test looks
        group_aggregator=worker.aggregate,
        group_grace_period=3600,  # analytics events stay Aggregating
        task_check_interval=0.05,
        delayed_task_check_interval=0.2,
        record_throughput=False,  # the samples below stand for past minutes
    )
    server.start(build_mux())
    insp = Inspector(redis_url)
    per_batch = tasks // batches
    try:
        n = 0
        for b in range(batches):
            for _ in range(per_batch + b * 4):  # a rising rate: the chart has a shape
                producer.produce_one(client, n)
                n += 1

            def drained() -> bool:
                infos = insp.get_queue_infos(insp.queues(), skip_missing=True)
                return all(q.pending == 0 and q.active == 0 for q in infos)

            wait_for(drained, timeout=60, interval=0.1, what="the batch processed")
            _sample(broker, first_minute + 60 * (b + 1))
    finally:
        server.shutdown()
        sink.shutdown()
    # a backlog in a paused queue: Pending holds tasks the pages can show
    insp.pause_queue("low")
    for i in range(37):
        client.enqueue(
            Task("report:generate", f'{{"account":"acct-{i}","period":"Q4"}}'.encode()), queue="low"
        )
    facts: dict[str, Any] = {"queues": insp.queues()}
    insp.close()
    client.close()
    broker.close()
    return facts
