"""Plain dataclasses the Inspector returns (TaskInfo lives in pyasynq.task)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


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

    @property
    def error_rate(self) -> float:
        """Failed / processed today (0 when nothing was processed)."""
        return self.failed / self.processed if self.processed else 0.0


@dataclass
class DailyStats:
    queue: str
    processed: int
    failed: int
    date: datetime


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
