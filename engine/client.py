"""Client: turns a Task and its options into a TaskMessage and writes it through the broker.

The option handling and message building live in ``pyasynq.producing`` (shared with
``pyasynq.aio.AsyncClient``); this module only adds the redis-py transport.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pyasynq.broker.broker import Broker
from pyasynq.broker.connection import RedisTarget
from pyasynq.clock import SYSTEM_CLOCK, Clock
from pyasynq.producing import Duration, TaskBuilder, given_options, new_task_id, new_task_ids
from pyasynq.task import Task, TaskInfo

__all__ = ["Client", "Duration", "new_task_id", "new_task_ids"]


class Client:
    """Enqueues tasks into Redis in Asynq's format.

    ``redis`` is a URL (``redis://``, ``rediss://``, ``unix://``, ``redis-sentinel://``,
    ``redis-cluster://``), a ``ConnectionSettings``, a redis-py client, or a ``Broker``.
    """

    def __init__(
        self,
        redis: RedisTarget | Broker = "redis://127.0.0.1:6379/0",
        *,
        clock: Clock | None = None,
    ):
        self.broker = (
            redis if isinstance(redis, Broker) else Broker(redis, clock=clock or SYSTEM_CLOCK)
        )
        self._builder = TaskBuilder()

    def close(self) -> None:
        self.broker.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
        on_success: Task | None = None,
        on_failure: Task | None = None,
    ) -> TaskInfo:
        """Enqueue ``task``; options override the Task's own. Raises ``DuplicateTaskError``,
        ``TaskIDConflictError``, ``ValueError`` for bad options and ``BrokerError``.

        ``on_success``/``on_failure``: a task enqueued when this one completes / is archived,
        told its id and result or error (``pyasynq.extras.workflows.parents``); see workflows."""
        options = given_options(
            queue=queue,
            max_retry=max_retry,
            timeout=timeout,
            deadline=deadline,
            process_at=process_at,
            process_in=process_in,
            unique=unique,
            task_id=task_id,
            retention=retention,
            group=group,
        )
        if on_success is not None or on_failure is not None:
            from pyasynq.extras.workflows import enqueue_with_callbacks

            return enqueue_with_callbacks(self, task, options, on_success, on_failure)
        b = self._builder
        new, opts = b.build(task, options, self.broker.now())
        b.check(self.broker.create_task(new))
        return b.info(new, task, opts, self.broker.now())

    def _build(self, task: Task, call_options: dict[str, Any], now: float) -> tuple[Any, Any]:
        """The task's Redis form and resolved options (for pyasynq.extras.workflows)."""
        return self._builder.build(task, call_options, now)

    def enqueue_workflow(self, flow: Any, **options: Any) -> Any:
        """Enqueue a ``chain``/``group``/``chord`` (``pyasynq.extras.workflows``); a WorkflowInfo."""
        from pyasynq.extras.workflows import enqueue_workflow

        return enqueue_workflow(self, flow, **options)

    def wait(
        self, task_id: str, *, queue: str = "default", timeout: Duration = 30.0, **kw: Any
    ) -> TaskInfo:
        """Block until the task is completed or archived (``pyasynq.results.wait_for_task``)."""
        from pyasynq.results import wait_for_task

        return wait_for_task(self.broker, task_id, queue=queue, timeout=timeout, **kw)

    def wait_workflow(self, workflow_id: str, *, timeout: Duration = 60.0, **kw: Any) -> Any:
        """Block until the workflow finished and its callbacks ran; its WorkflowInfo."""
        from pyasynq.extras.workflows import wait_workflow

        return wait_workflow(self.broker, workflow_id, timeout=timeout, **kw)

    def enqueue_many(
        self, items: Iterable[Task | tuple[Task, dict[str, Any]]]
    ) -> list[TaskInfo | Exception]:
        """Enqueue many tasks in one pipelined round trip.

        Each item is a Task or ``(task, options)``. The result has one entry per item, in order:
        the TaskInfo, or the exception for that item (bad options, duplicate, ID conflict).
        A Redis outage raises ``BrokerError`` for the whole batch.
        """
        items = items if isinstance(items, list) else list(items)
        b = self._builder
        if b.is_plain(items):
            plain = b.prepare_plain(items, self.broker.now())
            if plain is not None:
                codes = self.broker.create_pending(plain.opts.queue, plain.ids, plain.messages)
                return b.finish_plain(plain, codes, self.broker.now())
        batch = b.prepare_many(items, self.broker.now())
        codes = self.broker.create_tasks([built[1] for built in batch.built])
        return b.finish_many(batch, codes, self.broker.now())
