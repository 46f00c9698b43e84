"""Scheduler: enqueue tasks periodically, visible to Go's ``asynq cron ls`` (spec §4.28–4.29, §7.1).

The scheduler never sleeps on the wall clock directly: it asks its clock for the time, fires every
entry that is due (``tick``) and waits on an Event for at most ``poll_interval`` seconds. So a
``ManualClock`` moved by a test is noticed promptly, and ``shutdown`` interrupts the wait at once.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from pyasynq import cron
from pyasynq.broker.broker import Broker
from pyasynq.broker.codec import encode, set_timestamp
from pyasynq.broker.connection import RedisTarget
from pyasynq.broker.proto import SchedulerEnqueueEvent, SchedulerEntry
from pyasynq.client import Client
from pyasynq.clock import Clock
from pyasynq.option_strings import format_options
from pyasynq.options import check_option_names, merge, resolve
from pyasynq.task import Task, TaskInfo

DEFAULT_HEARTBEAT_INTERVAL = 10.0

PreEnqueue = Callable[[Task, dict[str, Any]], None]
PostEnqueue = Callable[[TaskInfo | None, BaseException | None], None]
ErrorHandler = Callable[[Task, dict[str, Any], BaseException], None]


def hostname() -> str:
    try:
        return socket.gethostname() or "unknown-host"
    except OSError:
        return "unknown-host"


@dataclass
class Entry:
    """One registered periodic task and its run times (Unix seconds; ``None`` = never/unknown)."""

    id: str
    spec: str
    task: Task
    options: dict[str, Any]
    option_strings: list[str]
    schedule: cron.Schedule
    next_time: float | None = None
    prev_time: float | None = None
    last_error: BaseException | None = None
    last_task_id: str | None = None
    runs: int = 0
    errors: int = 0
    skipped: int = 0

    @property
    def next_enqueue_at(self) -> datetime | None:
        return None if self.next_time is None else datetime.fromtimestamp(self.next_time, UTC)

    @property
    def prev_enqueue_at(self) -> datetime | None:
        return None if self.prev_time is None else datetime.fromtimestamp(self.prev_time, UTC)

    def encode(self) -> bytes:
        """The ``SchedulerEntry`` protobuf; "never ran" is Go's zero time, not an absent field."""
        msg = SchedulerEntry(
            id=self.id,
            spec=self.spec,
            task_type=self.task.type,
            task_payload=self.task.payload or b"",
            enqueue_options=self.option_strings,
        )
        set_timestamp(msg.next_enqueue_time, self.next_time)
        set_timestamp(msg.prev_enqueue_time, self.prev_time)
        return encode(msg)


@dataclass(frozen=True)
class FireResult:
    """What one activation did: the TaskInfo on success, the error otherwise."""

    entry_id: str
    due: float
    info: TaskInfo | None
    error: BaseException | None


class Scheduler:
    """Enqueues registered tasks on cron specs, descriptors or ``@every`` intervals.

    ``redis`` is anything ``Client`` accepts (URL, settings, redis-py client, Broker) or a Client.
    ``location`` is the default zone of cron specs (a name or tzinfo; ``CRON_TZ=`` overrides it).
    Hooks: ``pre_enqueue(task, options)`` before each enqueue, ``post_enqueue(info, error)`` after
    it, ``error_handler(task, options, error)`` on failure. A failing hook or enqueue is logged and
    never stops the scheduler.
    """

    def __init__(
        self,
        redis: RedisTarget | Broker | Client = "redis://127.0.0.1:6379/0",
        *,
        location: str | tzinfo | None = "UTC",
        heartbeat_interval: float = DEFAULT_HEARTBEAT_INTERVAL,
        pre_enqueue: PreEnqueue | None = None,
        post_enqueue: PostEnqueue | None = None,
        error_handler: ErrorHandler | None = None,
        logger: logging.Logger | None = None,
        clock: Clock | None = None,
        poll_interval: float = 1.0,
    ) -> None:
        if heartbeat_interval <= 0:
            raise ValueError("heartbeat_interval must be positive")
        if isinstance(redis, Client):
            self.client, self._owns_client = redis, False
        else:
            self._owns_client = not isinstance(redis, Broker)
            self.client = Client(redis, clock=clock)
        self.broker: Broker = self.client.broker
        self.clock: Clock = clock or self.broker.clock
        self.location = cron.zone(location)
        self._location_arg = location
        self.heartbeat_interval = float(heartbeat_interval)
        self.pre_enqueue = pre_enqueue
        self.post_enqueue = post_enqueue
        self.error_handler = error_handler
        self.logger = logger or logging.getLogger("pyasynq.scheduler")
        self.poll_interval = poll_interval
        self.id = f"{hostname()}:{os.getpid()}:{uuid.uuid4()}"
        self._entries: dict[str, Entry] = {}
        self._lock = threading.RLock()
        self._tick_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._running = False
        self._closed = False

    # -- entries ------------------------------------------------------------------------------
    def register(self, spec: str, task: Task, **options: Any) -> str:
        """Add a periodic task; returns its entry ID. Raises ``ValueError`` for a bad spec/option.

        ``options`` are ``Client.enqueue`` keywords; they are stored as Go option strings so that
        Go's tools show them. Options set on the Task itself still apply but are not listed.
        """
        if not isinstance(task, Task):
            raise TypeError("task must be an engine.Task")
        check_option_names(options)
        options = {k: v for k, v in options.items() if v is not None}
        resolve(merge(task.options, options), self.clock.now())  # fail now, not at 3 a.m.
        schedule = cron.parse(spec, self.location)
        entry = Entry(
            id=str(uuid.uuid4()),
            spec=spec,
            task=task,
            options=options,
            option_strings=format_options(options),
            schedule=schedule,
            next_time=schedule.next_after(self.clock.now()),
        )
        with self._lock:
            self._entries[entry.id] = entry
        self._wake.set()
        return entry.id

    def unregister(self, entry_id: str) -> None:
        """Remove an entry (its history stays until shutdown, as in Go). ``KeyError`` if unknown."""
        with self._lock:
            if self._entries.pop(entry_id, None) is None:
                raise KeyError(f"no scheduler entry found: {entry_id}")
        self._wake.set()

    def entries(self) -> list[Entry]:
        """Registered entries by next run time (the order robfig/cron reports them)."""
        with self._lock:
            items = list(self._entries.values())
        return sorted(items, key=lambda e: (e.next_time is None, e.next_time or 0.0))

    def entry(self, entry_id: str) -> Entry:
        with self._lock:
            return self._entries[entry_id]

    # -- firing -------------------------------------------------------------------------------
    def next_due(self) -> float | None:
        with self._lock:
            times = [e.next_time for e in self._entries.values() if e.next_time is not None]
        return min(times) if times else None

    def tick(self, now: float | None = None) -> list[FireResult]:
        """Fire every entry whose next time is <= now, once, and compute its next time.

        Missed activations (the clock jumped over several) are coalesced into this one run, as
        robfig/cron does after a stall.
        """
        with self._tick_lock:
            when = self.clock.now() if now is None else now
            with self._lock:
                due = [
                    e
                    for e in self._entries.values()
                    if e.next_time is not None and e.next_time <= when
                ]
            due.sort(key=lambda e: e.next_time or 0.0)
            paused = self._paused_ids() if due else set()
            results = []
            for entry in due:
                at = entry.next_time
                assert at is not None
                nxt = entry.schedule.next_after(at)
                if nxt <= when:
                    nxt = entry.schedule.next_after(when)
                entry.prev_time, entry.next_time = at, nxt
                if entry.id in paused:  # paused from the console: skip this run, keep the beat
                    entry.skipped += 1
                    continue
                results.append(self._fire(entry, at))
            return results

    def _paused_ids(self) -> set[str]:
        """Entries paused from the console (``pyasynq:scheduler:paused``); none if Redis fails.

        Read only when something is due, so an idle scheduler adds no Redis traffic.
        """
        try:
            return set(self.broker.paused_entries())
        except Exception as exc:  # firing matters more than honouring a pause we cannot read
            self.logger.error("scheduler could not read paused entries: %s", exc)
            return set()

    def _call_hook(self, name: str, hook: Callable[..., Any] | None, *args: Any) -> None:
        if hook is None:
            return
        try:
            hook(*args)
        except Exception:
            self.logger.exception("scheduler %s hook failed", name)

    def _fire(self, entry: Entry, due: float) -> FireResult:
        options = dict(entry.options)
        self._call_hook("pre_enqueue", self.pre_enqueue, entry.task, dict(options))
        info: TaskInfo | None = None
        error: BaseException | None = None
        try:
            info = self.client.enqueue(entry.task, **options)
        except Exception as exc:
            error = exc
        self._call_hook("post_enqueue", self.post_enqueue, info, error)
        entry.runs += 1
        if error is not None:
            entry.errors += 1
            entry.last_error = error
            self.logger.error(
                "scheduler could not enqueue %s for entry %s (%s): %s",
                entry.task.type,
                entry.id,
                entry.spec,
                error,
            )
            self._call_hook("error_handler", self.error_handler, entry.task, dict(options), error)
            return FireResult(entry.id, due, None, error)
        assert info is not None
        entry.last_error, entry.last_task_id = None, info.id
        enqueued_at = self.clock.now()
        event = SchedulerEnqueueEvent(task_id=info.id)
        set_timestamp(event.enqueue_time, enqueued_at)
        try:
            self.broker.record_scheduler_enqueue_event(entry.id, encode(event), enqueued_at)
        except Exception as exc:  # the task is enqueued; a lost history line is not fatal
            self.logger.error("scheduler could not record history of entry %s: %s", entry.id, exc)
        return FireResult(entry.id, due, info, None)

    # -- heartbeat ------------------------------------------------------------------------------
    def heartbeat(self) -> None:
        """Publish all entries for 2 x heartbeat interval (spec §4.28).

        LPUSH in next-time order, so the list reads in reverse of it, like Go's.
        """
        entries = [e.encode() for e in self.entries()]
        self.broker.write_scheduler_entries(self.id, entries, 2 * self.heartbeat_interval)

    # -- running --------------------------------------------------------------------------------
    def _prepare(self) -> None:
        if self._closed:
            raise RuntimeError("scheduler was shut down")
        if self._running:
            raise RuntimeError("scheduler is already running")
        self._running = True
        self._stopping.clear()
        now = self.clock.now()
        with self._lock:  # like robfig/cron at start: next times count from now
            for entry in self._entries.values():
                entry.next_time = entry.schedule.next_after(now)

    def _loop(self) -> None:
        next_beat = self.clock.now() + self.heartbeat_interval  # first beat after one interval
        while not self._stopping.is_set():
            now = self.clock.now()
            try:
                self.tick(now)
            except Exception:
                self.logger.exception("scheduler tick failed")
            if now >= next_beat:
                try:
                    self.heartbeat()
                except Exception as exc:
                    self.logger.error("scheduler heartbeat failed: %s", exc)
                next_beat = now + self.heartbeat_interval
            wait = min(self.poll_interval, next_beat - now)
            due = self.next_due()
            if due is not None:
                wait = min(wait, due - now)
            self._wake.wait(max(0.001, wait))
            self._wake.clear()

    def start(self) -> Scheduler:
        """Run in a background (daemon) thread; call ``shutdown`` to stop."""
        self._prepare()
        self._thread = threading.Thread(target=self._loop, name="pyasynq-scheduler", daemon=True)
        self._thread.start()
        self.logger.info("scheduler %s started", self.id)
        return self

    def run(self) -> None:
        """Run in this thread until SIGTERM or SIGINT (or ``shutdown`` from another thread)."""
        self._prepare()
        previous: dict[signal.Signals, Any] = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                previous[sig] = signal.signal(sig, self._on_signal)
        self.logger.info("scheduler %s running; send SIGTERM or SIGINT to stop", self.id)
        try:
            self._loop()
        except KeyboardInterrupt:
            pass
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._shutdown(join=False)

    def _on_signal(self, signum: int, _frame: Any) -> None:
        self.logger.info("scheduler received signal %s; shutting down", signum)
        self.stop()

    def stop(self) -> None:
        """Ask the loop to end (safe from signal handlers); ``shutdown`` also cleans Redis."""
        self._stopping.set()
        self._wake.set()

    def shutdown(self, timeout: float | None = 10.0) -> None:
        """Stop, then remove the entries from Redis and DEL every entry's history (as Go does)."""
        self._shutdown(join=True, timeout=timeout)

    def _shutdown(self, *, join: bool, timeout: float | None = None) -> None:
        if self._closed:
            return
        self.stop()
        thread = self._thread
        if join and thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._closed, self._running = True, False
        try:
            self.broker.clear_scheduler_entries(self.id)
            for entry in self.entries():
                self.broker.delete_scheduler_history(entry.id)
        except Exception as exc:
            self.logger.error("scheduler could not clear its Redis state: %s", exc)
        if self._owns_client:
            self.client.close()
        self.logger.info("scheduler %s stopped", self.id)

    @property
    def running(self) -> bool:
        return self._running and not self._stopping.is_set()
