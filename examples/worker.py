"""The worker: critical/default/low queues, custom retry delays, analytics aggregation.

Run it with ``python -m pyasynq.examples.worker`` (reads ``REDIS_URL``, ``WORKER_CONCURRENCY``,
``LOG_LEVEL`` and ``LOG_FORMAT=json`` for one JSON object per line), or
``pyasynq worker pyasynq.examples.handlers:mux --queues critical=6,default=3,low=1``.
"""

from __future__ import annotations

import os

from pyasynq import Server, Task, worker_log
from pyasynq.examples import tasks
from pyasynq.examples.handlers import mux

QUEUES = {"critical": 6, "default": 3, "low": 1}


def retry_delay(retried: int, error: BaseException, task: Task) -> float:
    """Emails retry fast (they go stale); everything else backs off exponentially to 10 min."""
    if task.type == tasks.EMAIL_DELIVERY:
        return 5 * (retried + 1)
    return min(600, 10 * 2**retried)


def aggregate(group: str, grouped: list[Task]) -> Task:
    """Many analytics events of one user become one batch task."""
    events = [t.json() for t in grouped]
    return Task.from_json(tasks.ANALYTICS_BATCH, {"group": group, "events": events})


def build_server(redis_url: str | None = None) -> Server:
    return Server(
        redis_url or os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        concurrency=int(os.environ.get("WORKER_CONCURRENCY", "8")),
        queues=QUEUES,
        retry_delay_func=retry_delay,
        group_aggregator=aggregate,
        group_grace_period=float(os.environ.get("GROUP_GRACE_PERIOD", "10")),
        group_max_size=20,
        group_max_delay=60,
        delayed_task_check_interval=float(os.environ.get("FORWARD_INTERVAL", "2")),
    )


def main() -> None:
    worker_log.configure(os.environ.get("LOG_LEVEL", "info"), os.environ.get("LOG_FORMAT", "text"))
    build_server().run(mux)


if __name__ == "__main__":
    main()
