"""Inspector methods for readers that cover every queue: light counts and summed history.

With hundreds or thousands of queues (one per tenant), reading every queue's full info (Go's
sampled memory estimate, the oldest task's latency) costs tens of Redis commands per queue.
These methods read only what totals, sorting and paging need, so a console page can read the
full info of just the rows it shows. A mixin of ``pyasynq.inspector.Inspector``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pyasynq import info as infos
from pyasynq.clock import utc_day

HISTORY_CACHE_SECONDS = 600.0
HISTORY_CACHE_ENTRIES = 2048


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _counts(queue: str, s: list[Any], stamp: datetime) -> infos.QueueInfo:
    # a thousand of these per dashboard poll: Lua's integer replies are ints already
    pending, active, scheduled, retry, archived, completed = s[:6]
    aggregating = s[10]
    return infos.QueueInfo(
        queue=queue,
        size=pending + active + scheduled + retry + archived + completed + aggregating,
        groups=s[9],
        pending=pending,
        active=active,
        scheduled=scheduled,
        retry=retry,
        archived=archived,
        completed=completed,
        aggregating=aggregating,
        processed=s[6],
        failed=s[7],
        paused=bool(s[8]),
        timestamp=stamp,
        problems=[_text(p) for p in s[11]] if s[11] else [],
    )


class InspectorOverview:
    """A mixin: relies on ``self.broker`` (``pyasynq.inspector.Inspector`` provides it)."""

    broker: Any

    def queue_counts(self, queues: Iterable[str] | None = None) -> list[infos.QueueInfo]:
        """Every queue's counts (or those of ``queues``), without memory or latency.

        Each ``QueueInfo`` has the state counts, ``size``, ``groups``, today's ``processed``
        and ``failed`` and ``paused``, exactly as ``get_queue_infos`` gives them, in one
        pipelined round trip of ``queue_counts.lua`` (a few commands per queue, no
        ``MEMORY USAGE`` sampling); ``memory_usage``, ``latency`` and the all-time totals are
        left at 0: read them with ``get_queue_infos`` for the queues you show.

        Like ``get_queue_infos(..., skip_missing=True)``, a queue not in ``asynq:queues`` is
        left out, and bad data never hides the other queues: a key of the wrong type or a
        counter that is not an integer counts as 0 and is named in ``problems``, and a member
        of ``asynq:queues`` that is no usable name (blank, not UTF-8) comes with that problem.
        """
        from pyasynq.inspector import _name_problem  # the Inspector's own rule, one place

        raw_names = {_text(q): q for q in self.broker.all_queues()}
        names = sorted(raw_names) if queues is None else [q for q in queues if q in raw_names]
        unusable = {q: p for q in names if (p := _name_problem(q, raw_names[q]))}
        readable = [q for q in names if q not in unusable]
        now = self.broker.now()
        found = dict(zip(readable, self.broker.queue_counts(readable, now), strict=True))
        stamp = datetime.fromtimestamp(now, UTC)
        out = []
        for queue in names:
            s = found.get(queue)
            if queue in unusable:
                out.append(infos.QueueInfo(queue=queue, problems=[unusable[queue]]))
            elif isinstance(s, BaseException) or s is None:
                out.append(infos.QueueInfo(queue=queue, problems=[f"cannot be read: {s}"]))
            else:
                out.append(_counts(queue, s, stamp))
        return out

    def history_totals(self, queues: Iterable[str], days: int = 7) -> list[infos.DailyStats]:
        """Processed/failed per UTC day summed over ``queues``, today first (queue ``""``).

        One MGET per day across all queues (plain GETs per node on a cluster), so the
        dashboard's history chart costs ``days`` commands however many queues there are. A
        day with counters that are not integers counts them as 0 and says so in ``problem``.

        Days before yesterday no longer change (a worker writes today's counters; one whose
        clock lags a little may still write yesterday's), so their sums are kept for
        ``HISTORY_CACHE_SECONDS`` per set of queues: a dashboard polled every few seconds over
        90 days and a thousand queues reads two days, not 180,000 counters, on each poll.
        """
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise ValueError(f"days must be an integer >= 1, got {days!r}")
        names = list(dict.fromkeys(queues))
        now = self.broker.now()
        moments = [now - i * 86400 for i in range(days)]
        dates = [utc_day(t) for t in moments]
        cache = self._history_cache()
        fingerprint = hash(tuple(names))
        expired = time.monotonic() - HISTORY_CACHE_SECONDS
        sums: dict[str, tuple[int, int, int]] = {}
        for i, day in enumerate(dates):
            hit = cache.get((fingerprint, day)) if i >= 2 else None
            if hit and hit[0] > expired:
                sums[day] = hit[1]
        wanted = [d for d in dates if d not in sums]
        if len(cache) > HISTORY_CACHE_ENTRIES:
            cache.clear()
        old_days = set(dates[2:])
        for day, found in zip(wanted, self.broker.daily_totals(names, wanted), strict=True):
            sums[day] = found
            if day in old_days:
                cache[(fingerprint, day)] = (time.monotonic(), found)
        return [
            infos.DailyStats(
                queue="",
                processed=sums[day][0],
                failed=sums[day][1],
                date=datetime.fromtimestamp(t, UTC),
                problem=f"{sums[day][2]} counters are not integers (counted as 0)"
                if sums[day][2]
                else "",
            )
            for t, day in zip(moments, dates, strict=True)
        ]

    def _history_cache(self) -> dict[tuple[int, str], tuple[float, tuple[int, int, int]]]:
        cache = self.__dict__.get("_history_sums")
        if cache is None:
            cache = self.__dict__["_history_sums"] = {}
        return cache
