"""Client: turns a Task and its options into a TaskMessage and writes it through the broker."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, cast

from pyasynq.broker import keys
from pyasynq.broker.broker import Broker, NewTask
from pyasynq.broker.codec import encode_new_task, encode_new_tasks, task_tail
from pyasynq.broker.connection import RedisTarget
from pyasynq.clock import SYSTEM_CLOCK, Clock
from pyasynq.errors import DuplicateTaskError, TaskIDConflictError
from pyasynq.options import ResolvedOptions, merge, resolve
from pyasynq.task import Task, TaskInfo, TaskState, from_unix

Duration = float | int | timedelta


def new_task_id() -> str:
    """A random (version 4) UUID string, as ``str(uuid.uuid4())`` but about twice as cheap."""
    h = "%032x" % ((int.from_bytes(os.urandom(16)) & _UUID_CLEAR) | _UUID_SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)
# Variant nibble of a v4 UUID: the two top bits forced to 10 (8, 9, a or b).
_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def new_task_ids(n: int) -> list[str]:
    """``n`` version 4 UUID strings from one ``os.urandom`` call: the same 122 random bits
    and layout as ``new_task_id``, at a fraction of the per-id cost (bulk enqueue)."""
    h = os.urandom(16 * n).hex()
    v = _VARIANT
    return [
        f"{h[i : i + 8]}-{h[i + 8 : i + 12]}-4{h[i + 13 : i + 16]}-{v[h[i + 16]]}{h[i + 17 : i + 20]}-{h[i + 20 : i + 32]}"
        for i in range(0, 32 * n, 32)
    ]


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
        # Resolved options by merged-options key: most producers send the same few option sets,
        # and validating them again for every task cost more than the Redis call's own Python.
        self._resolved: dict[Any, ResolvedOptions] = {}
        self._tails: dict[Any, bytes] = {}
        self._defaults: ResolvedOptions | None = None
        self._statics: dict[ResolvedOptions, tuple[timedelta, datetime | None, timedelta]] = {}

    def _resolve(self, merged: dict[str, Any], now: float) -> ResolvedOptions:
        """``resolve`` with a cache; only options that do not depend on ``now`` are cached
        (``process_in`` is relative to now) and ``task_id`` is applied per task."""
        if "process_in" in merged:
            return resolve(merged, now)
        task_id = merged.pop("task_id", None)
        try:
            key = tuple(sorted(merged.items()))
            found = self._resolved.get(key)
        except TypeError:  # an unhashable (hence invalid) value: let resolve() explain
            key, found = None, None
        if found is None:
            found = resolve(merged, now)
            if key is not None and len(self._resolved) < 1024:
                self._resolved[key] = found
        if task_id is not None:
            if not isinstance(task_id, str) or not task_id.strip():
                raise ValueError("task ID cannot be empty")
            found = replace(found, task_id=task_id)
        return found

    def close(self) -> None:
        self.broker.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _tail(self, opts: ResolvedOptions, headers: dict[str, str], unique_key: str) -> bytes:
        """The TaskMessage bytes the options decide, cached per option set (not per unique
        key: those differ per payload and would only fill the cache)."""
        key = (
            opts.queue,
            opts.max_retry,
            opts.timeout,
            opts.deadline,
            opts.retention,
            opts.group,
            tuple(sorted(headers.items())) if headers else (),
        )
        tail = None if unique_key else self._tails.get(key)
        if tail is None:
            tail = task_tail(
                queue=opts.queue,
                retry=opts.max_retry,
                timeout=opts.timeout,
                deadline=opts.deadline,
                retention=opts.retention,
                group_key=opts.group or "",
                unique_key=unique_key,
                headers=headers,
            )
            if not unique_key and len(self._tails) < 1024:
                self._tails[key] = tail
        return tail

    def _build(
        self, task: Task, call_options: dict[str, Any], now: float | None = None
    ) -> tuple[NewTask, ResolvedOptions]:
        if not isinstance(task, Task):
            raise TypeError("task cannot be nil" if task is None else "expected an engine.Task")
        if now is None:
            now = self.broker.now()
        if task.options or call_options:
            opts = self._resolve(merge(task.options, call_options), now)
        else:  # the common case: no options anywhere
            opts = self._defaults or self._resolve({}, now)
            self._defaults = opts
        task_id = opts.task_id or new_task_id()
        unique_key = keys.unique(opts.queue, task.type, task.payload) if opts.unique_ttl else ""
        process_at = None
        if opts.process_at is not None and int(opts.process_at) > int(now):
            process_at = int(opts.process_at)
        message = encode_new_task(
            task.type, task.payload or b"", task_id, self._tail(opts, task.headers, unique_key)
        )
        new = NewTask(
            queue=opts.queue,
            task_id=task_id,
            message=message,
            process_at=process_at,
            group=opts.group,
            unique_key=unique_key or None,
            unique_ttl=opts.unique_ttl,
        )
        return new, opts

    def _info(
        self,
        new: NewTask,
        task: Task,
        opts: ResolvedOptions,
        now: float,
        now_dt: datetime | None = None,
    ) -> TaskInfo:
        """The TaskInfo Go returns, built from values at hand (what ``TaskInfo.from_message``
        would read back out of the message, without a protobuf round trip)."""
        npa: float | None
        if new.process_at is not None:
            state, npa = TaskState.SCHEDULED, new.process_at
        elif new.group:
            state, npa = TaskState.AGGREGATING, None
        else:
            state, npa = TaskState.PENDING, now
            if now_dt is None:
                now_dt = from_unix(now)
        statics = self._statics.get(opts)
        if statics is None:
            statics = (
                timedelta(seconds=opts.timeout),
                from_unix(opts.deadline),
                timedelta(seconds=opts.retention),
            )
            if len(self._statics) < 1024:
                self._statics[opts] = statics
        return TaskInfo(
            id=new.task_id,
            queue=opts.queue,
            type=task.type,
            payload=task.payload or b"",
            state=state,
            headers=dict(task.headers) if task.headers else {},
            max_retry=opts.max_retry,
            timeout=statics[0],
            deadline=statics[1],
            group=opts.group or "",
            next_process_at=from_unix(npa) if npa != now else now_dt,
            retention=statics[2],
            unique_key=new.unique_key or "",
        )

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
        on_success: Task | None = None,
        on_failure: Task | None = None,
    ) -> TaskInfo:
        """Enqueue ``task``; options override the Task's own. Raises ``DuplicateTaskError``,
        ``TaskIDConflictError``, ``ValueError`` for bad options and ``BrokerError``.

        ``on_success``/``on_failure``: a task enqueued when this one completes / is archived,
        told its id and result or error (``pyasynq.workflows.parents``); see workflows."""
        given = {
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
        }
        if on_success is not None or on_failure is not None:
            from pyasynq.workflows import enqueue_with_callbacks

            given = {k: v for k, v in given.items() if v is not None}
            return enqueue_with_callbacks(self, task, given, on_success, on_failure)
        new, opts = self._build(task, {k: v for k, v in given.items() if v is not None})
        self._check(self.broker.create_task(new))
        return self._info(new, task, opts, self.broker.now())

    def enqueue_workflow(self, flow: Any, **options: Any) -> Any:
        """Enqueue a ``chain``/``group``/``chord`` (``pyasynq.workflows``); a WorkflowInfo."""
        from pyasynq.workflows import enqueue_workflow

        return enqueue_workflow(self, flow, **options)

    def wait(
        self, task_id: str, *, queue: str = "default", timeout: Duration = 30.0, **kw: Any
    ) -> TaskInfo:
        """Block until the task is completed or archived (``pyasynq.results.wait_for_task``)."""
        from pyasynq.results import wait_for_task

        return wait_for_task(self.broker, task_id, queue=queue, timeout=timeout, **kw)

    def wait_workflow(self, workflow_id: str, *, timeout: Duration = 60.0, **kw: Any) -> Any:
        """Block until the workflow finished and its callbacks ran; its WorkflowInfo."""
        from pyasynq.workflows import wait_workflow

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
        if items and all(
            it.__class__ is Task and not it.options and not it.headers for it in items
        ):
            plain = self._enqueue_plain(cast(list[Task], items))  # checked just above
            if plain is not None:
                return plain
        results: list[TaskInfo | Exception | None] = []
        built: list[tuple[int, NewTask, Task, ResolvedOptions]] = []
        now = self.broker.now()
        for item in items:
            task, options = item if isinstance(item, tuple) else (item, {})
            try:
                new, opts = self._build(task, options, now)
            except (ValueError, TypeError) as exc:
                results.append(exc)
                continue
            built.append((len(results), new, task, opts))
            results.append(None)
        codes = self.broker.create_tasks([b[1] for b in built])
        now = self.broker.now()
        now_dt = from_unix(now)
        for (index, new, task, opts), code in zip(built, codes, strict=True):
            if isinstance(code, BaseException):
                results[index] = code  # type: ignore[call-overload]  # an Exception in practice
                continue
            try:
                self._check(code)
                results[index] = self._info(new, task, opts, now, now_dt)
            except (DuplicateTaskError, TaskIDConflictError) as exc:
                results[index] = exc
        return results  # type: ignore[return-value]

    def _enqueue_plain(self, tasks: list[Task]) -> list[TaskInfo | Exception] | None:
        """``enqueue_many`` of Tasks without options or headers: one option set, one message
        tail, ids drawn in bulk, messages encoded in one loop, one ``enqueue_batch`` call per
        chunk, and TaskInfos copied from one prototype. Redis ends exactly as with the general
        path (§4.2 per task); only the per-task Python is gone. ``None`` when the client's
        default options are not plain pending ones (never, today), for the general path."""
        now = self.broker.now()
        opts = self._defaults or self._resolve({}, now)
        self._defaults = opts
        if opts.task_id or opts.unique_ttl or opts.group or opts.process_at is not None:
            return None
        ids = new_task_ids(len(tasks))
        payloads = [t.payload or b"" for t in tasks]
        messages = encode_new_tasks(
            [t.type for t in tasks], payloads, ids, self._tail(opts, {}, "")
        )
        codes = self.broker.create_pending(opts.queue, ids, messages)
        now = self.broker.now()
        first = tasks[0]
        proto = self._info(NewTask(opts.queue, "", b""), first, opts, now, from_unix(now)).__dict__
        new = object.__new__
        results: list[TaskInfo | Exception] = []
        append = results.append
        for task, task_id, payload, code in zip(tasks, ids, payloads, codes, strict=True):
            if code == 1:
                info = new(TaskInfo)
                d = proto.copy()
                d["id"], d["type"], d["payload"], d["headers"] = task_id, task.type, payload, {}
                info.__dict__ = d
                append(info)
            elif isinstance(code, BaseException):
                append(code)  # type: ignore[arg-type]
            else:
                append(TaskIDConflictError())
        return results
