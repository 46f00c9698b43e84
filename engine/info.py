"""Plain dataclasses the Inspector returns (TaskInfo lives in pyasynq.task)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any


@dataclass
class QueueInfo:
    """A snapshot of one queue (Go's ``asynq.QueueInfo``, spec §5.2)."""

    queue: str
    memory_usage: int = 0
    latency: timedelta = timedelta(0)
    size: int = 0
    groups: int = 0
    pending: int = 0
    active: int = 0
    scheduled: int = 0
    retry: int = 0
    archived: int = 0
    completed: int = 0
    aggregating: int = 0
    processed: int = 0
    failed: int = 0
    processed_total: int = 0
    failed_total: int = 0
    paused: bool = False
    timestamp: datetime | None = None
    problems: list[str] = field(default_factory=list)
    """What is wrong with this queue's data in Redis (a key of the wrong type, a counter that is
    not an integer, a name that is not UTF-8); empty for a healthy queue. The counts of a bad
    key are 0; a queue that could not be read at all has one problem and every count 0."""

    @property
    def problem(self) -> str:
        """The problems as one line ("" for a healthy queue)."""
        return "; ".join(self.problems)

    @property
    def error_rate(self) -> float:
        """Failed / processed today (0 when nothing was processed)."""
        return self.failed / self.processed if self.processed else 0.0

    def count(self, state: str) -> int:
        """The number of tasks in ``state`` (a name of ``pyasynq.states``): templates that
        loop over the states read it this way, not by subscript (a dataclass is not one)."""
        return int(getattr(self, state))


@dataclass
class DailyStats:
    queue: str
    processed: int
    failed: int
    date: datetime
    problem: str = ""
    """Set when a counter of that day is not an integer (then it counts as 0)."""


class Records(list[Any]):
    """A list of records plus ``problems``: the records that could not be read, each named
    with what is wrong (a key of the wrong type, an undecodable message, ...)."""

    def __init__(self, items: Any = (), problems: Any = ()) -> None:
        super().__init__(items)
        self.problems: list[str] = list(problems)


@dataclass
class GroupInfo:
    group: str
    size: int


@dataclass
class WorkerInfo:
    """A task in flight on a server (Go's ``asynq.WorkerInfo``)."""

    task_id: str
    task_type: str
    task_payload: bytes
    queue: str
    started: datetime | None
    deadline: datetime | None


@dataclass
class ServerInfo:
    """A live worker server (Go's ``asynq.ServerInfo``)."""

    id: str
    host: str
    pid: int
    concurrency: int
    queues: dict[str, int]
    strict_priority: bool
    started: datetime | None
    status: str
    active_workers: list[WorkerInfo] = field(default_factory=list)


@dataclass
class SchedulerEntry:
    """A periodic task registered by a live scheduler."""

    id: str
    spec: str
    task_type: str
    task_payload: bytes
    options: list[str]
    next_enqueue_at: datetime | None
    prev_enqueue_at: datetime | None
    scheduler_id: str = ""


@dataclass
class SchedulerEnqueueEvent:
    task_id: str
    enqueued_at: datetime | None


@dataclass
class ClusterNode:
    id: str
    addr: str
