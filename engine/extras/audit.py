"""AuditLog: record and read the actions people took on queues and tasks.

The console calls ``record`` for every change it makes (pause, delete, run, archive, cancel,
...); operators read the trail on the console's audit page or from ``GET <root>/api/audit``.
Entries are JSON objects so any tool can read them straight from Redis.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from pyasynq.broker.broker import Broker
from pyasynq.broker.extras.audit import (
    AUDIT_KEY,
    AUDIT_MAX_ENTRIES,
    REFUSED_KEY,
    REFUSED_MAX_ENTRIES,
)

MAX_IDS = 100
"""Task IDs kept per entry; ``count`` still says how many the action touched."""


@dataclass(frozen=True)
class AuditEntry:
    """One action: who did what, where, to how many tasks, when, and from which address."""

    at: float
    user: str
    action: str
    queue: str | None = None
    task_ids: tuple[str, ...] = ()
    count: int = 0
    remote_addr: str | None = None
    status: int | None = None
    detail: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def when(self) -> datetime:
        return datetime.fromtimestamp(self.at, UTC)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["task_ids"] = list(self.task_ids)
        data["time"] = self.when.isoformat()
        return data

    @classmethod
    def from_json(cls, raw: bytes | str) -> AuditEntry:
        """Parse one stored line; anything unreadable comes back as an ``unreadable`` entry."""
        try:
            data = json.loads(raw)
            return cls(
                at=float(data.get("at", 0)),
                user=str(data.get("user", "?")),
                action=str(data.get("action", "?")),
                queue=None if data.get("queue") is None else str(data["queue"]),
                task_ids=tuple(str(x) for x in data.get("task_ids") or ()),
                count=int(data.get("count") or 0),
                remote_addr=data.get("remote_addr"),
                status=data.get("status"),
                detail=data.get("detail"),
                extra=dict(data.get("extra") or {}),
            )
        except (ValueError, TypeError, AttributeError):
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
            return cls(at=0.0, user="?", action="unreadable", detail=text[:200])


class AuditLog:
    """The bounded audit trail in Redis, newest first.

    ``AuditLog(broker)`` is the trail of actions; ``AuditLog.refused(broker)`` is the separate,
    smaller list of refused requests, which therefore can never push an action out.
    """

    def __init__(
        self, broker: Broker, *, max_entries: int = AUDIT_MAX_ENTRIES, key: str = AUDIT_KEY
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.broker = broker
        self.max_entries = max_entries
        self.key = key

    @classmethod
    def refused(cls, broker: Broker, *, max_entries: int = REFUSED_MAX_ENTRIES) -> AuditLog:
        """The log of refused requests (``pyasynq:audit:refused``)."""
        return cls(broker, max_entries=max_entries, key=REFUSED_KEY)

    def record(
        self,
        user: str,
        action: str,
        *,
        queue: str | None = None,
        task_ids: list[str] | tuple[str, ...] = (),
        count: int | None = None,
        remote_addr: str | None = None,
        status: int | None = None,
        detail: str | None = None,
        at: float | None = None,
        **extra: Any,
    ) -> AuditEntry:
        ids = tuple(task_ids)
        entry = AuditEntry(
            at=self.broker.now() if at is None else at,
            user=user,
            action=action,
            queue=queue,
            task_ids=ids[:MAX_IDS],
            count=len(ids) if count is None else int(count),
            remote_addr=remote_addr,
            status=status,
            detail=detail,
            extra=extra,
        )
        self.broker.audit_append(
            json.dumps(entry.to_json(), default=str), self.max_entries, self.key
        )
        return entry

    def list(self, page: int = 1, page_size: int = 50) -> list[AuditEntry]:
        if page < 1 or page_size < 1:
            raise ValueError("page and page_size must be 1 or more")
        start = (page - 1) * page_size
        return [
            AuditEntry.from_json(x)
            for x in self.broker.audit_range(start, start + page_size - 1, self.key)
        ]

    def count(self) -> int:
        return self.broker.audit_count(self.key)
