"""LimitsSync: keeps a worker's view of the fleet's limits current and its limit slots alive.

Every ``tick`` (real time) it looks at the injected clock and, when due,
* reloads the limit definitions from Redis while the worker waits on a limit (every
  ``refresh_interval``; a worker that dequeues reloads in its fetch path, so a change made from
  the CLI, the console or code reaches every worker within that time, and an idle worker sends
  nothing),
* renews the leases of the concurrency slots its running tasks hold (every third of a lease),
* sends the slot releases of tasks that finished since the last decision (one call),
* brings back tasks it scheduled on a limit as soon as their time comes (sub-second, where the
  forwarder works in whole seconds every few seconds).
With no limit in force a tick does nothing but compare times.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pyasynq.clock import Clock
from pyasynq.components.periodic import Periodic
from pyasynq.extras.limiter import Limiter

if TYPE_CHECKING:
    from pyasynq.broker.broker import Broker
    from pyasynq.processor import Processor


class LimitsSync(Periodic):
    name = "limits"

    def __init__(
        self,
        limiter: Limiter,
        *,
        refresh_interval: float,
        clock: Clock,
        tick: float = 0.05,
        logger: logging.Logger | None = None,
    ) -> None:
        super().__init__(tick, run_at_start=True, logger=logger)
        if refresh_interval <= 0:
            raise ValueError("limits refresh interval must be positive")
        self.limiter = limiter
        limiter.refresh_interval = refresh_interval
        self.clock = clock
        self._next_extend = float("-inf")

    @classmethod
    def for_processor(
        cls,
        processor: Processor,
        broker: Broker,
        queues: list[str],
        refresh_interval: float,
        *,
        logger: logging.Logger | None = None,
    ) -> LimitsSync:
        """Give ``processor`` a Limiter for ``queues`` (slots leased like its tasks) and return
        the component that keeps it current (the Server starts it before the processor)."""
        processor.limits = Limiter(
            broker,
            clock=processor.clock,
            queues=queues,
            hold_lease=broker.lease_duration,
            on_open=processor.notify,
            logger=logger,
        )
        return cls(
            processor.limits,
            refresh_interval=refresh_interval,
            clock=processor.clock,
            logger=logger,
        )

    def start(self) -> None:
        """Load the limits before the processor's first fetch, then keep them fresh."""
        try:
            self.limiter.refresh()
        except Exception as exc:  # Redis away: retried after refresh_interval
            self.log.warning("could not load limits: %s", exc)
        super().start()

    def run_once(self) -> None:
        now = self.clock.now()
        if self.limiter.waiting:
            self.limiter.refresh_if_stale()
        if now >= self._next_extend:
            self._next_extend = now + self.limiter.hold_lease / 3
            self.limiter.extend(now)
        self.limiter.flush_releases()
        self.limiter.forward_due(now)

    def on_stop(self) -> None:
        self.limiter.flush_releases()  # the slots of tasks that just finished
