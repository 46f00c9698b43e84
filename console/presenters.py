"""Turn engine data into text for templates: payload views, times, durations and sizes.

Templates format nothing by hand; everything shown goes through here so the rules (UTC,
relative and absolute times, how bytes look) are the same on every page. All output is plain
text that Jinja escapes; nothing here returns markup.
"""

from __future__ import annotations

import base64
import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pyasynq.console.config import Formatter
from pyasynq.times import InvalidDuration, InvalidTime, utc_time

log = logging.getLogger("console")

HEX_LIMIT = 4096
"""Bytes shown in a hex dump; the base64 view carries the rest."""


@dataclass(frozen=True)
class DataView:
    """One payload or result, ready to show.

    ``kind`` is ``json``, ``text``, ``binary``, ``empty``, ``none`` (no result stored) or
    ``custom`` (a user formatter produced ``text``). ``hex`` and ``b64`` are filled for binary
    data; ``note`` explains a fallback (for example a formatter that raised).
    """

    kind: str
    text: str
    size: int
    hex: str = ""
    b64: str = ""
    note: str = ""
    truncated_hex: bool = False
    truncated: bool = False
    """Only a prefix of the data is here (``size`` is the full size); the rest is a download."""


def default_view(data: bytes | None) -> DataView:
    """Pretty JSON when the bytes are JSON, text when UTF-8, else hex and base64."""
    if data is None:
        return DataView("none", "", 0)
    size = len(data)
    if size == 0:
        return DataView("empty", "", 0)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _binary(data)
    try:
        parsed = json.loads(text)
    except ValueError:
        if _printable(text):
            return DataView("text", text, size)
        return _binary(data)
    return DataView("json", json.dumps(parsed, indent=2, ensure_ascii=False, sort_keys=False), size)


def _printable(text: str) -> bool:
    return all(ch.isprintable() or ch in "\n\r\t" for ch in text)


def _binary(data: bytes) -> DataView:
    shown = data[:HEX_LIMIT]
    lines = []
    for offset in range(0, len(shown), 16):
        chunk = shown[offset : offset + 16]
        hexpart = " ".join(f"{b:02x}" for b in chunk)
        asciipart = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:08x}  {hexpart:<47}  {asciipart}")
    return DataView(
        "binary",
        f"binary data, {human_bytes(len(data))}",
        len(data),
        hex="\n".join(lines),
        b64=base64.b64encode(data).decode("ascii"),
        truncated_hex=len(data) > HEX_LIMIT,
    )


def format_data(task_type: str, data: bytes | None, formatter: Formatter | None) -> DataView:
    """The view of ``data``: the user's formatter when one is set, else the default.

    A formatter that raises or returns a non-string must not break the page: the default view
    is shown with a note, and the error is logged for the operator.
    """
    if formatter is None or data is None:
        return default_view(data)
    try:
        text = formatter(task_type, data)
    except Exception as exc:  # a user hook: any failure falls back, never a 500
        log.warning("formatter %r failed for task type %r: %s", formatter, task_type, exc)
        view = default_view(data)
        return DataView(**{**view.__dict__, "note": f"formatter failed: {exc}"})
    if not isinstance(text, str):  # a user hook may return anything
        view = default_view(data)  # type: ignore[unreachable]
        return DataView(**{**view.__dict__, "note": "formatter did not return text"})
    return DataView("custom", text, len(data))


def _utf8_prefix(data: bytes) -> str | None:
    """The text of a UTF-8 prefix cut anywhere (a character split at the end is dropped)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3 and exc.reason.startswith("unexpected end"):
            return data[: exc.start].decode("utf-8", "strict")
        return None


def preview_view(
    task_type: str, data: bytes | None, full_size: int | None, formatter: Formatter | None
) -> DataView:
    """The view of a payload or result of which only a prefix may have been read.

    Complete data gets ``format_data``. A prefix is shown as text (or hex) and never given to
    the JSON parser or a user formatter, which would see half a document; ``size`` is the full
    size and ``truncated`` tells the template to offer the download.
    """
    if data is None or full_size is None or full_size <= len(data):
        return format_data(task_type, data, formatter)
    note = f"first {human_bytes(len(data))} of {human_bytes(full_size)}"
    text = _utf8_prefix(data)
    if text is not None and _printable(text):
        return DataView("text", text, full_size, note=note, truncated=True)
    view = _binary(data)
    return DataView(
        "binary",
        f"binary data, {human_bytes(full_size)}",
        full_size,
        hex=view.hex,
        b64=view.b64,
        note=note,
        truncated_hex=True,
        truncated=True,
    )


def list_preview_bytes(cfg: Any) -> int:
    """Bytes of each payload and result a list reads: enough for the characters a cell shows."""
    return int(
        min(1024 * 1024, 4 * max(cfg.max_payload_length, getattr(cfg, "max_result_length", 0)))
    )


def summary(view: DataView, limit: int) -> str:
    """One line for a table cell, cut to ``limit`` characters."""
    if view.kind == "binary":
        return view.text
    if view.kind == "empty":
        return "(empty)"
    if view.kind == "none":
        return "-"
    text = view.text
    if view.kind == "json":
        # The text came from json.dumps, so it parses; re-dump it compact for one line.
        text = json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


# -- times and sizes --------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | float | int | None) -> datetime | None:
    """An aware UTC datetime; an out-of-range time stays an ``InvalidTime`` (shown as invalid)."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return utc_time(value) if value else None
    if isinstance(value, InvalidTime):
        return value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def abstime(value: datetime | float | int | None) -> str:
    """``2024-05-01 12:00:03 UTC``; ``-`` for none."""
    when = as_utc(value)
    if isinstance(when, InvalidTime):
        return when.text
    return when.strftime("%Y-%m-%d %H:%M:%S UTC") if when else "-"


def isotime(value: datetime | float | int | None) -> str:
    when = as_utc(value)
    if isinstance(when, InvalidTime):
        return ""
    return when.isoformat().replace("+00:00", "Z") if when else ""


def reltime(value: datetime | float | int | None, now: Callable[[], datetime] = _now) -> str:
    """``just now``, ``5m ago``, ``in 3h 2m``; ``-`` for none."""
    when = as_utc(value)
    if when is None:
        return "-"
    if isinstance(when, InvalidTime):
        return when.text
    delta = (when - now()).total_seconds()
    if abs(delta) < 1:
        return "just now"
    text = duration(abs(delta), parts=2)
    return f"in {text}" if delta > 0 else f"{text} ago"


def duration(value: timedelta | float | int | None, parts: int = 3) -> str:
    """``1d 2h 3m``-style text of a duration; ``-`` for none, ``0s`` for zero."""
    if value is None:
        return "-"
    if isinstance(value, InvalidDuration):
        return value.text
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if not math.isfinite(seconds):
        return "invalid duration"
    if seconds < 1:
        return f"{int(seconds * 1000)}ms" if seconds > 0 else "0s"
    whole = int(seconds)
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if whole >= size:
            out.append(f"{whole // size}{unit}")
            whole %= size
    return " ".join(out[:parts])


def human_bytes(value: int | float | None) -> str:
    """``512 B``, ``1.5 KiB``, ``3.2 MiB``."""
    if value is None:
        return "-"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"  # pragma: no cover


def percent(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 100:.2f}%"


def short_id(task_id: str) -> str:
    """The UUID prefix (text before the first ``-``), as Asynqmon shows IDs in tables."""
    head, sep, _ = task_id.partition("-")
    return head if sep and head else task_id


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


FILTERS: dict[str, Callable[..., str]] = {
    "abstime": abstime,
    "isotime": isotime,
    "reltime": reltime,
    "duration": duration,
    "bytes": human_bytes,
    "percent": percent,
    "short_id": short_id,
}
