"""Forwarder: moves due scheduled and retry tasks to pending (spec §4.16), every 5 s."""

from __future__ import annotations

import logging
from typing import Any

from pyasynq.clock import Clock
from pyasynq.components.periodic import Periodic


class Forwarder(Periodic):
    name = "forwarder"

    def __init__(
        self,
        broker: Any,
        queues: list[str],
        *,
        interval: float,
        clock: Clock,
        logger: logging.Logger | None = None,
    ) -> None:
        # Go's first run is after one interval.
        super().__init__(interval, run_at_start=False, logger=logger)
        self.broker, self.queues, self.clock = broker, list(queues), clock

    def run_once(self) -> None:
        now = self.clock.now()
        for q in self.queues:
            self.broker.forward_if_ready(q, now=now)
