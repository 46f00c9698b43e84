"""Aggregator: turns ready aggregation groups into one task each (spec §4.21–4.23, §6.8).

The worker Server starts one when ``group_aggregator`` is configured. Each tick checks every
group of every served queue; a group becomes ready by size (``max_size`` tasks), by max delay
(its oldest task waited ``max_delay``) or by grace period (no new task for ``grace_period``).
Its tasks are moved into an aggregation set, handed to the user's ``aggregate(group, tasks)``,
and the returned task is enqueued in the same queue. Only then is the set deleted; if anything
fails the set stays and the recoverer puts its tasks back after the set's 2-minute deadline.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from pyasynq import worker_log
from pyasynq.broker.codec import decode_task
from pyasynq.client import Client
from pyasynq.clock import Clock
from pyasynq.components.periodic import Periodic
from pyasynq.errors import BrokerError
from pyasynq.task import Task, TaskInfo

if TYPE_CHECKING:
    from pyasynq.broker.broker import Broker

Aggregate = Callable[[str, list[Task]], Task]
MAX_CHECK_INTERVAL = 7.0


class Aggregator(Periodic):
    """The group aggregator; ``tick()`` is one pass (``trigger(wait=...)`` runs one on its thread)."""

    name = "aggregator"

    def __init__(
        self,
        broker: Broker,
        queues: list[str],
        *,
        grace_period: float,
        max_delay: float,
        max_size: int,
        aggregate: Aggregate,
        clock: Clock | None = None,
        logger: logging.Logger | None = None,
        interval: float | None = None,
    ) -> None:
        if grace_period < 1:
            raise ValueError("group grace period cannot be less than 1s")
        if max_delay < 0 or max_size < 0:
            raise ValueError("group max delay and max size cannot be negative")
        super().__init__(
            interval if interval is not None else min(MAX_CHECK_INTERVAL, grace_period),
            run_at_start=False,
            logger=logger,
        )
        self.broker = broker
        self.client = Client(broker)
        self.queues = list(queues)
        self.grace_period = float(grace_period)
        self.max_delay = float(max_delay)
        self.max_size = int(max_size)
        self.aggregate = aggregate
        self.clock = clock or broker.clock
        self.logger = self.log
        self._tick_lock = threading.Lock()

    # -- one pass -------------------------------------------------------------------------------
    def tick(self) -> list[TaskInfo]:
        """Check every group of every queue once; returns the aggregated tasks enqueued."""
        if not self._tick_lock.acquire(blocking=False):
            return []  # a slow pass is still running: skip, as Go skips extra ticks
        try:
            now = self.clock.now()
            out: list[TaskInfo] = []
            broker = self.broker
            for queue in self.queues:
                try:
                    groups = broker.list_groups_raw(queue)
                except BrokerError as exc:
                    worker_log.connection_health(broker).failed(exc, "aggregator", self.logger)
                    continue
                except Exception as exc:
                    self.logger.error("aggregator could not list groups of %r: %s", queue, exc)
                    continue
                for group in groups:
                    info = self._aggregate_group(queue, group, now)
                    if info is not None:
                        out.append(info)
            return out
        finally:
            self._tick_lock.release()

    def _aggregate_group(self, queue: str, group: str, now: float) -> TaskInfo | None:
        broker = self.broker
        set_id = str(uuid.uuid4())
        try:
            ready = broker.aggregation_check(
                queue, group, set_id, self.max_size, self.max_delay, self.grace_period, now
            )
            if not ready:
                return None
            raw, deadline = broker.read_aggregation_set(queue, group, set_id)
        except Exception as exc:
            self.logger.error("aggregation check of group %r in %r failed: %s", group, queue, exc)
            return None
        tasks = []
        for data in raw:
            try:
                msg = decode_task(data)
            except ValueError as exc:
                self.logger.error("skipping undecodable task in group %r: %s", group, exc)
                continue
            task = Task(msg.type, bytes(msg.payload), headers=dict(msg.headers))
            task.id, task.queue = msg.id, msg.queue
            tasks.append(task)
        try:
            aggregated = self.aggregate(group, tasks)
            if not isinstance(aggregated, Task):
                raise TypeError(
                    f"group aggregator returned {type(aggregated).__name__}, not a Task"
                )
            if deadline is not None and self.clock.now() > deadline:
                # Past the deadline the recoverer may already have put the tasks back; enqueuing
                # now could process them twice (Go bounds this enqueue by the same deadline).
                raise TimeoutError("aggregation set deadline passed before the enqueue")
            info = self.client.enqueue(aggregated, queue=queue)
        except Exception as exc:
            self.logger.error(
                "aggregating group %r of queue %r failed (the set is reclaimed later): %s",
                group,
                queue,
                exc,
            )
            return None
        try:
            broker.delete_aggregation_set(queue, group, set_id)
        except Exception as exc:
            self.logger.error("could not delete aggregation set %s: %s", set_id, exc)
        return info

    # -- background thread (components.periodic) ---------------------------------------------
    def run_once(self) -> None:
        self.tick()
