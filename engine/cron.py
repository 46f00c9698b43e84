"""Schedule specs as Go Asynq accepts them (robfig/cron's default parser, spec §7.1).

* five-field cron expressions (``*/5 9-17 * * MON-FRI``), evaluated with croniter;
* descriptors ``@yearly @annually @monthly @weekly @daily @midnight @hourly``;
* ``@every <Go duration>`` (``@every 30s``, ``@every 1h30m``), fixed intervals in real time;
* an optional ``CRON_TZ=<zone>`` or ``TZ=<zone>`` prefix overriding the scheduler's location.

Cron times are wall-clock times in a zone, so daylight-saving changes need care. croniter walks
naive wall-clock times and we map each candidate to an instant ourselves:

* a time skipped by a spring-forward (02:30 on the night clocks jump 02:00 -> 03:00) runs once,
  at the first valid instant after the gap (03:00 local); candidates that all fall into the same
  gap collapse into that one run;
* a time repeated by a fall-back (01:30 happens twice) runs once, at its first occurrence.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo

from croniter import croniter

from pyasynq.option_strings import parse_go_duration

DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


class Schedule(Protocol):
    def next_after(self, t: float) -> float:
        """The first activation strictly after Unix time ``t``."""
        ...


def zone(location: str | tzinfo | None) -> tzinfo:
    """A tz name (``"Europe/Paris"``, ``"UTC"``, ``"Local"``) or tzinfo as a tzinfo."""
    if location is None or location == "UTC":
        return UTC
    if isinstance(location, tzinfo):
        return location
    if location == "Local":
        local = datetime.now().astimezone().tzinfo
        assert local is not None
        return local
    try:
        return ZoneInfo(location)
    except Exception as exc:  # ZoneInfoNotFoundError, ValueError for odd names
        raise ValueError(f"unknown time zone {location!r}") from exc


class EverySchedule:
    """``@every d``: activations every ``d`` of elapsed time, whatever the zone or DST.

    Like robfig/cron the delay is whole seconds (at least 1 s) and counted from the whole second.
    """

    def __init__(self, delay: float) -> None:
        self.delay = 1 if delay < 1 else int(delay)

    def next_after(self, t: float) -> float:
        return float(math.floor(t) + self.delay)

    def __repr__(self) -> str:
        return f"EverySchedule({self.delay}s)"


class CronSchedule:
    """A five-field cron expression evaluated on wall-clock time in ``tz``."""

    def __init__(self, expression: str, tz: tzinfo) -> None:
        fields = expression.split()
        if len(fields) != 5:
            raise ValueError(
                f"expected exactly 5 fields (minute hour day-of-month month day-of-week), "
                f"found {len(fields)}: {expression!r}"
            )
        if not croniter.is_valid(expression):
            raise ValueError(f"invalid cron expression {expression!r}")
        self.expression = expression
        self.tz = tz

    def _instant(self, wall: datetime) -> float | None:
        """Unix time of naive local ``wall``: its first occurrence, or the gap's end if skipped."""
        first = wall.replace(tzinfo=self.tz, fold=0)
        second = wall.replace(tzinfo=self.tz, fold=1)
        if first.utcoffset() == second.utcoffset():
            return first.timestamp()
        # Either a fall-back overlap (two instants) or a spring-forward gap (none).
        t0, t1 = first.timestamp(), second.timestamp()
        round_trip = datetime.fromtimestamp(t0, self.tz).replace(tzinfo=None)
        if round_trip == wall:
            return min(t0, t1)  # overlap: the first occurrence
        # gap: fold=0 uses the pre-transition offset, fold=1 the post one; the transition
        # instant lies between the two readings, and wall clock resumes there.
        return self._transition(min(t0, t1), max(t0, t1))

    def _transition(self, lo: float, hi: float) -> float:
        """First instant in (lo, hi] whose UTC offset differs from lo's (bisect to 1 s)."""
        off = datetime.fromtimestamp(lo, self.tz).utcoffset()
        lo_i, hi_i = math.floor(lo), math.ceil(hi)
        while hi_i - lo_i > 1:
            mid = (lo_i + hi_i) // 2
            if datetime.fromtimestamp(mid, self.tz).utcoffset() == off:
                lo_i = mid
            else:
                hi_i = mid
        return float(hi_i)

    def next_after(self, t: float) -> float:
        here = datetime.fromtimestamp(t, self.tz)
        wall = here.replace(tzinfo=None)
        it = croniter(self.expression, wall)
        for _ in range(100_000):
            candidate: datetime = it.get_next(datetime)
            instant = self._instant(candidate)
            if instant is not None and instant > t:
                return instant
            # The candidate's first occurrence already passed (we are inside a repeated hour):
            # take its second occurrence if that is still ahead.
            second = candidate.replace(tzinfo=self.tz, fold=1).timestamp()
            if (
                second > t
                and datetime.fromtimestamp(second, self.tz).replace(tzinfo=None) == candidate
            ):
                return second
        raise ValueError(f"cron expression {self.expression!r} never fires")

    def __repr__(self) -> str:
        return f"CronSchedule({self.expression!r}, {self.tz})"


def parse(spec: str, location: str | tzinfo | None = None) -> Schedule:
    """Parse a spec as Go's scheduler does; ``location`` is the default zone (UTC)."""
    text = spec.strip()
    if not text:
        raise ValueError("empty spec string")
    tz = zone(location)
    if text.startswith(("CRON_TZ=", "TZ=")):
        prefix, _, text = text.partition(" ")
        tz = zone(prefix.split("=", 1)[1])
        text = text.strip()
    if text.startswith("@every"):
        arg = text[len("@every") :].strip()
        try:
            delay = parse_go_duration(arg)
        except ValueError as exc:
            raise ValueError(f"failed to parse duration {text!r}: {exc}") from exc
        if delay <= 0:
            raise ValueError(f"@every needs a positive duration: {text!r}")
        return EverySchedule(delay)
    if text.startswith("@"):
        expression = DESCRIPTORS.get(text)
        if expression is None:
            raise ValueError(f"unrecognized descriptor: {text!r}")
        return CronSchedule(expression, tz)
    return CronSchedule(text, tz)


def next_times(
    spec: str, after: float, count: int, location: str | tzinfo | None = None
) -> list[float]:
    """The next ``count`` activations after ``after`` (for previews and tests)."""
    schedule = parse(spec, location)
    out: list[float] = []
    t = after
    for _ in range(count):
        t = schedule.next_after(t)
        out.append(t)
    return out


__all__ = ["CronSchedule", "EverySchedule", "Schedule", "next_times", "parse", "zone"]
