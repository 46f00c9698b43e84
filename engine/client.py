"""Client: turns a Task and its options into a TaskMessage and writes it through the broker."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from .broker import keys
from .broker.broker import Broker, NewTask
from .broker.codec import encode
from .broker.proto import TaskMessage
from .clock import SYSTEM_CLOCK, Clock
from .errors import DuplicateTaskError, TaskIDConflictError
from .options import ResolvedOptions, merge, resolve
from .task import Task, TaskInfo, TaskState

Duration = float | int | timedelta


class Client:
    """Enqueues tasks into Redis in Asynq's format.

    ``redis`` is a URL (``redis://``, ``rediss://``, ``unix://``, ``redis-sentinel://``,
    ``redis-cluster://``), a ``ConnectionSettings``, a redis-py client, or a ``Broker``.
    """

    def __init__(self, redis: Any = "redis://127.0.0.1:6379/0", *, clock: Clock | None = None):
        self.broker = redis if isinstance(redis, Broker) else Broker(redis, clock=clock or SYSTEM_CLOCK)

    def close(self) -> None:
        self.broker.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _build(self, task: Task, call_options: dict[str, Any]) -> tuple[NewTask, Any, ResolvedOptions]:
        if not isinstance(task, Task):
            raise TypeError("task cannot be nil" if task is None else "expected an engine.Task")
        now = self.broker.now()
        opts = resolve(merge(task.options, call_options), now)
        task_id = opts.task_id or str(uuid.uuid4())
        msg = TaskMessage(
            type=task.type,
            payload=task.payload or b"",
            id=task_id,
            queue=opts.queue,
            retry=opts.max_retry,
            timeout=opts.timeout,
            deadline=opts.deadline,
            retention=opts.retention,
            group_key=opts.group or "",
        )
        msg.headers.update(task.headers)
        unique_key = None
        if opts.unique_ttl:
            unique_key = keys.unique(opts.queue, task.type, task.payload)
            msg.unique_key = unique_key
        process_at = None
        if opts.process_at is not None and int(opts.process_at) > int(now):
            process_at = int(opts.process_at)
        new = NewTask(
            queue=opts.queue,
            task_id=task_id,
            message=encode(msg),
            process_at=process_at,
            group=opts.group,
            unique_key=unique_key,
            unique_ttl=opts.unique_ttl,
        )
        return new, msg, opts

    def _info(self, new: NewTask, msg: Any) -> TaskInfo:
        if new.process_at is not None:
            state, npa = TaskState.SCHEDULED, new.process_at
        elif new.group:
            state, npa = TaskState.AGGREGATING, None
        else:
            state, npa = TaskState.PENDING, self.broker.now()
        return TaskInfo.from_message(msg, state, next_process_at=npa)

    @staticmethod
    def _check(code: int) -> None:
        if code == -1:
            raise DuplicateTaskError()
        if code == 0:
            raise TaskIDConflictError()

    def enqueue(
        self,
        task: Task,
        *,
        queue: str | None = None,
        max_retry: int | None = None,
        timeout: Duration | None = None,
        deadline: datetime | None = None,
        process_at: datetime | None = None,
        process_in: Duration | None = None,
        unique: Duration | None = None,
        task_id: str | None = None,
        retention: Duration | None = None,
        group: str | None = None,
    ) -> TaskInfo:
        """Enqueue ``task``; options override the Task's own. Raises ``DuplicateTaskError``,
        ``TaskIDConflictError``, ``ValueError`` for bad options and ``BrokerError``."""
        new, msg, _ = self._build(
            task,
            {
                "queue": queue,
                "max_retry": max_retry,
                "timeout": timeout,
                "deadline": deadline,
                "process_at": process_at,
                "process_in": process_in,
                "unique": unique,
                "task_id": task_id,
                "retention": retention,
                "group": group,
            },
        )
        self._check(self.broker.create_task(new))
        return self._info(new, msg)

    def enqueue_many(
        self, items: Iterable[Task | tuple[Task, dict[str, Any]]]
    ) -> list[TaskInfo | Exception]:
        """Enqueue many tasks in one pipelined round trip.

        Each item is a Task or ``(task, options)``. The result has one entry per item, in order:
        the TaskInfo, or the exception for that item (bad options, duplicate, ID conflict).
        A Redis outage raises ``BrokerError`` for the whole batch.
        """
        results: list[TaskInfo | Exception | None] = []
        built: list[tuple[int, NewTask, Any]] = []
        for item in items:
            task, options = (item if isinstance(item, tuple) else (item, {}))
            try:
                new, msg, _ = self._build(task, dict(options))
            except (ValueError, TypeError) as exc:
                results.append(exc)
                continue
            built.append((len(results), new, msg))
            results.append(None)
        codes = self.broker.create_tasks([b[1] for b in built])
        for (index, new, msg), code in zip(built, codes, strict=True):
            if isinstance(code, BaseException):
                results[index] = code  # type: ignore[assignment]
                continue
            try:
                self._check(code)
                results[index] = self._info(new, msg)
            except (DuplicateTaskError, TaskIDConflictError) as exc:
                results[index] = exc
        return results  # type: ignore[return-value]
