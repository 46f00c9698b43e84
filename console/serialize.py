"""Tasks and other engine records as plain JSON-able dicts, for the API and exports.

Payloads and results are bytes: they are given as UTF-8 text when they decode (``payload``)
and always as base64 (``payload_b64``), so binary data survives a round trip.
"""

from __future__ import annotations

import base64
import dataclasses
from datetime import datetime, timedelta
from typing import Any

CSV_FIELDS = (
    "id",
    "queue",
    "type",
    "state",
    "payload",
    "max_retry",
    "retried",
    "last_err",
    "last_failed_at",
    "next_process_at",
    "completed_at",
    "group",
    "timeout",
    "retention",
    "deadline",
    "unique_key",
)


def text(data: bytes | None) -> str | None:
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def task(t: Any, limit: int | None = None) -> dict[str, Any]:
    """One TaskInfo; with ``limit``, payload and result hold at most ``limit`` bytes.

    ``payload_size``/``result_size`` give the full sizes and ``payload_truncated``/
    ``result_truncated`` say when only a prefix is here (the rest is a download).
    """
    payload, result = t.payload, t.result
    payload_size = getattr(t, "payload_size", None) or len(payload)
    result_size = getattr(t, "result_size", None)
    if result_size is None and result is not None:
        result_size = len(result)
    if limit is not None:
        payload = payload[:limit]
        result = None if result is None else result[:limit]
    out = _task_fields(t, payload, result)
    out["payload_size"] = payload_size
    out["payload_truncated"] = payload_size > len(payload)
    out["result_size"] = result_size
    out["result_truncated"] = result_size is not None and result_size > len(result or b"")
    if out["payload_truncated"]:
        out["payload"] = _text_prefix(payload)
    if out["result_truncated"]:
        out["result"] = _text_prefix(result)
    return out


def _text_prefix(data: bytes | None) -> str | None:
    """A prefix's text: a character cut at the end is dropped; None when it is not UTF-8."""
    if data is None:
        return None
    for cut in range(4):
        try:
            return data[: len(data) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return None


def _task_fields(t: Any, payload: bytes, result: bytes | None) -> dict[str, Any]:
    return {
        "id": t.id,
        "queue": t.queue,
        "type": t.type,
        "state": str(t.state),
        "payload": text(payload),
        "payload_b64": b64(payload),
        "headers": dict(t.headers),
        "max_retry": t.max_retry,
        "retried": t.retried,
        "last_err": t.last_err,
        "last_failed_at": iso(t.last_failed_at),
        "timeout": t.timeout.total_seconds(),
        "deadline": iso(t.deadline),
        "group": t.group,
        "next_process_at": iso(t.next_process_at),
        "is_orphaned": t.is_orphaned,
        "retention": t.retention.total_seconds(),
        "completed_at": iso(t.completed_at),
        "result": text(result),
        "result_b64": b64(result),
        "unique_key": t.unique_key,
    }


def csv_row(t: Any) -> list[str]:
    row = task(t)
    if row["payload"] is None:
        row["payload"] = "base64:" + (row["payload_b64"] or "")
    return [neutralise_cell("" if row[k] is None else str(row[k])) for k in CSV_FIELDS]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet would read as a formula (CSV injection, OWASP)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def plain(value: Any) -> Any:
    """Any engine dataclass (QueueInfo, ServerInfo, ...) as JSON-able data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return text(value) if text(value) is not None else b64(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    return value
