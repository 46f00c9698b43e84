"""Celery app: ``celery -A bench.peers.celery_tasks worker -P threads -c N``.

acks_late, so a task is acknowledged after it ran (as Asynq does); no result backend.
"""

import os

from celery import Celery

from bench.peers._lat import record

app = Celery("bench", broker=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
app.conf.update(
    task_acks_late=True,
    task_ignore_result=True,
    worker_hijack_root_logger=False,
    worker_send_task_events=False,
    broker_connection_retry_on_startup=True,
)


@app.task(name="noop")
def noop() -> None:
    return None


@app.task(name="lat")
def lat(enqueued_at: float) -> None:
    record(enqueued_at)
