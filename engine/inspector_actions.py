"""Inspector operations beyond Go's: reschedule, enqueue, filtered search and cron controls.

A mixin so ``engine/inspector.py`` stays the Go-parity surface; ``Inspector`` inherits these.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pyasynq.broker.codec import encode, set_timestamp
from pyasynq.broker.proto import SchedulerEnqueueEvent
from pyasynq.client import Client
from pyasynq.errors import AsynqError, TaskNotFoundError, TaskStateError
from pyasynq.extras.search import DEFAULT_SCAN_LIMIT, SearchPage, TaskFilter, search
from pyasynq.info import SchedulerEntry
from pyasynq.option_strings import parse_options
from pyasynq.states import EDITABLE_STATES
from pyasynq.task import Task, TaskInfo

if TYPE_CHECKING:
    from pyasynq.broker.broker import Broker

RESCHEDULE_STATES = EDITABLE_STATES


class EntryNotFoundError(AsynqError, LookupError):
    """No live scheduler publishes a periodic entry with this ID."""

    def __init__(self, entry_id: str) -> None:
        super().__init__(f"no scheduler entry found: {entry_id}")
        self.entry_id = entry_id


def _seconds(when: datetime | float | int) -> float:
    if isinstance(when, datetime):
        if when.tzinfo is None:
            raise ValueError("a naive datetime is ambiguous; give an aware one")
        return when.timestamp()
    return float(when)


class InspectorActions:
    broker: Broker

    def _queue(self, queue: str) -> str:  # pragma: no cover - provided by Inspector
        raise NotImplementedError

    def get_task_info(self, queue: str, task_id: str) -> TaskInfo:  # pragma: no cover
        raise NotImplementedError

    def scheduler_entries(self) -> list[SchedulerEntry]:  # pragma: no cover
        raise NotImplementedError

    # -- tasks ----------------------------------------------------------------------------------
    def reschedule_task(self, queue: str, task_id: str, process_at: datetime | float) -> TaskInfo:
        """Process a waiting task at a new time.

        Scheduled and retry tasks keep their state with a new score; pending and archived
        ones become scheduled. Active, completed and aggregating tasks raise TaskStateError.
        """
        self._queue(queue)
        code, state = self.broker.reschedule(queue, task_id, _seconds(process_at))
        if code == 0:
            raise TaskNotFoundError(queue, task_id)
        if code == -1:
            raise TaskStateError(
                f"cannot reschedule a task in {state} state; "
                f"only {', '.join(RESCHEDULE_STATES)} tasks can be"
            )
        if code == -3:
            raise TaskStateError(f"task {task_id} is missing from its {state} container")
        return self.get_task_info(queue, task_id)

    def enqueue(self, task: Task, **options: Any) -> TaskInfo:
        """``Client.enqueue`` through this Inspector's connection (the console's enqueue form)."""
        return Client(self.broker).enqueue(task, **options)

    def search_tasks(
        self,
        queue: str,
        state: str,
        flt: TaskFilter | None = None,
        *,
        cursor: int = 0,
        scan_limit: int = DEFAULT_SCAN_LIMIT,
        page_size: int = 20,
        group: str | None = None,
    ) -> SearchPage:
        """``pyasynq.extras.search.search`` on this Inspector (bounded: at most ``scan_limit`` reads)."""
        return search(
            self,
            queue,
            state,
            flt,
            cursor=cursor,
            scan_limit=scan_limit,
            page_size=page_size,
            group=group,
        )

    # -- cron controls --------------------------------------------------------------------------
    def scheduler_entry(self, entry_id: str) -> SchedulerEntry:
        for entry in self.scheduler_entries():
            if entry.id == entry_id:
                return entry
        raise EntryNotFoundError(entry_id)

    def run_scheduler_entry(self, entry_id: str) -> TaskInfo:
        """Enqueue an entry's task now, with its options, and record it in the entry's history.

        A ``TaskID`` option is dropped (a second run would conflict); the entry's schedule is
        untouched.
        """
        entry = self.scheduler_entry(entry_id)
        options = parse_options(entry.options)
        options.pop("task_id", None)
        options.pop("header", None)
        info = self.enqueue(Task(entry.task_type, entry.task_payload), **options)
        now = self.broker.now()
        event = SchedulerEnqueueEvent(task_id=info.id)
        set_timestamp(event.enqueue_time, now)
        self.broker.record_scheduler_enqueue_event(entry_id, encode(event), now)
        return info

    def pause_scheduler_entry(self, entry_id: str) -> bool:
        """Ask pyasynq schedulers to skip this entry's runs (Go schedulers ignore it)."""
        self.scheduler_entry(entry_id)
        return bool(self.broker.pause_entry(entry_id))

    def resume_scheduler_entry(self, entry_id: str) -> bool:
        """Let a paused entry fire again; no error when it was not paused."""
        return bool(self.broker.resume_entry(entry_id))

    def paused_scheduler_entries(self) -> set[str]:
        return set(self.broker.paused_entries())
