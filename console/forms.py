"""Parsing of the enqueue, payload and reschedule forms (shared by pages and the JSON API).

Each function raises ``ValueError`` with a sentence for the person who filled the form.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pyasynq.options import MAX_DURATION, MAX_UNIX_TIME

ENQUEUE_FIELDS = (
    "type",
    "payload",
    "format",
    "queue",
    "max_retry",
    "timeout",
    "process_in",
    "process_at",
    "unique",
    "retention",
    "task_id",
    "group",
)


def text_field(values: Mapping[str, Any], name: str) -> str:
    """A field that must be text (a JSON body may send anything): None is ``""``."""
    raw = values.get(name)
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise ValueError(f"'{name}' must be a string, got {type(raw).__name__}")
    return raw


def payload_bytes(raw: Any, fmt: str) -> bytes:
    """The payload from form text: ``text`` as UTF-8, ``json`` checked and kept, ``base64`` decoded.

    A JSON body may give a ``json`` payload as an object or array instead of text.
    """
    if fmt == "json" and isinstance(raw, dict | list):
        try:
            return json.dumps(raw, separators=(",", ":")).encode("utf-8")
        except RecursionError:
            raise ValueError("the payload is nested too deeply") from None
    if raw is not None and not isinstance(raw, str):
        raise ValueError(f"the payload must be a string, got {type(raw).__name__}")
    text = raw or ""
    if fmt == "json":
        try:
            json.loads(text)
        except ValueError as exc:
            raise ValueError(f"the payload is not valid JSON: {exc}") from None
        except RecursionError:
            raise ValueError("the payload is JSON nested too deeply to check") from None
        return text.encode("utf-8")
    if fmt == "base64":
        try:
            return base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("the payload is not valid base64") from None
    if fmt in ("", "text"):
        return text.encode("utf-8")
    raise ValueError(f"format must be text, json or base64, got {fmt[:20]!r}")


def when(raw: Any, name: str) -> float | None:
    """An ISO date/time (naive = UTC) or Unix seconds; blank is None."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | None):
        raise ValueError(f"{name} must be a date and time or Unix seconds")
    text = "" if raw is None else str(raw).strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"{name} must be a date and time like 2030-01-31T12:00 (UTC)"
            ) from None
        value = (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()
    if not 0 <= value <= MAX_UNIX_TIME:  # NaN fails too
        raise ValueError(f"{name} must fall between 1970 and the year 9999")
    return value


def _number(values: Mapping[str, Any], name: str, kind: type = float) -> Any:
    raw = values.get(name)
    label = name.replace("_", " ")
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise ValueError(f"{label} must be a number, got {type(raw).__name__}")
    try:
        value = kind(raw.strip()) if isinstance(raw, str) else kind(raw)
    except (ValueError, OverflowError):
        raise ValueError(f"{label} must be a number, got {str(raw)[:30]!r}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{label} must be a finite number")
    if value < 0:
        raise ValueError(f"{label} must not be negative")
    if kind is float and value > MAX_DURATION:
        raise ValueError(f"{label} must be at most {MAX_DURATION} seconds (100 years)")
    return value


def enqueue_request(
    values: Mapping[str, Any], default_queue: str | None = None
) -> tuple[str, bytes, dict[str, Any]]:
    """(type, payload, Client.enqueue options) from an enqueue form or JSON body."""
    task_type = text_field(values, "type").strip()
    if not task_type:
        raise ValueError("enter a task type")
    if values.get("payload_b64") not in (None, ""):
        payload = payload_bytes(text_field(values, "payload_b64"), "base64")
    else:
        payload = payload_bytes(values.get("payload"), text_field(values, "format") or "text")
    options: dict[str, Any] = {
        "queue": (text_field(values, "queue") or default_queue or "default").strip()
    }
    max_retry = _number(values, "max_retry", int)
    if max_retry is not None:
        options["max_retry"] = max_retry
    for name in ("timeout", "process_in", "unique", "retention"):
        value = _number(values, name)
        if value:
            options[name] = value
    at = when(values.get("process_at"), "process at")
    if at is not None:
        if "process_in" in options:
            raise ValueError("give either process in or process at, not both")
        options["process_at"] = datetime.fromtimestamp(at, UTC)
    for name in ("task_id", "group"):
        text = text_field(values, name).strip()
        if text:
            options[name] = text
    return task_type, payload, options


def reschedule_time(values: Mapping[str, Any], now: float) -> float:
    """The new process time from ``process_at`` or ``process_in`` (seconds from now)."""
    at = when(values.get("process_at"), "process at")
    delay = _number(values, "process_in")
    if at is not None and delay is not None:
        raise ValueError("give either process in or process at, not both")
    if at is None and delay is None:
        raise ValueError("enter when the task should run (process at or process in)")
    return at if at is not None else min(now + float(delay), float(MAX_UNIX_TIME))
