"""Health check: PING Redis every 15 s and report the outcome to the user's callback."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyasynq.components.periodic import Periodic

if TYPE_CHECKING:
    from pyasynq.broker.broker import Broker


class HealthChecker(Periodic):
    name = "healthcheck"

    def __init__(
        self,
        broker: Broker,
        func: Callable[[BaseException | None], Any],
        *,
        interval: float,
        logger: logging.Logger | None = None,
    ) -> None:
        super().__init__(interval, run_at_start=False, logger=logger)
        self.broker, self.func = broker, func

    def run_once(self) -> None:
        err: BaseException | None = None
        try:
            self.broker.ping()
        except Exception as exc:
            err = exc
        self.func(err)
