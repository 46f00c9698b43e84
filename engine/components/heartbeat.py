"""Heartbeat: every 5 s, write this server and its in-flight tasks (spec §4.26) and extend the
leases of in-flight tasks (§4.17). On stop it clears the server state (§4.27).

Go's inspector (and ours) list servers from these keys, so the protobufs follow spec §3.2/3.3.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyasynq import worker_log
from pyasynq.broker.codec import encode, set_timestamp
from pyasynq.broker.proto import ServerInfo, WorkerInfo
from pyasynq.clock import Clock
from pyasynq.components.periodic import Periodic

if TYPE_CHECKING:
    from pyasynq.broker.broker import Broker
    from pyasynq.processor import Processor


class Heartbeat(Periodic):
    name = "heartbeat"

    def __init__(
        self,
        broker: Broker,
        processor: Processor,
        *,
        host: str,
        pid: int,
        server_id: str,
        concurrency: int,
        queues: dict[str, int],
        strict_priority: bool,
        status: Callable[[], str],
        interval: float,
        clock: Clock,
        logger: logging.Logger | None = None,
    ) -> None:
        super().__init__(interval, run_at_start=True, logger=logger)
        self.broker, self.processor, self.clock = broker, processor, clock
        self.host, self.pid, self.server_id = host, pid, server_id
        self.concurrency, self.queues, self.strict_priority = (
            concurrency,
            dict(queues),
            strict_priority,
        )
        self.status = status
        self.ttl = 2 * interval
        self.started_at: float | None = None

    def start(self) -> None:
        self.started_at = self.clock.now()
        super().start()

    def run_once(self) -> None:
        now = self.clock.now()
        jobs = self.processor.active_jobs()
        self._extend_leases(jobs, now)
        info = ServerInfo(
            host=self.host,
            pid=self.pid,
            server_id=self.server_id,
            concurrency=self.concurrency,
            strict_priority=self.strict_priority,
            status=self.status(),
            active_worker_count=len(jobs),
        )
        info.queues.update(self.queues)
        set_timestamp(info.start_time, self.started_at if self.started_at is not None else now)
        workers = {}
        for job in jobs:
            w = WorkerInfo(
                host=self.host,
                pid=self.pid,
                server_id=self.server_id,
                task_id=job.msg.id,
                task_type=job.msg.type,
                task_payload=bytes(job.msg.payload),
                queue=job.msg.queue,
            )
            set_timestamp(w.start_time, job.started)
            set_timestamp(w.deadline, job.deadline)
            workers[job.msg.id] = encode(w)
        self.broker.write_server_state(
            self.host, self.pid, self.server_id, encode(info), workers, self.ttl, now=now
        )

    def _extend_leases(self, jobs: list[Any], now: float) -> None:
        by_queue: dict[str, list[Any]] = {}
        for job in jobs:
            if job.lease_valid(now):
                by_queue.setdefault(job.msg.queue, []).append(job)
            else:
                job.signal.set()  # the controller sees the expired lease and gives up the task
        for q, qjobs in by_queue.items():
            try:
                expiry = self.broker.extend_lease(q, [j.msg.id for j in qjobs], now=now)
            except Exception as exc:
                worker_log.connection_health(self.broker).failed(exc, self.name, self.log)
                continue
            for j in qjobs:
                j.lease_expiry = expiry

    def on_stop(self) -> None:
        try:
            self.broker.clear_server_state(self.host, self.pid, self.server_id)
        except Exception as exc:
            self.log.warning("could not clear server state: %s", exc)
