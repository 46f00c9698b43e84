"""Syncer: retries post-processing writes that failed (Redis unreachable) until their lease ends.

A write is a zero-argument callable. Each one carries a deadline (the task's lease expiry):
after it the recoverer owns the task, so the syncer drops the write. On stop it tries once more.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from pyasynq.broker.worker import TaskNotActiveError
from pyasynq.clock import Clock
from pyasynq.components.periodic import Periodic


class Syncer(Periodic):
    name = "syncer"

    def __init__(
        self, *, interval: float, clock: Clock, logger: logging.Logger | None = None
    ) -> None:
        super().__init__(interval, run_at_start=False, logger=logger)
        self.clock = clock
        self._lock = threading.Lock()
        self._pending: list[tuple[str, Callable[[], None], float]] = []

    def add(self, description: str, write: Callable[[], None], deadline: float) -> None:
        with self._lock:
            self._pending.append((description, write, deadline))

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def run_once(self) -> None:
        with self._lock:
            todo, self._pending = self._pending, []
        now = self.clock.now()
        keep = []
        for description, write, deadline in todo:
            if now > deadline:
                self.log.warning("dropping %s: lease deadline passed", description)
                continue
            try:
                write()
            except TaskNotActiveError:
                continue
            except Exception as exc:
                self.log.debug("%s still failing: %s", description, exc)
                keep.append((description, write, deadline))
        with self._lock:
            self._pending[:0] = keep

    def on_stop(self) -> None:
        self.run_once()
