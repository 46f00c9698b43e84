"""Fleet-wide rate and concurrency limits: what a limit is, and the ``Limits`` API to manage them.

A ``Limit`` selects tasks (a queue glob, a task type glob and optionally a *key* read from the
task: ``header:<name>`` or ``json:<dotted.path>`` of a JSON payload) and bounds them:

* ``rate``: at most ``limit`` admissions in any window of ``period`` seconds, counted by a
  sliding-window log in Redis (exact: never more than N in any window, whatever the number of
  workers and hosts). With a key, each key value has its own window.
* ``concurrency``: at most ``limit`` tasks running at once; each running task holds a slot
  leased for the worker's lease duration and renewed while it runs, so the slots of a SIGKILLed
  worker come back within one lease.

Limits live in Redis (``pyasynq:{limits}:config``), so the CLI, the console and code share them
and every pyasynq worker reloads them every few seconds. Go workers never read them: see
docs/limits.md. The worker side is ``pyasynq.extras.limiter``.
"""

from __future__ import annotations

import builtins
import dataclasses
import fnmatch
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pyasynq.broker.broker import Broker
from pyasynq.broker.connection import RedisTarget
from pyasynq.clock import SYSTEM_CLOCK, Clock

Kind = Literal["rate", "concurrency"]
KINDS = ("rate", "concurrency")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_RATE = 100_000
"""Largest N of a rate limit: the sliding-window log keeps one entry per admission."""
UNITS = {"s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
KEY_VALUE_MAX = 100
"""Longer key values are replaced by their SHA-1 (they become part of a Redis key name)."""


class LimitError(ValueError):
    """A limit definition that cannot be used (the message says what to fix)."""


def parse_period(text: str | float | int) -> float:
    """``1``, ``0.5``, ``s``, ``10s``, ``1m``, ``2h``, ``1d`` -> seconds."""
    if isinstance(text, int | float):
        value = float(text)
    else:
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)?\s*([a-z]*)\s*", str(text).lower())
        if not m or (m.group(2) and m.group(2) not in UNITS) or not (m.group(1) or m.group(2)):
            raise LimitError(f"bad period {text!r}: use seconds or e.g. 10s, 1m, 1h")
        value = float(m.group(1) or 1) * UNITS.get(m.group(2) or "s", 1.0)
    if not 0 < value <= 86400 * 7:
        raise LimitError(f"period must be between 0 and 7 days, got {text!r}")
    return value


def parse_rate(text: str) -> tuple[int, float]:
    """``50/s``, ``100/1m``, ``10/30s`` -> (N, period seconds)."""
    n, sep, per = str(text).partition("/")
    if not sep or not n.strip().isdigit():
        raise LimitError(f"bad rate {text!r}: use N/period, e.g. 50/s or 100/1m")
    return int(n), parse_period(per)


@dataclasses.dataclass(frozen=True)
class Limit:
    """One limit. ``queue`` and ``task_type`` are globs (``*``, ``email:*``); ``key`` is empty
    (one budget for every selected task) or ``header:<name>`` / ``json:<dotted.path>`` (one
    budget per value; a task without that value is not limited by it)."""

    name: str
    kind: Kind
    limit: int
    period: float = 0.0
    queue: str = "*"
    task_type: str = "*"
    key: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not NAME_RE.match(self.name):
            raise LimitError(f"bad limit name {self.name!r}: 1-64 letters, digits, '_', '.', '-'")
        if self.kind not in KINDS:
            raise LimitError(f"kind must be 'rate' or 'concurrency', got {self.kind!r}")
        if isinstance(self.limit, bool) or not isinstance(self.limit, int) or self.limit < 1:
            raise LimitError(f"limit must be a whole number >= 1, got {self.limit!r}")
        if self.kind == "rate":
            if self.limit > MAX_RATE:
                raise LimitError(f"a rate limit counts at most {MAX_RATE} per period")
            object.__setattr__(self, "period", parse_period(self.period))
        else:
            object.__setattr__(self, "period", 0.0)
        for field in ("queue", "task_type"):
            value = getattr(self, field)
            if not isinstance(value, str) or not value or len(value) > 200:
                raise LimitError(f"{field} must be a non-empty glob, got {value!r}")
        if self.key:
            source, _, rest = self.key.partition(":")
            if source not in ("header", "json") or not rest:
                raise LimitError(f"key must be header:<name> or json:<path>, got {self.key!r}")

    # -- selection --------------------------------------------------------------------------
    @property
    def queue_level(self) -> bool:
        """Decided by queue alone: refused tasks stay pending and the queue is skipped."""
        return self.task_type == "*" and not self.key

    def matches_queue(self, queue: str) -> bool:
        return self.queue == "*" or fnmatch.fnmatchcase(queue, self.queue)

    def matches(self, queue: str, task_type: str) -> bool:
        return self.matches_queue(queue) and (
            self.task_type == "*" or fnmatch.fnmatchcase(task_type, self.task_type)
        )

    def key_value(self, headers: Mapping[str, str], payload: bytes) -> str | None:
        """The task's value of this limit's key; None when the task has none (not limited)."""
        source, _, name = self.key.partition(":")
        value: Any
        if source == "header":
            value = headers.get(name)
        else:
            try:
                value = json.loads(payload)
            except (ValueError, UnicodeDecodeError):
                return None
            for part in name.split("."):
                if not isinstance(value, dict) or part not in value:
                    return None
                value = value[part]
            if isinstance(value, dict | list) or value is None:
                return None
        text = value if isinstance(value, str) else json.dumps(value)
        if len(text) > KEY_VALUE_MAX:
            text = "sha1-" + hashlib.sha1(text.encode()).hexdigest()
        return text

    # -- presentation and storage -----------------------------------------------------------
    def describe(self) -> str:
        """``50 per 1s`` / ``3 running``."""
        if self.kind == "rate":
            return f"{self.limit} per {_period_text(self.period)}"
        return f"{self.limit} running"

    def scope(self) -> str:
        parts = [f"queue {self.queue}"]
        if self.task_type != "*":
            parts.append(f"type {self.task_type}")
        if self.key:
            parts.append(f"per {self.key}")
        return ", ".join(parts)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Limit:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise LimitError("a stored limit must be a JSON object")
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in fields})


def _period_text(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def load_definitions(raw: Mapping[str, str]) -> tuple[list[Limit], dict[str, str]]:
    """Parse stored definitions: (usable limits sorted by name, name -> error for bad ones)."""
    limits, bad = [], {}
    for name, text in sorted(raw.items()):
        try:
            limit = Limit.from_json(text)
        except (ValueError, TypeError) as exc:
            bad[name] = str(exc)
            continue
        if limit.name != name:
            bad[name] = f"stored under {name!r} but named {limit.name!r}"
            continue
        limits.append(limit)
    return limits, bad


@dataclasses.dataclass(frozen=True)
class LimitUsage:
    """A limit and its use now: slots running, admissions in the last minute, waiting tasks."""

    limit: Limit
    running: int
    last_minute: int
    waiting: int
    admitted_total: int
    held_total: int
    keys: int
    by_key: dict[str, int]


class Limits:
    """Read and change the fleet's limits: ``Limits(redis).set_rate("api", 50, per="1s")``.

    Changes are picked up by every pyasynq worker within its refresh interval (2 s by default).
    """

    def __init__(
        self,
        redis: RedisTarget | Broker = "redis://127.0.0.1:6379/0",
        *,
        clock: Clock | None = None,
    ):
        if isinstance(redis, Broker):
            self.broker = redis
            self.clock = clock or redis.clock
        else:
            self.clock = clock or SYSTEM_CLOCK
            self.broker = Broker(redis, clock=self.clock)

    def set(self, limit: Limit) -> Limit:
        """Create or replace the limit named ``limit.name``."""
        self.broker.limit_store(limit.name, limit.to_json())
        return limit

    def set_many(self, limits: Iterable[Limit]) -> list[Limit]:
        return [self.set(limit) for limit in limits]

    def set_rate(
        self,
        name: str,
        limit: int,
        per: str | float = 1.0,
        *,
        queue: str = "*",
        task_type: str = "*",
        key: str = "",
    ) -> Limit:
        return self.set(Limit(name, "rate", limit, per, queue, task_type, key))  # type: ignore[arg-type]

    def set_concurrency(
        self, name: str, limit: int, *, queue: str = "*", task_type: str = "*", key: str = ""
    ) -> Limit:
        return self.set(Limit(name, "concurrency", limit, 0.0, queue, task_type, key))

    def remove(self, name: str) -> bool:
        """Delete the limit and its counters; False when there was none of that name."""
        return self.broker.limit_delete(name)

    def list(self) -> list[Limit]:
        return load_definitions(self.broker.limit_definitions())[0]

    def get(self, name: str) -> Limit | None:
        return next((lim for lim in self.list() if lim.name == name), None)

    def usage(self) -> builtins.list[LimitUsage]:
        """Every limit with its current use (two pipelined round trips for all of them).

        ``waiting`` counts tasks scheduled by the limit; for a queue-level limit, whose refused
        tasks stay pending, it counts the pending tasks of its queues while it is full."""
        limits = self.list()
        now = self.clock.now()
        raw = self.broker.limit_usage([lim.name for lim in limits], now)
        minute = int(now // 60 * 60)
        fraction = (now - minute) / 60
        queue_pending: dict[str, int] | None = None
        out = []
        for lim, item in zip(limits, raw, strict=True):
            stats = item["stats"]
            last_minute = stats.get(f"m:{minute}", 0) + round(
                stats.get(f"m:{minute - 60}", 0) * (1 - fraction)
            )
            waiting = item["waiting"]
            if lim.queue_level and self._full(lim, item, now):
                if queue_pending is None:
                    queue_pending = self._pending_sizes()
                waiting += sum(n for q, n in queue_pending.items() if lim.matches_queue(q))
            out.append(
                LimitUsage(
                    limit=lim,
                    running=item["running"],
                    last_minute=last_minute,
                    waiting=waiting,
                    admitted_total=stats.get("admitted", 0),
                    held_total=stats.get("held", 0),
                    keys=len(item["keys"]),
                    by_key=item["by_key"],
                )
            )
        return out

    def _full(self, lim: Limit, item: dict[str, Any], now: float) -> bool:
        if lim.kind == "concurrency":
            return bool(item["running"] >= lim.limit)
        return self.broker.limit_window_count(lim.name, now, lim.period) >= lim.limit

    def _pending_sizes(self) -> dict[str, int]:
        return self.broker.limit_pending_sizes()

    def waiting_among(self, task_ids: Iterable[str]) -> dict[str, str]:
        """task id -> name of the limit it waits on, for the ids given (queue page marks)."""
        names = [lim.name for lim in self.list() if not lim.queue_level]
        return self.broker.limit_waiting_among(names, list(task_ids))

    def close(self) -> None:
        self.broker.close()
