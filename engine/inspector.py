"""Inspector: read and manage queues, tasks, servers and schedulers (spec §5), as Go's does."""

from __future__ import annotations

import secrets
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pyasynq import info as infos
from pyasynq import states
from pyasynq.broker import keys
from pyasynq.broker.broker import Broker
from pyasynq.broker.codec import CorruptMessageError, decode, decode_task, encode, timestamp_seconds
from pyasynq.broker.connection import RedisTarget
from pyasynq.broker.extras.shared_secret import CONSOLE_SECRET_KEY
from pyasynq.broker.proto import SchedulerEnqueueEvent, SchedulerEntry, ServerInfo, WorkerInfo
from pyasynq.clock import SYSTEM_CLOCK, Clock, utc_day
from pyasynq.errors import (
    BadDataError,
    BrokerError,
    QueueNotEmptyError,
    QueueNotFoundError,
    QueueStateError,
    TaskAlreadyArchivedError,
    TaskNotFoundError,
    TaskStateError,
)
from pyasynq.extras.inspector_workflows import InspectorWorkflows
from pyasynq.inspector_actions import InspectorActions
from pyasynq.inspector_metrics import InspectorMetrics
from pyasynq.inspector_overview import InspectorOverview
from pyasynq.options import check_queue_name
from pyasynq.task import TaskInfo, TaskState
from pyasynq.times import duration, utc_time

MAX_PAGE_SIZE = 10_000
PAYLOAD_UPDATE_STATES = states.EDITABLE_STATES

_RUN_ERRORS = {-1: "task is already running", -2: "task is already in pending state"}
_ARCHIVE_ACTIVE = "cannot archive task in active state. use CancelProcessing instead."
_DELETE_ACTIVE = "cannot delete task in active state. use CancelProcessing instead."


class TaskPage(list[TaskInfo]):
    """A page of TaskInfo; ``undecodable`` names the IDs skipped because they could not be read
    and ``problems`` says why for each (no hash, a key of the wrong type, an undecodable msg)."""

    def __init__(
        self,
        items: Iterable[TaskInfo] = (),
        undecodable: Iterable[str] = (),
        problems: dict[str, str] | None = None,
    ) -> None:
        super().__init__(items)
        self.undecodable: list[str] = list(undecodable)
        self.problems: dict[str, str] = dict(problems or {})
        for task_id in self.undecodable:
            self.problems.setdefault(task_id, "its message cannot be decoded")


@dataclass
class BatchResult:
    """Outcome of an action on selected tasks: how many succeeded, and why the others failed."""

    done: int = 0
    errors: dict[str, str] = field(default_factory=dict)


def _check_page(page_size: int, page: int) -> tuple[int, int]:
    if not isinstance(page, int) or page < 1:
        raise ValueError(f"page must be an integer >= 1, got {page!r}")
    if not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(
            f"page_size must be an integer from 1 to {MAX_PAGE_SIZE}, got {page_size!r}"
        )
    start = (page - 1) * page_size
    return start, start + page_size - 1


def _utc(seconds: float | None) -> datetime | None:
    """UTC time of Unix seconds; an ``InvalidTime`` (printed as invalid) when out of range."""
    return None if seconds is None else utc_time(seconds)


def _name_problem(name: str, raw: bytes | str | None) -> str:
    """What makes a member of ``asynq:queues`` unusable as a queue name ("" when fine)."""
    if isinstance(raw, bytes):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return f"queue name is not UTF-8 (bytes {raw[:40]!r})"
    if not name.strip():
        return f"blank queue name {name!r} in {keys.ALL_QUEUES}"
    return ""


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


class Inspector(InspectorActions, InspectorMetrics, InspectorWorkflows, InspectorOverview):
    """Looks into and acts on what Go or Python producers and workers left in Redis.

    ``redis`` is what ``Client`` accepts: a URL, ``ConnectionSettings``, a redis-py client or a
    ``Broker``. ``clock`` pins "now" (lease orphaning, latency, pause time, history days).
    """

    def __init__(
        self,
        redis: RedisTarget | Broker = "redis://127.0.0.1:6379/0",
        *,
        clock: Clock | None = None,
    ):
        self._owns = not isinstance(redis, Broker)
        self.broker = (
            redis if isinstance(redis, Broker) else Broker(redis, clock=clock or SYSTEM_CLOCK)
        )
        self.problems_seen: deque[str] = deque(maxlen=200)
        """The latest bad data the reads of this Inspector met and left out (each is also on
        the result it concerns: ``QueueInfo.problems``, ``TaskPage.problems``,
        ``Records.problems``); the CLI prints them after a command's output."""

    def _saw(self, problems: Iterable[str], where: str = "") -> None:
        for problem in problems:
            self.problems_seen.append(f"{where}{problem}")

    def close(self) -> None:
        """Release the connection, unless the Broker was lent to us by the caller."""
        if self._owns:
            self.broker.close()

    def __enter__(self) -> Inspector:
        return self

    def console_secret_key(self) -> str:
        """The session-signing key every console process of this Redis shares (pyasynq only).

        Used when no ``CONSOLE_SECRET_KEY`` is set, so several console workers accept each
        other's forms; see ``pyasynq.broker.extras.shared_secret`` for why this is safe enough.
        """
        return self.broker.shared_secret(CONSOLE_SECRET_KEY, secrets.token_hex(32))

    def console_session_generation(self, user: str) -> int:
        """The generation a console session of ``user`` must carry (pyasynq.broker.extras.console_sessions)."""
        return self.broker.session_generation(user)

    def revoke_console_sessions(self, user: str) -> int:
        """End every console session of ``user`` at once (sign-out, password change)."""
        return self.broker.revoke_sessions(user)

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- helpers --------------------------------------------------------------------------------
    def _queue(self, queue: str) -> str:
        """Validate the name and require the queue in asynq:queues, as Go's inspector does."""
        check_queue_name(queue)
        if not self.broker.queue_exists(queue):
            raise QueueNotFoundError(queue)
        return queue

    def _page(
        self,
        queue: str,
        state: TaskState,
        page_size: int,
        page: int,
        *,
        group: str | None = None,
        reverse: bool = False,
    ) -> TaskPage:
        start, stop = _check_page(page_size, page)
        if reverse:  # count from the other end (negative ranks), then flip the page below
            start, stop = -(stop + 1), -(start + 1)
        self._queue(queue)
        raw = self.broker.list_tasks(queue, state, start, stop, group=group)
        listing = self._page_from_raw(state, raw, self.broker.now(), reverse=reverse)
        self._saw(
            (f"task {tid}: {why}" for tid, why in listing.problems.items()), f"queue {queue!r}: "
        )
        return listing

    @staticmethod
    def _page_from_raw(
        state: TaskState, raw: list[Any], now: float, *, reverse: bool = False
    ) -> TaskPage:
        """Decode a listing page (shared with ``AsyncInspector``): a task whose key is not a
        hash, has no msg, or whose msg cannot be decoded or names another task is reported in
        ``TaskPage.problems`` with the reason, and the other rows still show."""
        spec = states.model(state)
        tasks, bad = [], {}
        for task_id, msg_bytes, result, score, wrong in raw:
            tid = _text(task_id)
            if wrong:
                bad[tid] = wrong
                continue
            if msg_bytes is None:
                bad[tid] = "its task hash has no msg field"
                continue
            try:
                msg = decode_task(msg_bytes)
            except CorruptMessageError as exc:
                bad[tid] = f"its message cannot be decoded ({exc})"
                continue
            if msg.id != tid:
                bad[tid] = f"its message names another task ({msg.id[:60]!r})"
                continue
            npa = spec.next_process_time(now, score)
            orphaned = state is TaskState.ACTIVE and score is not None and score <= now
            tasks.append(
                TaskInfo.from_message(
                    msg, state, next_process_at=npa, result=result, is_orphaned=orphaned
                )
            )
        if reverse:
            tasks.reverse()
        return TaskPage(tasks, list(bad), bad)

    # -- queues ---------------------------------------------------------------------------------
    def queues(self) -> list[str]:
        """Every queue ever enqueued to (and not removed), sorted for stable display."""
        return sorted(_text(q) for q in self.broker.all_queues())

    def get_queue_info(self, queue: str) -> infos.QueueInfo:
        """A consistent snapshot of one queue's counts plus Go's sampled memory estimate."""
        return self.get_queue_infos([queue])[0]

    def get_queue_infos(
        self, queues: Iterable[str], *, skip_missing: bool = False
    ) -> list[infos.QueueInfo]:
        """``get_queue_info`` for many queues, in order, in one pipelined round trip.

        Every field is what ``get_queue_info`` gives (one ``queue_info.lua`` call per queue reads
        the counts and Go's memory estimate atomically), but the dashboard, the exporter and
        ``pyasynq stats`` pay one round trip for all queues instead of several per queue.
        An unknown queue raises ``QueueNotFoundError``, or is left out with ``skip_missing``
        (a queue removed between listing the queues and reading them).

        Bad data never hides the other queues: a queue with a key of the wrong type or a
        counter that is not an integer comes with ``problems`` naming them (and 0 for those
        counts). With ``skip_missing`` (the "every queue" readers: dashboard, exporter,
        ``pyasynq stats``), a member of ``asynq:queues`` that is no usable name (blank, not
        UTF-8) comes as a ``QueueInfo`` whose problem says so; otherwise a blank name is a
        ValueError and a name that is not UTF-8 a ``BadDataError``.
        """
        names = list(queues)
        unusable: dict[str, str] = {}
        if len(names) == 1 and not skip_missing:  # SISMEMBER, not all of asynq:queues
            check_queue_name(names[0])
            raw_names: dict[str, bytes | str] = (
                {names[0]: names[0]} if self.broker.queue_exists(names[0]) else {}
            )
        else:
            raw_names = {_text(q): q for q in self.broker.all_queues()} if names else {}
        for q in names:
            problem = _name_problem(q, raw_names.get(q))
            if problem and not skip_missing:
                check_queue_name(q)
                raise BadDataError(problem, queue=q)
            if problem:
                unusable[q] = problem
        missing = [q for q in names if q not in raw_names]
        if missing and not skip_missing:
            raise QueueNotFoundError(missing[0])
        names = [q for q in names if q in raw_names]
        readable = [q for q in names if q not in unusable]
        now = self.broker.now()
        found = dict(zip(readable, self.broker.queue_infos(readable, now), strict=True))
        out = []
        for queue in names:
            s = found.get(queue, [])  # every readable queue has an entry
            if queue in unusable:
                out.append(infos.QueueInfo(queue=queue, problems=[unusable[queue]]))
            elif isinstance(s, BaseException):
                out.append(infos.QueueInfo(queue=queue, problems=[f"cannot be read: {s}"]))
            else:
                out.append(self._queue_info(queue, s, now))
            self._saw(out[-1].problems, f"queue {queue!r}: ")
        return out

    @staticmethod
    def _queue_info(queue: str, s: list[Any], now: float) -> infos.QueueInfo:
        pending, active, scheduled, retry, archived, completed = (int(v) for v in s[:6])
        since = _text(s[13])
        problems = [_text(p) for p in s[15]] if len(s) > 15 else []
        latency = timedelta(0)
        if pending and since.strip().lstrip("-").isdigit():
            latency = max(timedelta(0), duration(now - int(since) / 1e9))
        elif pending and since:
            problems.append(f"pending_since {since[:40]!r} of the oldest task is not a number")
        aggregating = int(s[12])
        return infos.QueueInfo(
            queue=queue,
            memory_usage=int(s[14]),
            latency=latency,
            size=pending + active + scheduled + retry + archived + completed + aggregating,
            groups=int(s[11]),
            pending=pending,
            active=active,
            scheduled=scheduled,
            retry=retry,
            archived=archived,
            completed=completed,
            aggregating=aggregating,
            processed=int(s[6]),
            failed=int(s[7]),
            processed_total=int(s[8]),
            failed_total=int(s[9]),
            paused=bool(s[10]),
            timestamp=_utc(now),
            problems=problems,
        )

    def history(self, queue: str, days: int = 7) -> list[infos.DailyStats]:
        """Processed/failed per UTC day, today first; counters older than 90 days are gone."""
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise ValueError(f"days must be an integer >= 1, got {days!r}")
        self._queue(queue)
        return self.histories([queue], days)[queue]

    def histories(self, queues: Iterable[str], days: int = 7) -> dict[str, list[infos.DailyStats]]:
        """``history`` of many queues in one pipelined round trip (the dashboard's charts).

        Unlike ``history`` it does not check that each queue exists (callers pass names they
        just listed; an unknown queue simply has zero counts, as Go's keys would)."""
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise ValueError(f"days must be an integer >= 1, got {days!r}")
        names = list(dict.fromkeys(queues))
        now = self.broker.now()
        moments = [now - i * 86400 for i in range(days)]
        dates = [datetime.fromtimestamp(t, UTC) for t in moments]
        counts = self.broker.daily_stats_many(names, [utc_day(t) for t in moments])
        out = {
            queue: [_daily(queue, d, p, f) for d, (p, f) in zip(dates, rows, strict=True)]
            for queue, rows in zip(names, counts, strict=True)
        }
        self._saw(f"queue {d.queue!r}: {d.problem}" for v in out.values() for d in v if d.problem)
        return out

    def groups(self, queue: str) -> list[infos.GroupInfo]:
        """Aggregation groups with their sizes; like Go, no queue check is made."""
        found = [infos.GroupInfo(_text(g), n) for g, n in self.broker.list_groups(queue)]
        return sorted(found, key=lambda g: g.group)

    def pause_queue(self, queue: str) -> None:
        """Stop workers dequeuing from ``queue``; forwarding and aggregation go on."""
        check_queue_name(queue)
        if not self.broker.pause(queue, self.broker.now()):
            raise QueueStateError(f'queue "{queue}" is already paused')

    def unpause_queue(self, queue: str) -> None:
        """Let workers dequeue from ``queue`` again."""
        check_queue_name(queue)
        if not self.broker.unpause(queue):
            raise QueueStateError(f'queue "{queue}" is not paused')

    def delete_queue(self, queue: str, force: bool = False) -> None:
        """Remove a queue; ``force`` also deletes its tasks unless some are running.

        Like Go, completed tasks, groups, counters and the paused key stay in Redis.
        """
        if not self.broker.queue_exists(queue):
            raise QueueNotFoundError(queue)
        code = self.broker.remove_queue(queue, force)
        if code == -1:
            raise QueueNotEmptyError(queue)
        if code == -2:
            raise QueueStateError("cannot remove queue with active tasks")

    # -- task listings --------------------------------------------------------------------------
    def list_tasks(
        self,
        queue: str,
        state: str | TaskState,
        page_size: int = 30,
        page: int = 1,
        *,
        group: str | None = None,
        newest_first: bool = False,
    ) -> TaskPage:
        """One page of the tasks of ``state`` in the order its container keeps them (see
        ``pyasynq.states``: pending next to be dequeued first, active longest running first,
        scheduled/retry soonest first, archived oldest archived first, completed soonest to
        expire first, aggregating oldest in ``group`` first). ``newest_first`` pages from the
        other end (completed: the most recently completed for one retention)."""
        spec = states.model(state)
        if spec.grouped and not group:
            raise ValueError(f"{spec.name} tasks are listed per group: give group")
        return self._page(
            queue,
            spec.state,
            page_size,
            page,
            group=group if spec.grouped else None,
            reverse=newest_first,
        )

    def list_pending_tasks(self, queue: str, page_size: int = 30, page: int = 1) -> TaskPage:
        """Pending tasks, the next to be dequeued first."""
        return self.list_tasks(queue, TaskState.PENDING, page_size, page)

    def list_active_tasks(self, queue: str, page_size: int = 30, page: int = 1) -> TaskPage:
        """Running tasks, longest running first; ``is_orphaned`` when the lease has expired."""
        return self.list_tasks(queue, TaskState.ACTIVE, page_size, page)

    def list_scheduled_tasks(self, queue: str, page_size: int = 30, page: int = 1) -> TaskPage:
        """Scheduled tasks, soonest first."""
        return self.list_tasks(queue, TaskState.SCHEDULED, page_size, page)

    def list_retry_tasks(self, queue: str, page_size: int = 30, page: int = 1) -> TaskPage:
        """Tasks waiting to be retried, soonest first."""
        return self.list_tasks(queue, TaskState.RETRY, page_size, page)

    def list_archived_tasks(self, queue: str, page_size: int = 30, page: int = 1) -> TaskPage:
        """Archived tasks, oldest archived first (Go's actual order)."""
        return self.list_tasks(queue, TaskState.ARCHIVED, page_size, page)

    def list_completed_tasks(
        self, queue: str, page_size: int = 30, page: int = 1, *, newest_first: bool = False
    ) -> TaskPage:
        """Completed tasks kept for retention, soonest to expire first (Go's order), or with
        ``newest_first`` latest to expire first: the most recently completed for one retention."""
        return self.list_tasks(
            queue, TaskState.COMPLETED, page_size, page, newest_first=newest_first
        )

    def list_aggregating_tasks(
        self, queue: str, group: str, page_size: int = 30, page: int = 1
    ) -> TaskPage:
        """Tasks waiting in one aggregation group, oldest first."""
        return self.list_tasks(queue, TaskState.AGGREGATING, page_size, page, group=group)

    def get_task_info(self, queue: str, task_id: str) -> TaskInfo:
        """One task wherever it is; unlike Go, an active task's ``is_orphaned`` is computed."""
        self._queue(queue)
        now = self.broker.now()
        try:
            found = self.broker.task_info(queue, task_id, now)
        except BadDataError as exc:
            raise BadDataError(
                f'task {task_id} in queue "{queue}" cannot be read: {exc}', queue=queue
            ) from exc
        return self._task_info_from_raw(queue, task_id, found, now)

    @staticmethod
    def _task_info_from_raw(queue: str, task_id: str, found: Any, now: float) -> TaskInfo:
        """The TaskInfo of ``get_task_info`` from the broker's raw reply (shared with
        ``AsyncInspector``)."""
        if found is None:
            raise TaskNotFoundError(queue, task_id)
        msg_bytes, state, npa, result, lease = found
        try:
            msg = decode_task(msg_bytes)
        except CorruptMessageError as exc:
            raise CorruptMessageError(
                f'task {task_id} in queue "{queue}" has an unreadable message: {exc}'
            ) from exc
        if msg.id != task_id:
            raise CorruptMessageError(
                f'task {task_id} in queue "{queue}" holds the message of another task '
                f"({msg.id[:60]!r})"
            )
        if state == "pending":
            npa = now
        if state not in TaskState._value2member_map_:  # written by something else: say so
            raise CorruptMessageError(
                f'task {task_id} in queue "{queue}" has an unknown state {str(state)[:40]!r}'
            )
        orphaned = state == "active" and lease is not None and lease <= now
        return TaskInfo.from_message(
            msg, state, next_process_at=npa, result=result, is_orphaned=orphaned
        )

    # -- single-task actions --------------------------------------------------------------------
    @staticmethod
    def _action_error(action: str, code: int, queue: str, task_id: str) -> Exception | None:
        if code == 1:
            return None
        if code == 0:
            return TaskNotFoundError(queue, task_id)
        if code == -3:
            return BadDataError(
                f"task {task_id} in queue {queue!r} is missing from the container its state names",
                queue=queue,
            )
        if action == "run":
            return TaskStateError(_RUN_ERRORS[code])
        if action == "archive":
            if code == -1:
                return TaskAlreadyArchivedError(queue, task_id)
            return TaskStateError(_ARCHIVE_ACTIVE)
        return TaskStateError(_DELETE_ACTIVE)

    def _act(self, action: str, queue: str, task_id: str) -> None:
        self._queue(queue)
        error = self._action_error(
            action, self.broker.task_action(action, queue, task_id), queue, task_id
        )
        if error is not None:
            raise error

    def run_task(self, queue: str, task_id: str) -> None:
        """Move a scheduled, retry, archived, completed or aggregating task to pending now."""
        self._act("run", queue, task_id)

    def archive_task(self, queue: str, task_id: str) -> None:
        """Archive a task that is not running; its message is kept unchanged."""
        self._act("archive", queue, task_id)

    def delete_task(self, queue: str, task_id: str) -> None:
        """Delete a task that is not running, releasing its unique lock if it holds it."""
        self._act("delete", queue, task_id)

    def _batch(self, action: str, queue: str, task_ids: Iterable[str]) -> BatchResult:
        self._queue(queue)
        ids = list(dict.fromkeys(task_ids))
        result = BatchResult()
        for task_id, code in zip(ids, self.broker.task_actions(action, queue, ids), strict=True):
            error = (
                code
                if isinstance(code, Exception)
                else self._action_error(action, code, queue, task_id)
            )
            if error is None:
                result.done += 1
            else:
                result.errors[task_id] = str(error)
        return result

    def run_tasks(self, queue: str, task_ids: Iterable[str]) -> BatchResult:
        """``run_task`` on selected rows in one round trip; failures are reported, not raised."""
        return self._batch("run", queue, task_ids)

    def archive_tasks(self, queue: str, task_ids: Iterable[str]) -> BatchResult:
        """``archive_task`` on selected rows in one round trip."""
        return self._batch("archive", queue, task_ids)

    def delete_tasks(self, queue: str, task_ids: Iterable[str]) -> BatchResult:
        """``delete_task`` on selected rows in one round trip."""
        return self._batch("delete", queue, task_ids)

    def update_task_payload(self, queue: str, task_id: str, payload: bytes) -> TaskInfo:
        """Replace the payload of a waiting task (pending, scheduled, retry or archived).

        Broader than Go (scheduled only). The unique key is not recomputed, as in Go.
        """
        if not isinstance(payload, bytes | bytearray | memoryview):
            raise TypeError(f"payload must be bytes, got {type(payload).__name__}")
        self._queue(queue)
        found = self.broker.task_info(queue, task_id, self.broker.now())
        if found is None:
            raise TaskNotFoundError(queue, task_id)
        old = found[0]
        msg = decode_task(old)
        msg.payload = bytes(payload)
        code, state = self.broker.update_payload(
            queue, task_id, encode(msg), old, PAYLOAD_UPDATE_STATES
        )
        if code == 0:
            raise TaskNotFoundError(queue, task_id)
        if code == -1:
            raise TaskStateError(
                f"cannot update the payload of a task in {state} state; "
                f"only {', '.join(PAYLOAD_UPDATE_STATES)} tasks can be edited"
            )
        if code == -2:
            raise TaskStateError(f"task {task_id} changed while updating its payload; try again")
        return self.get_task_info(queue, task_id)

    def cancel_processing(self, task_id: str) -> None:
        """Ask every server to cancel ``task_id`` if it runs it (best effort, no queue check)."""
        self.broker.publish_cancel(task_id)

    # -- bulk actions ---------------------------------------------------------------------------
    def bulk(
        self, queue: str, state: str | TaskState, action: str, *, group: str | None = None
    ) -> int:
        """Do ``action`` to every task of ``state`` (of ``group`` for aggregating); how many.

        The actions allowed per state are the state model's (``pyasynq.states``); anything else
        is a ``TaskStateError``. ``cancel`` (active only) signals every running task, walking
        the active list 100 at a time as Asynqmon's cancel-all does."""
        spec = states.model(state)
        if not spec.allows(action):
            allowed = ", ".join(spec.actions)
            raise TaskStateError(
                f"cannot {action} all {spec.name} tasks; {spec.name} tasks allow: {allowed}"
            )
        if spec.grouped and not group:
            raise ValueError(f"{spec.name} tasks are acted on per group: give group")
        self._queue(queue)
        if action == "cancel":
            return self._cancel_all(queue)
        where = group if spec.grouped else None
        if action == "run":
            return self.broker.run_all(queue, spec.name, where)
        if action == "archive":
            return self.broker.archive_all(queue, spec.name, where)
        return self.broker.delete_all(queue, spec.name, where)

    def _cancel_all(self, queue: str) -> int:
        ids: list[str] = []
        page = 1
        while True:
            batch = self.list_tasks(queue, TaskState.ACTIVE, 100, page)
            ids.extend(t.id for t in batch)
            if len(batch) < 100:
                break
            page += 1
        for task_id in dict.fromkeys(ids):
            self.cancel_processing(task_id)
        return len(set(ids))

    def run_all_scheduled_tasks(self, queue: str) -> int:
        """Move every scheduled task to pending; returns how many."""
        return self.bulk(queue, TaskState.SCHEDULED, "run")

    def run_all_retry_tasks(self, queue: str) -> int:
        """Move every retry task to pending; returns how many."""
        return self.bulk(queue, TaskState.RETRY, "run")

    def run_all_archived_tasks(self, queue: str) -> int:
        """Move every archived task to pending; returns how many."""
        return self.bulk(queue, TaskState.ARCHIVED, "run")

    def run_all_aggregating_tasks(self, queue: str, group: str) -> int:
        """Move a whole group to pending without aggregating it; returns how many."""
        return self.bulk(queue, TaskState.AGGREGATING, "run", group=group)

    def archive_all_pending_tasks(self, queue: str) -> int:
        """Archive every pending task; returns how many."""
        return self.bulk(queue, TaskState.PENDING, "archive")

    def archive_all_scheduled_tasks(self, queue: str) -> int:
        """Archive every scheduled task; returns how many."""
        return self.bulk(queue, TaskState.SCHEDULED, "archive")

    def archive_all_retry_tasks(self, queue: str) -> int:
        """Archive every retry task; returns how many."""
        return self.bulk(queue, TaskState.RETRY, "archive")

    def archive_all_aggregating_tasks(self, queue: str, group: str) -> int:
        """Archive a whole group; returns how many."""
        return self.bulk(queue, TaskState.AGGREGATING, "archive", group=group)

    def delete_all_pending_tasks(self, queue: str) -> int:
        """Delete every pending task (unique locks stay, as in Go); returns how many."""
        return self.bulk(queue, TaskState.PENDING, "delete")

    def delete_all_scheduled_tasks(self, queue: str) -> int:
        """Delete every scheduled task, releasing their unique locks; returns how many."""
        return self.bulk(queue, TaskState.SCHEDULED, "delete")

    def delete_all_retry_tasks(self, queue: str) -> int:
        """Delete every retry task, releasing their unique locks; returns how many."""
        return self.bulk(queue, TaskState.RETRY, "delete")

    def delete_all_archived_tasks(self, queue: str) -> int:
        """Delete every archived task, releasing their unique locks; returns how many."""
        return self.bulk(queue, TaskState.ARCHIVED, "delete")

    def delete_all_completed_tasks(self, queue: str) -> int:
        """Delete every completed task, releasing their unique locks; returns how many."""
        return self.bulk(queue, TaskState.COMPLETED, "delete")

    def delete_all_aggregating_tasks(self, queue: str, group: str) -> int:
        """Delete a whole group (unique locks stay, as in Go); returns how many."""
        return self.bulk(queue, TaskState.AGGREGATING, "delete", group=group)

    # -- servers and schedulers -----------------------------------------------------------------
    def servers(self) -> list[infos.ServerInfo]:
        """Live worker servers with the tasks they run; expired heartbeats are pruned.

        Returns ``Records``: a server or running-task record that cannot be read is left out
        and named in ``problems`` with what is wrong; the others are listed."""
        problems: list[str] = []
        try:
            server_data, worker_data = self.broker.server_records(self.broker.now())
        except BadDataError as exc:
            self._saw([f"{keys.ALL_SERVERS} or {keys.ALL_WORKERS}: {exc}"])
            return infos.Records([], [f"{keys.ALL_SERVERS} or {keys.ALL_WORKERS}: {exc}"])
        by_server: dict[str, list[infos.WorkerInfo]] = {}
        for name, raw in worker_data:
            if isinstance(raw, BaseException):
                problems.append(f"{name}: {raw}")
                continue
            try:
                w = decode(WorkerInfo, raw)
            except CorruptMessageError as exc:
                problems.append(f"{name}: {exc}")
                continue
            by_server.setdefault(w.server_id, []).append(
                infos.WorkerInfo(
                    task_id=w.task_id,
                    task_type=w.task_type,
                    task_payload=bytes(w.task_payload),
                    queue=w.queue,
                    started=_utc(timestamp_seconds(w, "start_time")),
                    deadline=_utc(timestamp_seconds(w, "deadline")),
                )
            )
        out = []
        for name, raw in server_data:
            if isinstance(raw, BaseException):
                problems.append(f"{name}: {raw}")
                continue
            try:
                s = decode(ServerInfo, raw)
            except CorruptMessageError as exc:
                problems.append(f"{name}: {exc}")
                continue
            workers = sorted(by_server.get(s.server_id, []), key=lambda w: w.task_id)
            out.append(
                infos.ServerInfo(
                    id=s.server_id,
                    host=s.host,
                    pid=s.pid,
                    concurrency=s.concurrency,
                    queues=dict(s.queues),
                    strict_priority=s.strict_priority,
                    started=_utc(timestamp_seconds(s, "start_time")),
                    status=s.status,
                    active_workers=workers,
                )
            )
        self._saw(problems)
        return infos.Records(sorted(out, key=lambda s: (s.host, s.pid, s.id)), problems)

    def scheduler_entries(self) -> list[infos.SchedulerEntry]:
        """Periodic tasks of live schedulers, soonest next run first; options stay raw strings.

        Returns ``Records``: entries that cannot be read are named in ``problems``."""
        out = []
        problems: list[str] = []
        try:
            records = self.broker.scheduler_records(self.broker.now())
        except BadDataError as exc:
            self._saw([f"{keys.ALL_SCHEDULERS}: {exc}"])
            return infos.Records([], [f"{keys.ALL_SCHEDULERS}: {exc}"])
        for key, elements in records:
            name = _text(key)
            scheduler_id = name[len(keys.ALL_SCHEDULERS) + 2 : -1]
            if isinstance(elements, BaseException):
                problems.append(f"{name}: {elements}")
                continue
            for i, raw in enumerate(elements):
                try:
                    e = decode(SchedulerEntry, raw)
                except CorruptMessageError as exc:
                    problems.append(f"{name} element {i}: {exc}")
                    continue
                out.append(
                    infos.SchedulerEntry(
                        id=e.id,
                        spec=e.spec,
                        task_type=e.task_type,
                        task_payload=bytes(e.task_payload),
                        options=list(e.enqueue_options),
                        next_enqueue_at=_utc(timestamp_seconds(e, "next_enqueue_time")),
                        prev_enqueue_at=_utc(timestamp_seconds(e, "prev_enqueue_time")),
                        scheduler_id=scheduler_id,
                    )
                )
        far = datetime.max.replace(tzinfo=UTC)
        self._saw(problems)
        return infos.Records(sorted(out, key=lambda e: (e.next_enqueue_at or far, e.id)), problems)

    def list_scheduler_enqueue_events(
        self, entry_id: str, page_size: int = 30, page: int = 1
    ) -> list[infos.SchedulerEnqueueEvent]:
        """Tasks a periodic entry enqueued, newest first."""
        start, stop = _check_page(page_size, page)
        out = []
        problems = []
        for raw, _score in self.broker.scheduler_history(entry_id, start, stop):
            try:
                ev = decode(SchedulerEnqueueEvent, raw)
            except CorruptMessageError as exc:
                problems.append(f"{keys.scheduler_history(entry_id)}: {exc}")
                continue
            out.append(
                infos.SchedulerEnqueueEvent(
                    task_id=ev.task_id, enqueued_at=_utc(timestamp_seconds(ev, "enqueue_time"))
                )
            )
        self._saw(problems)
        return infos.Records(out, problems)

    # -- redis and cluster ----------------------------------------------------------------------
    def cluster_key_slot(self, queue: str) -> int:
        """The cluster slot of every key of ``queue`` (CRC16 of the name, by the hash tag)."""
        return keys.cluster_slot(queue)

    def cluster_nodes(self, queue: str) -> list[infos.ClusterNode]:
        """The nodes serving ``queue``'s slot (primary first)."""
        slot = self.cluster_key_slot(queue)
        for row in self.broker.cluster_slots():
            start, end, *nodes = row
            if int(start) <= slot <= int(end):
                return [
                    infos.ClusterNode(
                        id=_text(n[2]) if len(n) > 2 else "", addr=f"{_text(n[0])}:{int(n[1])}"
                    )
                    for n in nodes
                ]
        raise BrokerError("nodes not found")

    def redis_info(self) -> dict[str, str]:
        """INFO as text pairs (what the console's Redis page shows)."""
        return {k: _flat(v) for k, v in self.broker.info().items()}

    def redis_cluster_info(self) -> dict[str, str]:
        """CLUSTER INFO as text pairs; a BrokerError on a Redis without cluster mode."""
        return {_text(k): _flat(v) for k, v in self.broker.cluster_info().items()}


def _daily(queue: str, date: datetime, processed: int | None, failed: int | None) -> Any:
    """One day's DailyStats; a counter that is not an integer counts 0 and is named."""
    bad = [name for name, v in (("processed", processed), ("failed", failed)) if v is None]
    return infos.DailyStats(
        queue=queue,
        processed=processed or 0,
        failed=failed or 0,
        date=date,
        problem=f"{' and '.join(bad)} counter of {utc_day(date.timestamp())} is not an integer"
        if bad
        else "",
    )


def _flat(value: Any) -> str:
    if isinstance(value, dict):
        return ",".join(f"{k}={_flat(v)}" for k, v in value.items())
    return _text(value) if isinstance(value, bytes) else str(value)
