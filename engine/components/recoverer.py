"""Recoverer: retries or archives tasks whose lease expired, reclaims stale aggregation sets.

Every minute (first run at start): cutoff = now - 30 s, the allowance Go gives for clock skew
between servers. A task found there belonged to a worker that died or lost Redis (spec §6.4).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from pyasynq import completion
from pyasynq.broker.codec import CorruptMessageError, decode_task
from pyasynq.broker.worker import TaskNotActiveError
from pyasynq.clock import Clock
from pyasynq.components.periodic import Periodic
from pyasynq.errors import BrokerError, LeaseExpiredError
from pyasynq.task import Task

LEASE_CUTOFF = 30


class Recoverer(Periodic):
    name = "recoverer"

    def __init__(
        self,
        broker: Any,
        queues: list[str],
        *,
        interval: float,
        clock: Clock,
        cutoff: float = LEASE_CUTOFF,
        retry_delay_func: Callable[[int, BaseException, Task], Any],
        is_failure: Callable[[BaseException], bool],
        logger: logging.Logger | None = None,
    ) -> None:
        super().__init__(interval, run_at_start=True, logger=logger)
        self.broker, self.queues, self.clock = broker, list(queues), clock
        self.retry_delay_func, self.is_failure = retry_delay_func, is_failure
        self.cutoff = cutoff
        self.recovered = 0

    def run_once(self) -> None:
        now = self.clock.now()
        err = LeaseExpiredError()
        for q in self.queues:
            for data in self.broker.list_lease_expired(q, now - self.cutoff):
                try:
                    msg = decode_task(data)
                except CorruptMessageError as exc:
                    self.log.error("queue %s: undecodable lease-expired task: %s", q, exc)
                    continue
                try:
                    self._recover(msg, err, now)
                    self.recovered += 1
                except TaskNotActiveError:
                    pass  # someone else recovered it first
                except BrokerError as exc:
                    self.log.warning("could not recover task %s: %s", msg.id, exc)
        if hasattr(self.broker, "reclaim_stale_aggregation_sets"):
            for q in self.queues:
                self.broker.reclaim_stale_aggregation_sets(q, now)

    def _recover(self, msg: Any, err: BaseException, now: float) -> None:
        text = str(err)
        if msg.retried >= msg.retry:
            completion.archive(self.broker, msg, text, now)  # fires a workflow's on_failure
            return
        task = Task(msg.type, bytes(msg.payload), headers=dict(msg.headers))
        task.id, task.queue = msg.id, msg.queue
        delay = self.retry_delay_func(msg.retried, err, task)
        if isinstance(delay, timedelta):
            delay = delay.total_seconds()
        self.broker.retry(
            msg, now + float(delay), text, is_failure=bool(self.is_failure(err)), now=now
        )
