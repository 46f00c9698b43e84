"""Forwarder: moves due scheduled and retry tasks to pending (spec §4.16), every 5 s."""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING

from pyasynq.clock import Clock
from pyasynq.components.periodic import Periodic
from pyasynq.queue_faults import QueueFaults

if TYPE_CHECKING:
    from pyasynq.broker.broker import Broker


class Forwarder(Periodic):
    name = "forwarder"

    def __init__(
        self,
        broker: Broker,
        queues: list[str],
        *,
        interval: float,
        clock: Clock,
        logger: logging.Logger | None = None,
    ) -> None:
        # Go's first run is after one interval.
        super().__init__(interval, run_at_start=False, logger=logger)
        self.broker, self.queues, self.clock = broker, list(queues), clock
        self.queue_faults = QueueFaults(clock, self.log, base=0.0, cap=0.0)

    def run_once(self) -> None:
        now = self.clock.now()
        for q in self.queues:  # bad data in one queue is logged and skipped, not fatal to all
            self.queue_faults.guard(q, partial(self.broker.forward_if_ready, q, now=now))
