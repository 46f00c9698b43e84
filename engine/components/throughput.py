"""ThroughputRecorder: samples every queue's processed/failed totals once a minute into Redis.

The lifetime counters (``asynq:{q}:processed`` / ``:failed``) are written by whoever processes
tasks, Go or Python, so sampling them gives a per-minute throughput history without
Prometheus and whatever the workers are. Any number of recorders (each Server, each console
process) may run: the script writes at most one sample per queue per minute, and each recorder
remembers which queues it has seen sampled this minute so it asks Redis once per queue per
minute, not once per tick.

The series is bounded (one day of minutes per queue) and lives under ``pyasynq:`` keys that
Go never reads.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pyasynq.broker.metrics import THROUGHPUT_KEEP_MINUTES
from pyasynq.clock import Clock
from pyasynq.components.periodic import Periodic

if TYPE_CHECKING:
    from pyasynq.broker.broker import Broker

DEFAULT_INTERVAL = 10.0
"""Seconds between checks: a sample lands at most this long after its minute starts."""


def _name(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


class ThroughputRecorder(Periodic):
    name = "throughput"

    def __init__(
        self,
        broker: Broker,
        *,
        clock: Clock,
        interval: float = DEFAULT_INTERVAL,
        keep_minutes: int = THROUGHPUT_KEEP_MINUTES,
        logger: logging.Logger | None = None,
    ) -> None:
        super().__init__(interval, run_at_start=True, logger=logger)
        self.broker, self.clock, self.keep_minutes = broker, clock, keep_minutes
        self._sampled: dict[str, int] = {}  # queue -> last minute known to hold a sample

    def run_once(self) -> None:
        self.record()  # a BrokerError goes to the shared connection notifier (Periodic)

    def record(self) -> int:
        """Sample every queue not yet sampled this minute; returns how many samples were written."""
        minute = int(self.clock.now() // 60) * 60
        queues = sorted(_name(q) for q in self.broker.all_queues())
        todo = [q for q in queues if self._sampled.get(q) != minute]
        self._sampled = {q: m for q, m in self._sampled.items() if q in set(queues)}
        if not todo:
            return 0
        written = 0
        for queue, reply in zip(
            todo, self.broker.record_throughput(todo, minute, self.keep_minutes), strict=True
        ):
            if isinstance(reply, Exception):
                self.log.warning("throughput: sampling queue %s failed: %s", queue, reply)
                continue
            self._sampled[queue] = minute
            written += int(reply)
        return written
