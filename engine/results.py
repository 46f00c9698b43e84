"""Waiting for a task's final outcome: ``Client.wait`` and ``TaskInfo.wait``.

A wait subscribes to ``pyasynq:done:<task id>`` (pyasynq workers publish there when they
complete or archive a task) *before* reading the task, so a completion between the read and
the wait is not missed; it also re-reads the task every ``poll_interval`` seconds, because a
Go worker publishes nothing. Only ``completed`` and ``archived`` are final: a retry is not.

A task without retention is refused up front (``NoRetentionError``): its success deletes it,
result included, so a wait could only end in a timeout. A task that vanishes while waited for
(deleted, or its retention ended) raises ``TaskNotFoundError``.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from pyasynq.errors import NoRetentionError, WaitTimeoutError
from pyasynq.inspector import Inspector
from pyasynq.task import TaskInfo, TaskState

FINAL_STATES = (TaskState.COMPLETED, TaskState.ARCHIVED)
DEFAULT_POLL_INTERVAL = 1.0


def wait_for_task(
    broker: Any,
    task_id: str,
    *,
    queue: str = "default",
    timeout: float | timedelta = 30.0,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
) -> TaskInfo:
    """The task's TaskInfo once it is completed (``result`` set) or archived (``last_err``
    set). Raises ``WaitTimeoutError`` after ``timeout`` seconds, ``NoRetentionError`` for a
    task without retention, ``TaskNotFoundError`` when it does not exist (any more)."""
    seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)
    if seconds < 0:
        raise ValueError("timeout cannot be negative")
    if poll_interval <= 0:
        raise ValueError("poll_interval must be positive")
    inspector = Inspector(broker)
    end = time.monotonic() + seconds
    subscription = broker.subscribe_done(task_id)
    try:
        info = inspector.get_task_info(queue, task_id)
        if info.state not in FINAL_STATES and info.retention <= timedelta(0):
            raise NoRetentionError(queue, task_id)
        while info.state not in FINAL_STATES:
            left = end - time.monotonic()
            if left <= 0:
                raise WaitTimeoutError(queue, task_id, seconds, info.state.value)
            subscription.wait(min(poll_interval, left))
            info = inspector.get_task_info(queue, task_id)
        return info
    finally:
        subscription.close()
