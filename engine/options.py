"""Enqueue options: validation, defaults, and the merge of Task defaults with call-site options."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

DEFAULT_QUEUE = "default"
DEFAULT_MAX_RETRY = 25
DEFAULT_TIMEOUT = 1800  # seconds; applied only when neither timeout nor deadline is set

MAX_NAME_LENGTH = 255
"""Longest queue name, task type, task ID or group key (characters) that pyasynq will write.

Go Asynq sets no limit; every name is part of Redis keys and of every page and table that shows
it, so one bound here keeps Client, console and CLI alike (reading keeps accepting longer names
that another producer wrote).
"""

MAX_DURATION = 100 * 365 * 86400
"""Longest timeout, retention, unique TTL or delay (seconds): a century, safely inside int64."""

MAX_UNIX_TIME = 253402300799
"""Latest process_at or deadline (9999-12-31T23:59:59Z): the last second a datetime can show."""

OPTION_NAMES = frozenset(
    {
        "queue",
        "max_retry",
        "timeout",
        "deadline",
        "process_at",
        "process_in",
        "unique",
        "task_id",
        "retention",
        "group",
    }
)


def check_option_names(options: dict[str, Any]) -> None:
    unknown = set(options) - OPTION_NAMES
    if unknown:
        raise TypeError(
            f"unknown task option(s): {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(OPTION_NAMES))}"
        )


def check_queue_name(name: Any) -> str:
    """Go's only rule for reading a queue: a non-blank name. Odd names written by Go stay readable."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("queue name must contain one or more characters")
    return name


def validate_queue_name(name: Any) -> str:
    """Queue names must be non-blank text; braces would break Redis Cluster slot co-location."""
    if not isinstance(name, str):
        raise ValueError(f"queue name must be a string, got {type(name).__name__}")
    if not name.strip():
        raise ValueError("queue name must contain one or more characters")
    if "{" in name or "}" in name:
        raise ValueError(f"queue name {name!r} must not contain '{{' or '}}'")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ValueError(f"queue name {name[:40]!r} must not contain control characters")
    check_length(name, "queue name")
    return name


def check_length(name: str, what: str) -> str:
    """Refuse a name longer than ``MAX_NAME_LENGTH`` characters, with a sentence that says so."""
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(
            f"{what} is {len(name)} characters long; the most is {MAX_NAME_LENGTH} "
            f"(starts {name[:40]!r})"
        )
    return name


def validate_task_type(name: Any) -> str:
    """A task type must be non-blank text of at most ``MAX_NAME_LENGTH`` characters."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("task typename cannot be empty")
    return check_length(name, "task type")


def seconds(value: Any, what: str, *, allow_zero: bool = True) -> float:
    """A duration given as seconds or ``timedelta``, as float seconds; negative is an error."""
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be seconds or a timedelta, got {value!r}")
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{what} must be a finite duration")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{what} cannot be negative" if value < 0 else f"{what} must be positive")
    if value > MAX_DURATION:
        raise ValueError(f"{what} must be at most {MAX_DURATION} seconds (100 years)")
    return float(value)


def unix_time(value: Any, what: str) -> float:
    """An aware ``datetime`` (or Unix seconds) as Unix seconds; a naive datetime is ambiguous."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{what} must be a timezone-aware datetime")
        value = value.timestamp()
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be an aware datetime, got {value!r}")
    if not 0 <= value <= MAX_UNIX_TIME:  # also refuses NaN
        raise ValueError(f"{what} must fall between 1970 and the year 9999")
    return float(value)


@dataclass(frozen=True)
class ResolvedOptions:
    """Options after merging and validation, in the units Asynq stores (whole seconds)."""

    queue: str
    max_retry: int
    timeout: int
    deadline: int
    process_at: float | None
    unique_ttl: int
    task_id: str | None
    retention: int
    group: str | None


def merge(task_options: dict[str, Any], call_options: dict[str, Any]) -> dict[str, Any]:
    """Task defaults first, call-site options override (``None`` means not given)."""
    merged = {k: v for k, v in task_options.items() if v is not None}
    for key, value in call_options.items():
        if value is not None:
            if key in ("process_at", "process_in"):
                merged.pop("process_at", None)
                merged.pop("process_in", None)
            merged[key] = value
    return merged


def resolve(options: dict[str, Any], now: float) -> ResolvedOptions:
    """Validate merged options and apply Asynq's defaults (spec §4.9, §9)."""
    check_option_names(options)
    queue = validate_queue_name(options.get("queue", DEFAULT_QUEUE))
    max_retry = options.get("max_retry", DEFAULT_MAX_RETRY)
    if isinstance(max_retry, bool) or not isinstance(max_retry, int):
        raise ValueError(f"max_retry must be an integer, got {max_retry!r}")
    max_retry = max(0, min(max_retry, 2**31 - 1))
    timeout = int(seconds(options.get("timeout", 0), "timeout"))
    deadline = options.get("deadline")
    deadline_s = int(unix_time(deadline, "deadline")) if deadline is not None else 0
    if timeout == 0 and deadline_s == 0:
        timeout = DEFAULT_TIMEOUT
    process_at = None
    if options.get("process_at") is not None and options.get("process_in") is not None:
        raise ValueError("give process_at or process_in, not both")
    if options.get("process_at") is not None:
        process_at = unix_time(options["process_at"], "process_at")
    elif options.get("process_in") is not None:
        process_at = now + seconds(options["process_in"], "process_in")
    unique_ttl = 0
    if options.get("unique") is not None:
        ttl = seconds(options["unique"], "unique")
        if ttl < 1:
            raise ValueError("Unique TTL cannot be less than 1s")
        unique_ttl = int(ttl)
    task_id = options.get("task_id")
    if task_id is not None and (not isinstance(task_id, str) or not task_id.strip()):
        raise ValueError("task ID cannot be empty")
    if task_id is not None:
        check_length(task_id, "task ID")
    retention = int(seconds(options.get("retention", 0), "retention"))
    group = options.get("group")
    if group is not None and (not isinstance(group, str) or not group.strip()):
        raise ValueError("group key cannot be empty")
    if group is not None:
        check_length(group, "group key")
    return ResolvedOptions(
        queue=queue,
        max_retry=max_retry,
        timeout=timeout,
        deadline=deadline_s,
        process_at=process_at,
        unique_ttl=unique_ttl,
        task_id=task_id,
        retention=retention,
        group=group,
    )
