"""Server: runs handlers for tasks in Redis, as Go Asynq's ``asynq.Server`` does.

It wires the processor and the background components and owns their start/stop order
(spec §6.1, §6.7). Defaults are Asynq's (spec §9); every interval is a parameter so tests can
shorten them, and ``clock`` decides what "now" is for leases, deadlines and retry times.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any

from pyasynq import worker_log
from pyasynq.broker.broker import Broker
from pyasynq.broker.connection import RedisTarget
from pyasynq.clock import SYSTEM_CLOCK, Clock
from pyasynq.components.forwarder import Forwarder
from pyasynq.components.healthcheck import HealthChecker
from pyasynq.components.heartbeat import Heartbeat
from pyasynq.components.janitor import Janitor
from pyasynq.components.limits_sync import LimitsSync
from pyasynq.components.recoverer import Recoverer
from pyasynq.components.subscriber import Subscriber
from pyasynq.components.syncer import Syncer
from pyasynq.components.throughput import ThroughputRecorder
from pyasynq.errors import ServerClosedError
from pyasynq.limits import Limit, Limits
from pyasynq.processor import Processor, default_retry_delay
from pyasynq.queues import QueueOrder
from pyasynq.task import Task

Duration = float | int | timedelta


def _seconds(value: Duration, what: str, *, allow_zero: bool = False) -> float:
    s = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if s < 0 or (s == 0 and not allow_zero):
        raise ValueError(f"{what} must be {'>= 0' if allow_zero else 'positive'}, got {value!r}")
    return s


def hostname() -> str:
    try:
        return socket.gethostname() or "unknown-host"
    except OSError:
        return "unknown-host"


class Server:
    """A pool of workers taking tasks from Redis.

    ``run(handler)`` blocks until SIGTERM/SIGINT (graceful shutdown); SIGTSTP stops fetching
    new tasks. ``start(handler)`` returns at once; then ``stop()`` (stop fetching) and
    ``shutdown()`` (finish or requeue in-flight tasks, within ``shutdown_timeout``).
    A handler is a function ``(ctx, task)``, an object with ``process_task(ctx, task)``, an
    async function, or a ``ServeMux``.
    """

    def __init__(
        self,
        redis: RedisTarget | Broker = "redis://127.0.0.1:6379/0",
        *,
        concurrency: int | None = None,
        queues: Mapping[str, int] | None = None,
        strict_priority: bool = False,
        shutdown_timeout: Duration = 8,
        retry_delay_func: Callable[[int, BaseException, Task], Duration] | None = None,
        is_failure: Callable[[BaseException], bool] | None = None,
        error_handler: Any = None,
        health_check_func: Callable[[BaseException | None], Any] | None = None,
        health_check_interval: Duration = 15,
        delayed_task_check_interval: Duration = 5,
        group_grace_period: Duration = 60,
        group_max_delay: Duration = 0,
        group_max_size: int = 0,
        group_aggregator: Callable[[str, list[Task]], Task] | Any = None,
        logger: logging.Logger | None = None,
        clock: Clock | None = None,
        heartbeat_interval: Duration = 5,
        recoverer_interval: Duration = 60,
        janitor_interval: Duration = 8,
        janitor_batch_size: int = 100,
        syncer_interval: Duration = 5,
        subscriber_retry_interval: Duration = 5,
        task_check_interval: Duration = 1,
        tick: Duration = 0.5,
        record_throughput: bool = True,
        throughput_interval: Duration = 10,
        lease_duration: int | None = None,
        lease_cutoff: Duration = 30,
        limits: Iterable[Limit] | None = None,
        limits_refresh_interval: Duration = 2,
    ) -> None:
        if isinstance(redis, Broker):
            self.broker = redis
            self.clock = clock or redis.clock
        else:
            self.clock = clock or SYSTEM_CLOCK
            self.broker = Broker(redis, clock=self.clock)
        if concurrency is not None and (isinstance(concurrency, bool) or int(concurrency) < 0):
            raise ValueError(f"concurrency must be a positive number of tasks, got {concurrency!r}")
        if concurrency is None or concurrency < 1:
            # Go: the CPUs usable by the process (affinity), not all CPUs of the machine.
            usable = getattr(os, "sched_getaffinity", None)
            concurrency = len(usable(0)) if usable else (os.cpu_count() or 1)
        self.concurrency = int(concurrency)
        self.queue_order = QueueOrder(queues, strict_priority)
        self.queues = self.queue_order.configured
        self.strict_priority = bool(strict_priority)
        self.shutdown_timeout = _seconds(shutdown_timeout, "shutdown_timeout", allow_zero=True)
        self.retry_delay_func = retry_delay_func or default_retry_delay
        self.is_failure = is_failure or (lambda err: True)
        self.error_handler = error_handler
        self.health_check_func = health_check_func
        self.health_check_interval = _seconds(health_check_interval, "health_check_interval")
        self.delayed_task_check_interval = _seconds(
            delayed_task_check_interval, "delayed_task_check_interval"
        )
        self.group_grace_period = _seconds(group_grace_period, "group_grace_period")
        if self.group_grace_period < 1:
            raise ValueError("group_grace_period cannot be less than 1 second")
        self.group_max_delay = _seconds(group_max_delay, "group_max_delay", allow_zero=True)
        if group_max_size < 0:
            raise ValueError("group_max_size cannot be negative")
        self.group_max_size = int(group_max_size)
        self.group_aggregator = group_aggregator
        self.log = logger or logging.getLogger("pyasynq.server")
        self.heartbeat_interval = _seconds(heartbeat_interval, "heartbeat_interval")
        self.recoverer_interval = _seconds(recoverer_interval, "recoverer_interval")
        self.janitor_interval = _seconds(janitor_interval, "janitor_interval")
        if int(janitor_batch_size) < 1:
            raise ValueError(f"janitor_batch_size must be at least 1, got {janitor_batch_size!r}")
        self.janitor_batch_size = int(janitor_batch_size)
        self.syncer_interval = _seconds(syncer_interval, "syncer_interval")
        self.subscriber_retry_interval = _seconds(
            subscriber_retry_interval, "subscriber_retry_interval"
        )
        self.task_check_interval = _seconds(task_check_interval, "task_check_interval")
        self.tick = _seconds(tick, "tick")
        # per-minute throughput samples for the console (pyasynq keys only; Go ignores them)
        self.record_throughput = bool(record_throughput)
        self.throughput_interval = _seconds(throughput_interval, "throughput_interval")
        # Asynq's 30 s lease and 30 s recoverer skew allowance; fault tests shorten both so a
        # SIGKILLed worker's tasks are recovered in seconds rather than a minute.
        if lease_duration is not None:
            if int(lease_duration) < 1 or int(lease_duration) <= self.heartbeat_interval:
                raise ValueError(
                    "lease_duration must be a whole number of seconds above heartbeat_interval"
                )
            self.broker.lease_duration = int(lease_duration)
        self.lease_cutoff = _seconds(lease_cutoff, "lease_cutoff", allow_zero=True)
        # fleet-wide limits (pyasynq.limits): written to Redis at start, shared by every worker
        self.limits = list(limits or ())
        if not all(isinstance(x, Limit) for x in self.limits):
            raise TypeError("limits must be pyasynq.Limit objects")
        self.limits_refresh_interval = _seconds(limits_refresh_interval, "limits_refresh_interval")
        self.limits_sync: LimitsSync | None = None

        self.process_count = 1  # worker processes of this deployment (the CLI's --processes)
        self.host = hostname()
        self.pid = os.getpid()
        self.server_id = str(uuid.uuid4())
        self._state = "new"
        self._lock = threading.Lock()
        self.processor: Processor | None = None
        self.heartbeat: Heartbeat | None = None
        self.forwarder: Forwarder | None = None
        self.recoverer: Recoverer | None = None
        self.janitor: Janitor | None = None
        self.syncer: Syncer | None = None
        self.subscriber: Subscriber | None = None
        self.healthchecker: HealthChecker | None = None
        self.aggregator: Any = None
        self.throughput: ThroughputRecorder | None = None
        self._shutdown_requested = threading.Event()
        self._closed = threading.Event()

    @property
    def state(self) -> str:
        """``new``, ``active``, ``stopped`` (no new tasks) or ``closed`` (shut down/shutting down)."""
        return self._state

    # -- lifecycle --------------------------------------------------------------------------
    def start(self, handler: Any) -> None:
        """Start the workers and background components; returns at once."""
        with self._lock:
            if self._state == "closed":
                raise ServerClosedError()
            if self._state != "new":
                raise RuntimeError("asynq: the server is already running")
            self._state = "active"
        names = list(self.queues)
        self.syncer = Syncer(interval=self.syncer_interval, clock=self.clock, logger=self.log)
        self.processor = Processor(
            self.broker,
            handler,
            concurrency=self.concurrency,
            queue_order=self.queue_order,
            clock=self.clock,
            retry_delay_func=self.retry_delay_func,
            is_failure=self.is_failure,
            error_handler=self.error_handler,
            syncer=self.syncer,
            logger=self.log,
            task_check_interval=self.task_check_interval,
            tick=self.tick,
        )
        if self.limits:
            Limits(self.broker).set_many(self.limits)
        self.limits_sync = LimitsSync.for_processor(
            self.processor, self.broker, names, self.limits_refresh_interval, logger=self.log
        )
        self.heartbeat = Heartbeat(
            self.broker,
            self.processor,
            host=self.host,
            pid=self.pid,
            server_id=self.server_id,
            concurrency=self.concurrency,
            queues=self.queues,
            strict_priority=self.strict_priority,
            status=lambda: self._state,
            interval=self.heartbeat_interval,
            clock=self.clock,
            logger=self.log,
        )
        self.forwarder = Forwarder(
            self.broker,
            names,
            interval=self.delayed_task_check_interval,
            clock=self.clock,
            logger=self.log,
        )
        self.recoverer = Recoverer(
            self.broker,
            names,
            interval=self.recoverer_interval,
            cutoff=self.lease_cutoff,
            clock=self.clock,
            retry_delay_func=self.retry_delay_func,
            is_failure=self.is_failure,
            logger=self.log,
        )
        self.janitor = Janitor(
            self.broker,
            names,
            interval=self.janitor_interval,
            clock=self.clock,
            batch_size=self.janitor_batch_size,
            logger=self.log,
        )
        self.subscriber = Subscriber(
            self.broker,
            self.processor.cancel,
            retry_interval=self.subscriber_retry_interval,
            logger=self.log,
            on_wake=self.processor.notify,
        )
        if self.health_check_func is not None:
            self.healthchecker = HealthChecker(
                self.broker,
                self.health_check_func,
                interval=self.health_check_interval,
                logger=self.log,
            )
        if self.group_aggregator is not None:
            self.aggregator = self._make_aggregator(names)
        if self.record_throughput:
            self.throughput = ThroughputRecorder(
                self.broker, clock=self.clock, interval=self.throughput_interval, logger=self.log
            )
        # Go's order: heartbeater, healthchecker, subscriber, syncer, recoverer, forwarder,
        # janitor, aggregator, processor.
        for component in self._components_in_start_order():
            component.start()
        worker_log.startup(self, self.process_count)

    def _make_aggregator(self, names: list[str]) -> Any:
        try:
            from pyasynq.components.aggregator import Aggregator
        except ImportError as exc:
            raise RuntimeError(
                "group_aggregator is set but pyasynq.components.aggregator is unavailable"
            ) from exc
        aggregate = getattr(self.group_aggregator, "aggregate", self.group_aggregator)
        return Aggregator(
            self.broker,
            names,
            grace_period=self.group_grace_period,
            max_delay=self.group_max_delay,
            max_size=self.group_max_size,
            aggregate=aggregate,
            clock=self.clock,
            logger=self.log,
        )

    def _components_in_start_order(self) -> list[Any]:
        found = [
            self.heartbeat,
            self.healthchecker,
            self.subscriber,
            self.syncer,
            self.recoverer,
            self.forwarder,
            self.janitor,
            self.aggregator,
            self.throughput,
            self.limits_sync,
            self.processor,
        ]
        return [c for c in found if c is not None]

    def stop(self) -> None:
        """Stop fetching new tasks (in-flight tasks finish); the heartbeat says ``stopped``."""
        with self._lock:
            if self._state != "active":
                return
            self._state = "stopped"
        assert self.processor is not None
        self.processor.stop()

    def shutdown(self) -> None:
        """Graceful shutdown: stop fetching, wait up to ``shutdown_timeout`` for in-flight tasks,
        push the others back to pending, stop every component, clear the server state."""
        with self._lock:
            if self._state in ("new", "closed"):
                if self._state == "new":
                    self._closed.set()
                self._state = "closed"
                return
            self._state = "closed"
        self._shutdown_requested.set()
        # Go's order: forwarder, processor, recoverer, syncer, subscriber, janitor, aggregator,
        # healthchecker, heartbeater (last, so the server shows as "closed" while it waits).
        assert self.forwarder and self.processor and self.recoverer and self.syncer
        assert self.subscriber and self.janitor and self.heartbeat
        self.forwarder.stop()
        self.heartbeat.trigger()
        self.processor.shutdown(self.shutdown_timeout)
        for component in (
            self.recoverer,
            self.syncer,
            self.subscriber,
            self.janitor,
            self.aggregator,
            self.throughput,
            self.limits_sync,
            self.healthchecker,
            self.heartbeat,
        ):
            if component is not None:
                component.stop()
        self._closed.set()
        self.log.info("server %s shut down", self.server_id)

    # -- run with signals -------------------------------------------------------------------
    def run(self, handler: Any) -> None:
        """Start, then block until SIGTERM or SIGINT and shut down gracefully.

        SIGTSTP stops fetching new tasks (the process keeps running, as in Go). Must be called
        from the main thread (Python delivers signals there).
        """
        wanted: dict[int, str] = {signal.SIGTERM: "shutdown", signal.SIGINT: "shutdown"}
        if hasattr(signal, "SIGTSTP"):
            wanted[signal.SIGTSTP] = "stop"
        previous: dict[int, Any] = {}

        def on_signal(signum: int, _frame: Any) -> None:
            if wanted.get(signum) == "stop":
                self.log.info("SIGTSTP: no longer fetching new tasks")
                threading.Thread(target=self.stop, daemon=True).start()
            else:
                self._shutdown_requested.set()

        try:
            for sig in wanted:
                previous[sig] = signal.signal(sig, on_signal)
        except ValueError:  # not the main thread: rely on shutdown() being called elsewhere
            previous.clear()
        # handlers first: a SIGTERM that arrives while starting is still a graceful shutdown
        try:
            self.start(handler)
            while not self._shutdown_requested.wait(0.5):
                pass
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)
            self.shutdown()
            self._closed.wait()

    def request_shutdown(self) -> None:
        """Make a blocking ``run()`` return after a graceful shutdown (thread-safe)."""
        self._shutdown_requested.set()
