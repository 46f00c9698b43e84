"""ServerConfig: every setting of a ``Server`` in one validated value.

``Server(redis, config=ServerConfig(...))`` and ``Server(redis, concurrency=4, ...)`` are the same
thing: the keywords build a ``ServerConfig``, so validation lives here and only here (the
``pyasynq worker`` command builds one too). Durations are given as seconds or ``timedelta`` and
stored as float seconds; defaults are Go Asynq's (spec §9). Every interval is a setting so tests
can shorten them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from typing import Any

from pyasynq.extras.limits import Limit
from pyasynq.task import Task

Duration = float | int | timedelta


def _seconds(value: Duration, what: str, *, allow_zero: bool = False) -> float:
    s = seconds(value)
    if s < 0 or (s == 0 and not allow_zero):
        raise ValueError(f"{what} must be {'>= 0' if allow_zero else 'positive'}, got {value!r}")
    return s


def seconds(value: Duration) -> float:
    """A stored duration as float seconds (``ServerConfig`` already holds floats; this types it)."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def usable_cpus() -> int:
    """Go's default concurrency: the CPUs usable by the process (affinity), not all of them."""
    usable = getattr(os, "sched_getaffinity", None)
    return len(usable(0)) if usable else (os.cpu_count() or 1)


# settings given as a Duration, and whether 0 is allowed
_DURATIONS: dict[str, bool] = {
    "shutdown_timeout": True,
    "health_check_interval": False,
    "delayed_task_check_interval": False,
    "group_grace_period": False,
    "group_max_delay": True,
    "heartbeat_interval": False,
    "recoverer_interval": False,
    "janitor_interval": False,
    "syncer_interval": False,
    "subscriber_retry_interval": False,
    "task_check_interval": False,
    "tick": False,
    "throughput_interval": False,
    "lease_cutoff": True,
    "limits_refresh_interval": False,
}


@dataclass(frozen=True)
class ServerConfig:
    """The settings of a ``Server``; invalid values raise ``ValueError``/``TypeError`` at once.

    ``concurrency`` None (or 0) means the CPUs usable by the process; ``queues`` None means
    ``{"default": 1}``. ``lease_duration`` None keeps the broker's (Asynq's 30 s).
    """

    concurrency: int | None = None
    # async handlers in flight at once on the process's event loop (beside the ``concurrency``
    # threads of sync handlers); 0 runs them on those threads instead
    async_concurrency: int = 100
    queues: Mapping[str, int] | None = None
    strict_priority: bool = False
    shutdown_timeout: Duration = 8
    retry_delay_func: Callable[[int, BaseException, Task], Duration] | None = None
    is_failure: Callable[[BaseException], bool] | None = None
    error_handler: Any = None
    health_check_func: Callable[[BaseException | None], Any] | None = None
    health_check_interval: Duration = 15
    delayed_task_check_interval: Duration = 5
    group_grace_period: Duration = 60
    group_max_delay: Duration = 0
    group_max_size: int = 0
    group_aggregator: Callable[[str, list[Task]], Task] | Any = None
    heartbeat_interval: Duration = 5
    recoverer_interval: Duration = 60
    janitor_interval: Duration = 8
    janitor_batch_size: int = 100
    syncer_interval: Duration = 5
    subscriber_retry_interval: Duration = 5
    task_check_interval: Duration = 1
    tick: Duration = 0.5
    # per-minute throughput samples for the console (pyasynq keys only; Go ignores them)
    record_throughput: bool = True
    throughput_interval: Duration = 10
    # Asynq's 30 s lease and 30 s recoverer skew allowance; fault tests shorten both so a
    # SIGKILLed worker's tasks are recovered in seconds rather than a minute.
    lease_duration: int | None = None
    lease_cutoff: Duration = 30
    # fleet-wide limits (pyasynq.extras.limits): written to Redis at start, shared by every worker
    limits: Iterable[Limit] | None = field(default=None)
    limits_refresh_interval: Duration = 2

    def __post_init__(self) -> None:
        def put(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        for name, allow_zero in _DURATIONS.items():
            put(name, _seconds(getattr(self, name), name, allow_zero=allow_zero))
        concurrency = self.concurrency
        if concurrency is not None and (isinstance(concurrency, bool) or int(concurrency) < 0):
            raise ValueError(f"concurrency must be a positive number of tasks, got {concurrency!r}")
        put("concurrency", int(concurrency) if concurrency else usable_cpus())
        if isinstance(self.async_concurrency, bool) or int(self.async_concurrency) < 0:
            raise ValueError(
                f"async_concurrency cannot be negative, got {self.async_concurrency!r}"
            )
        put("async_concurrency", int(self.async_concurrency))
        put("strict_priority", bool(self.strict_priority))
        if seconds(self.group_grace_period) < 1:
            raise ValueError("group_grace_period cannot be less than 1 second")
        if self.group_max_size < 0:
            raise ValueError("group_max_size cannot be negative")
        put("group_max_size", int(self.group_max_size))
        if int(self.janitor_batch_size) < 1:
            raise ValueError(
                f"janitor_batch_size must be at least 1, got {self.janitor_batch_size!r}"
            )
        put("janitor_batch_size", int(self.janitor_batch_size))
        put("record_throughput", bool(self.record_throughput))
        if self.lease_duration is not None:
            lease = int(self.lease_duration)
            if lease < 1 or lease <= seconds(self.heartbeat_interval):
                raise ValueError(
                    "lease_duration must be a whole number of seconds above heartbeat_interval"
                )
            put("lease_duration", lease)
        limits = tuple(self.limits or ())
        if not all(isinstance(x, Limit) for x in limits):
            raise TypeError("limits must be pyasynq.Limit objects")
        put("limits", limits)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The setting names (the keywords ``Server`` accepts besides ``config``/``clock``/``logger``)."""
        return tuple(f.name for f in fields(cls))

    def with_settings(self, **settings: Any) -> ServerConfig:
        """A copy with some settings changed (validated again)."""
        unknown = sorted(set(settings) - set(self.names()))
        if unknown:
            raise TypeError(f"unknown Server setting(s): {', '.join(unknown)}")
        return replace(self, **settings) if settings else self


def build(config: ServerConfig | None, settings: dict[str, Any]) -> ServerConfig:
    """The config ``Server(redis, config=..., **settings)`` means: keywords override ``config``."""
    if config is not None and not isinstance(config, ServerConfig):
        raise TypeError(f"config must be a pyasynq.ServerConfig, got {type(config).__name__}")
    return (config or ServerConfig()).with_settings(**settings)
