"""Janitor: deletes completed tasks whose retention ended (spec §4.19), every 8 s, batch 100;
then settles workflow members that finished outside pyasynq's scripts (``workflows.reconcile``)."""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING

from pyasynq.clock import Clock
from pyasynq.components.periodic import Periodic
from pyasynq.extras.workflow_state import reconcile as reconcile_workflows
from pyasynq.queue_faults import QueueFaults

if TYPE_CHECKING:
    from pyasynq.broker.broker import Broker


class Janitor(Periodic):
    name = "janitor"

    def __init__(
        self,
        broker: Broker,
        queues: list[str],
        *,
        interval: float,
        clock: Clock,
        batch_size: int = 100,
        logger: logging.Logger | None = None,
    ) -> None:
        super().__init__(interval, run_at_start=False, logger=logger)
        if batch_size > 100:
            self.log.warning(
                "janitor batch size %d is above 100; long scripts block Redis", batch_size
            )
        self.broker, self.queues, self.clock, self.batch_size = (
            broker,
            list(queues),
            clock,
            batch_size,
        )
        self.queue_faults = QueueFaults(clock, self.log, base=0.0, cap=0.0)

    def run_once(self) -> None:
        now = self.clock.now()
        for q in self.queues:  # bad data in one queue is logged and skipped, not fatal to all
            self.queue_faults.guard(
                q,
                partial(self.broker.delete_expired_completed, q, now=now, batch=self.batch_size),
            )
        # workflow members finished by a Go worker (or deleted): fire their continuations
        reconcile_workflows(self.broker, now)
