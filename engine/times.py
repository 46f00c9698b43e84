"""Times and durations read from Redis that no ``datetime`` can hold.

Asynq stores times as Unix seconds (int64 in messages, float zset scores), so a shared Redis
can hold a deadline of 2^62 s or a score of ``inf``: Python's ``datetime`` ends in year 9999
and ``datetime.fromtimestamp`` raises for them. Readers must still show the record, so such a
value becomes an ``InvalidTime``: a ``datetime`` (clamped to the first or last one, so sorting
and arithmetic keep working) that formats itself as ``invalid time (<raw> s)`` wherever it is
printed (``str``, ``isoformat``, ``strftime``), and keeps the raw value in ``raw``.
``InvalidDuration`` does the same for durations (a timeout of 2^62 s).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any


def _raw_text(raw: float | int) -> str:
    if isinstance(raw, float) and raw.is_integer() and not math.isinf(raw):
        raw = int(raw)
    return str(raw)


class InvalidTime(datetime):
    """A time out of ``datetime``'s range; prints as ``invalid time (<raw> s)``."""

    raw: float | int = 0

    @classmethod
    def of(cls, raw: float | int) -> InvalidTime:
        edge = datetime.min if (isinstance(raw, int | float) and raw < 0) else datetime.max
        value = cls(
            edge.year,
            edge.month,
            edge.day,
            edge.hour,
            edge.minute,
            edge.second,
            edge.microsecond,
            tzinfo=UTC,
        )
        value.raw = raw
        return value

    @property
    def text(self) -> str:
        return f"invalid time ({_raw_text(self.raw)} s)"

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"InvalidTime({self.raw!r})"

    def __format__(self, spec: str) -> str:
        return self.text

    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        return self.text

    def strftime(self, fmt: str) -> str:
        return self.text

    def timestamp(self) -> float:
        return float(self.raw)

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (InvalidTime.of, (self.raw,))


class InvalidDuration(timedelta):
    """A duration out of ``timedelta``'s range; prints as ``invalid duration (<raw> s)``."""

    raw: float | int = 0

    @classmethod
    def of(cls, raw: float | int) -> InvalidDuration:
        edge = timedelta.min if raw < 0 else timedelta.max
        value = cls(days=edge.days, seconds=edge.seconds, microseconds=edge.microseconds)
        value.raw = raw
        return value

    @property
    def text(self) -> str:
        return f"invalid duration ({_raw_text(self.raw)} s)"

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"InvalidDuration({self.raw!r})"

    def __format__(self, spec: str) -> str:
        return self.text

    def total_seconds(self) -> float:
        return float(self.raw)

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (InvalidDuration.of, (self.raw,))


def utc_time(seconds: float | int) -> datetime:
    """Unix seconds as an aware UTC datetime, or an ``InvalidTime`` when out of range."""
    try:
        if math.isnan(seconds):
            return InvalidTime.of(seconds)
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return InvalidTime.of(seconds)


def duration(seconds: float | int) -> timedelta:
    """Seconds as a ``timedelta``, or an ``InvalidDuration`` when out of range."""
    try:
        if math.isnan(seconds):
            return InvalidDuration.of(0)
        return timedelta(seconds=seconds)
    except (OverflowError, ValueError):
        return InvalidDuration.of(seconds)


def is_invalid(value: Any) -> bool:
    return isinstance(value, InvalidTime | InvalidDuration)
