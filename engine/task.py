"""Task (what a producer enqueues and a handler receives) and TaskInfo; TaskState lives with
the model of states (pyasynq.states) and is re-exported here."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pyasynq.options import check_option_names, validate_task_type
from pyasynq.states import TaskState as TaskState  # re-exported: pyasynq.task.TaskState
from pyasynq.times import duration, utc_time


def _payload_bytes(payload: Any) -> bytes | None:
    if payload is None:
        return None
    if isinstance(payload, bytes | bytearray | memoryview):
        return bytes(payload)
    if isinstance(payload, str):
        return payload.encode("utf-8")
    raise TypeError(
        f"payload must be bytes or str, got {type(payload).__name__}; "
        "serialize it first (Task.from_json does JSON)"
    )


class Task:
    """A unit of work: a type name, an opaque payload, headers and default enqueue options.

    Options given here (``queue``, ``max_retry``, ``timeout``, ...) are defaults that options
    passed to ``Client.enqueue`` override, as in Asynq. A handler receives a Task whose ``id``,
    ``queue`` and ``result_writer`` are set.
    """

    __slots__ = ("type", "payload", "headers", "options", "id", "queue", "result_writer")

    def __init__(
        self,
        type: str,
        payload: bytes | str | None = b"",
        *,
        headers: Mapping[str, str] | None = None,
        **options: Any,
    ) -> None:
        validate_task_type(type)
        check_option_names(options)
        self.type = type
        self.payload = _payload_bytes(payload)
        self.headers = dict(headers or {})
        for k, v in self.headers.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError("task headers must map str to str")
        self.options = options
        self.id: str | None = None
        self.queue: str | None = None
        self.result_writer: Any = None

    @classmethod
    def from_json(cls, type: str, obj: Any, **kwargs: Any) -> Task:
        """A task whose payload is ``obj`` as compact JSON."""
        return cls(type, json.dumps(obj, separators=(",", ":")).encode(), **kwargs)

    def json(self) -> Any:
        """The payload decoded as JSON (raises ``ValueError`` when it is not JSON)."""
        return json.loads(self.payload or b"null")

    def __repr__(self) -> str:
        return f"Task(type={self.type!r}, payload={self.payload!r}, id={self.id!r})"


def from_unix(seconds: float | int | None) -> datetime | None:
    """Unix seconds to an aware UTC datetime; 0 (Go's "none") gives ``None``; a time out of
    range (2^62 s, ``inf``) gives an ``InvalidTime`` that prints as invalid."""
    if not seconds:
        return None
    return utc_time(seconds)


@dataclass
class TaskInfo:
    """Everything known about one task, as Go's ``asynq.TaskInfo`` reports it."""

    id: str
    queue: str
    type: str
    payload: bytes
    state: TaskState
    headers: dict[str, str] = field(default_factory=dict)
    max_retry: int = 0
    retried: int = 0
    last_err: str = ""
    last_failed_at: datetime | None = None
    timeout: timedelta = timedelta(0)
    deadline: datetime | None = None
    group: str = ""
    next_process_at: datetime | None = None
    is_orphaned: bool = False
    retention: timedelta = timedelta(0)
    completed_at: datetime | None = None
    result: bytes | None = None
    unique_key: str = ""
    payload_size: int | None = None
    """The full payload's size when ``payload`` holds only a preview (pyasynq.extras.previews)."""
    result_size: int | None = None
    """The full result's size when ``result`` holds only a preview."""

    @property
    def payload_truncated(self) -> bool:
        return self.payload_size is not None and self.payload_size > len(self.payload)

    @property
    def result_truncated(self) -> bool:
        return self.result_size is not None and self.result_size > len(self.result or b"")

    def wait(self, client: Any, *, timeout: float | timedelta = 30.0, **kw: Any) -> TaskInfo:
        """Block until this task is completed or archived; ``client`` is a Client or Broker
        (``pyasynq.results.wait_for_task``)."""
        from pyasynq.results import wait_for_task

        broker = getattr(client, "broker", client)
        return wait_for_task(broker, self.id, queue=self.queue, timeout=timeout, **kw)

    @classmethod
    def from_message(
        cls,
        msg: Any,
        state: str | TaskState,
        *,
        next_process_at: float | None = None,
        result: bytes | None = None,
        is_orphaned: bool = False,
    ) -> TaskInfo:
        return cls(
            id=msg.id,
            queue=msg.queue,
            type=msg.type,
            payload=bytes(msg.payload),
            headers=dict(msg.headers),
            state=TaskState(state),
            max_retry=msg.retry,
            retried=msg.retried,
            last_err=msg.error_msg,
            last_failed_at=from_unix(msg.last_failed_at),
            timeout=duration(msg.timeout),
            deadline=from_unix(msg.deadline),
            group=msg.group_key,
            next_process_at=from_unix(next_process_at),
            is_orphaned=is_orphaned,
            retention=duration(msg.retention),
            completed_at=from_unix(msg.completed_at),
            result=result,
            unique_key=msg.unique_key,
        )
