"""Server: runs handlers for tasks in Redis, as Go Asynq's ``asynq.Server`` does.

It wires the processor and the background components and owns their start/stop order
(spec §6.1, §6.7). Its settings are a ``ServerConfig`` (server_config.py: Asynq's defaults,
validated there); ``clock`` decides what "now" is for leases, deadlines and retry times.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from typing import Any

from pyasynq import server_config, worker_log
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
from pyasynq.extras.limits import Limits
from pyasynq.processor import Processor, default_retry_delay
from pyasynq.queues import QueueOrder
from pyasynq.server_config import ServerConfig, seconds


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
    async function, or a ``ServeMux``. Sync handlers run on up to ``concurrency`` threads;
    ``async def`` handlers run as tasks on one event loop per process, up to
    ``async_concurrency`` (default 100) at once; a ``ServeMux`` may mix both. Settings:
    ``Server(redis, config=ServerConfig(...))`` or the same fields as keywords,
    ``Server(redis, concurrency=4, queues={...})``.
    """

    def __init__(
        self,
        redis: RedisTarget | Broker = "redis://127.0.0.1:6379/0",
        *,
        config: ServerConfig | None = None,
        clock: Clock | None = None,
        logger: logging.Logger | None = None,
        **settings: Any,
    ) -> None:
        """``settings`` are ``ServerConfig`` fields; given with ``config`` they override it."""
        self.config = cfg = server_config.build(config, settings)
        if isinstance(redis, Broker):
            self.broker = redis
            self.clock = clock or redis.clock
        else:
            self.clock = clock or SYSTEM_CLOCK
            self.broker = Broker(redis, clock=self.clock)
        self.concurrency = int(cfg.concurrency or 1)
        self.async_concurrency = cfg.async_concurrency
        self.queue_order = QueueOrder(cfg.queues, cfg.strict_priority)
        self.queues = self.queue_order.configured
        self.strict_priority = cfg.strict_priority
        self.shutdown_timeout = seconds(cfg.shutdown_timeout)
        self.retry_delay_func = cfg.retry_delay_func or default_retry_delay
        self.is_failure = cfg.is_failure or (lambda err: True)
        self.log = logger or logging.getLogger("pyasynq.server")
        if cfg.lease_duration is not None:
            self.broker.lease_duration = cfg.lease_duration
        self.limits = list(cfg.limits or ())
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
        cfg = self.config
        names = list(self.queues)
        self.syncer = Syncer(
            interval=seconds(cfg.syncer_interval), clock=self.clock, logger=self.log
        )
        self.processor = Processor(
            self.broker,
            handler,
            concurrency=self.concurrency,
            async_concurrency=self.async_concurrency,
            queue_order=self.queue_order,
            clock=self.clock,
            retry_delay_func=self.retry_delay_func,
            is_failure=self.is_failure,
            error_handler=cfg.error_handler,
            syncer=self.syncer,
            logger=self.log,
            task_check_interval=seconds(cfg.task_check_interval),
            tick=seconds(cfg.tick),
        )
        if self.limits:
            Limits(self.broker).set_many(self.limits)
        self.limits_sync = LimitsSync.for_processor(
            self.processor,
            self.broker,
            names,
            seconds(cfg.limits_refresh_interval),
            logger=self.log,
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
            interval=seconds(cfg.heartbeat_interval),
            clock=self.clock,
            logger=self.log,
        )
        self.forwarder = Forwarder(
            self.broker,
            names,
            interval=seconds(cfg.delayed_task_check_interval),
            clock=self.clock,
            logger=self.log,
        )
        self.recoverer = Recoverer(
            self.broker,
            names,
            interval=seconds(cfg.recoverer_interval),
            cutoff=seconds(cfg.lease_cutoff),
            clock=self.clock,
            retry_delay_func=self.retry_delay_func,
            is_failure=self.is_failure,
            logger=self.log,
        )
        self.janitor = Janitor(
            self.broker,
            names,
            interval=seconds(cfg.janitor_interval),
            clock=self.clock,
            batch_size=cfg.janitor_batch_size,
            logger=self.log,
        )
        self.subscriber = Subscriber(
            self.broker,
            self.processor.cancel,
            retry_interval=seconds(cfg.subscriber_retry_interval),
            logger=self.log,
            on_wake=self.processor.notify,
            on_handoff=self.processor.accept_handoff,
            handoff_id=self.server_id,
        )
        self.processor.handoff_id = self.server_id
        if cfg.health_check_func is not None:
            self.healthchecker = HealthChecker(
                self.broker,
                cfg.health_check_func,
                interval=seconds(cfg.health_check_interval),
                logger=self.log,
            )
        if cfg.group_aggregator is not None:
            self.aggregator = self._make_aggregator(names)
        if cfg.record_throughput:
            self.throughput = ThroughputRecorder(
                self.broker,
                clock=self.clock,
                interval=seconds(cfg.throughput_interval),
                logger=self.log,
            )
        # Go's order: heartbeater, healthchecker, subscriber, syncer, recoverer, forwarder,
        # janitor, aggregator, processor.
        for component in self._components_in_start_order():
            component.start()
        worker_log.startup(self, self.process_count)

    def _make_aggregator(self, names: list[str]) -> Any:
        cfg = self.config
        try:
            from pyasynq.components.aggregator import Aggregator
        except ImportError as exc:
            raise RuntimeError(
                "group_aggregator is set but pyasynq.components.aggregator is unavailable"
            ) from exc
        aggregate = getattr(cfg.group_aggregator, "aggregate", cfg.group_aggregator)
        return Aggregator(
            self.broker,
            names,
            grace_period=seconds(cfg.group_grace_period),
            max_delay=seconds(cfg.group_max_delay),
            max_size=cfg.group_max_size,
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
