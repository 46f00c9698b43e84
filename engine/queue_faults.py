"""Per-queue fault isolation for the worker's fetch loop.

A queue whose keys hold bad data (its ``pending`` is a string, its ``lease`` a hash, ...) makes
every dequeue from it fail, but Redis is fine and the other queues are too. So such a queue is
benched on its own for a while (1 s, doubling to a minute while it keeps failing) and its error
is logged at most once a minute per queue; the other queues keep their full rate. Only
connection errors make the whole fetch loop back off. Time comes from the injected clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyasynq.clock import Clock
from pyasynq.errors import BadDataError


@dataclass
class _Fault:
    streak: int = 0
    until: float = 0.0
    last_failure: float = 0.0
    last_logged: float | None = None
    unlogged: int = 0


class QueueFaults:
    """Which queues are benched for bad data, until when, and what was logged about them."""

    def __init__(
        self,
        clock: Clock,
        log: logging.Logger,
        *,
        base: float = 1.0,
        cap: float = 60.0,
        log_every: float = 60.0,
    ) -> None:
        self.clock, self.log = clock, log
        self.base, self.cap, self.log_every = base, cap, log_every
        self._faults: dict[str, _Fault] = {}
        self.failures = 0  # every bad-data failure seen, logged or not (tests, diagnostics)

    def benched(self) -> dict[str, float]:
        """Queue -> the time (clock seconds) until which it is skipped."""
        now = self.clock.now()
        return {q: f.until for q, f in self._faults.items() if f.until > now}

    def usable(self, queues: list[str]) -> list[str]:
        """``queues`` without the benched ones, in the same order."""
        if not self._faults:
            return queues
        now = self.clock.now()
        out = []
        for q in queues:
            fault = self._faults.get(q)
            if fault is None or fault.until <= now:
                out.append(q)
        return out

    def failed(self, queue: str, exc: BaseException) -> None:
        """``queue`` failed with bad data: bench it, and log unless it was logged recently."""
        now = self.clock.now()
        self.failures += 1
        fault = self._faults.setdefault(queue, _Fault())
        if now - fault.last_failure > 2 * self.cap:
            fault.streak = 0  # it worked for a good while: start the backoff again
        fault.streak += 1
        fault.last_failure = now
        pause = min(self.cap, self.base * 2 ** min(fault.streak - 1, 16))
        fault.until = now + pause
        if fault.last_logged is None or now - fault.last_logged >= self.log_every:
            more = (
                f" ({fault.unlogged} more failures since the last report)" if fault.unlogged else ""
            )
            skipped = f"skipped for {pause:.0f} s" if pause else "skipped"
            self.log.error("queue %r %s: bad data in Redis%s: %s", queue, skipped, more, exc)
            fault.last_logged, fault.unlogged = now, 0
        else:
            fault.unlogged += 1

    def guard(self, queue: str, work: Callable[[], Any]) -> Any:
        """``work()`` for one queue of a periodic duty (forwarder, janitor); bad data in that
        queue is logged (at most once a minute) and skipped, so the next queues still run.
        Connection errors propagate."""
        try:
            return work()
        except BadDataError as exc:
            self.failed(queue, exc)
            return None

    def forget_recovered(self) -> None:
        """Drop queues that have not failed for a long while (keeps the table small)."""
        now = self.clock.now()
        for q in [q for q, f in self._faults.items() if now - f.last_failure > 4 * self.cap]:
            fault = self._faults.pop(q)
            self.log.info(
                "queue %r has not failed for %.0f s (%d failures were not logged)",
                q,
                now - fault.last_failure,
                fault.unlogged,
            )
