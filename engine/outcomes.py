"""What happens to a task whose attempt failed: one rule, for the processor and the recoverer.

Spec §6.2: a ``RevokeTask`` is done (deleted, counted processed, not failed); when the retries
are used up, or the error is a ``SkipRetry``, the task is archived (a workflow's ``on_failure``
fires, waiters are told: ``pyasynq.completion``); otherwise it is retried after the retry-delay
function's delay, counted as a failure when ``is_failure`` says so. Every decision is logged by
``pyasynq.worker_log`` as one line, whoever made it (a handler's error or an expired lease).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pyasynq import completion, worker_log
from pyasynq.errors import RevokeTask, SkipRetry, wraps
from pyasynq.task import Task

if TYPE_CHECKING:
    from pyasynq.broker.broker import Broker

RetryDelay = Callable[[int, BaseException, Task], float | int | timedelta]


def delay_seconds(value: float | int | timedelta) -> float:
    """A retry-delay function's answer in seconds (it may return a timedelta)."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


def task_of(msg: Any) -> Task:
    """The Task a retry-delay function is shown, rebuilt from the stored message."""
    task = Task(msg.type, bytes(msg.payload), headers=dict(msg.headers))
    task.id, task.queue = msg.id, msg.queue
    return task


def settle_failure(
    broker: Broker,
    msg: Any,
    err: BaseException,
    text: str,
    now: float,
    *,
    retry_delay_func: RetryDelay,
    is_failure: Callable[[BaseException], bool],
    log: logging.Logger,
    task: Task | None = None,
) -> str:
    """Write the outcome of a failed attempt; returns ``revoked``, ``archived`` or ``retry``."""
    if wraps(err, RevokeTask):
        broker.done(msg.queue, msg.id, msg.unique_key, now=now)
        return "revoked"
    if msg.retried >= msg.retry or wraps(err, SkipRetry):
        completion.archive(broker, msg, text, now)  # workflow continuation, waiters
        worker_log.failed_attempt(log, msg, err, text, outcome=worker_log.outcome_of(err, msg))
        return "archived"
    delay = delay_seconds(retry_delay_func(msg.retried, err, task or task_of(msg)))
    broker.retry(msg, now + delay, text, is_failure=bool(is_failure(err)), now=now)
    worker_log.failed_attempt(log, msg, err, text, outcome="retry", retry_at=now + delay, now=now)
    return "retry"
