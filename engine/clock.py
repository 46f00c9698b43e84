"""Injectable clocks: the engine asks a clock for the time so tests can move it at will."""

from __future__ import annotations

import functools
import threading
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Current time as Unix seconds (float)."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that only moves when told to; thread-safe."""

    def __init__(self, start: float | datetime | None = None) -> None:
        if isinstance(start, datetime):
            start = start.timestamp()
        self._now = float(start if start is not None else time.time())
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def set(self, when: float | datetime) -> None:
        if isinstance(when, datetime):
            when = when.timestamp()
        with self._lock:
            self._now = float(when)

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._now += seconds
            return self._now


def utc_day(unix_seconds: float) -> str:
    """``YYYY-MM-DD`` of a Unix time in UTC: the suffix of daily counter keys."""
    return _utc_day(int(unix_seconds // 86400))


@functools.lru_cache(maxsize=64)
def _utc_day(day: int) -> str:
    # cached per day number: called for every acknowledged task
    return datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%d")


SYSTEM_CLOCK = SystemClock()
