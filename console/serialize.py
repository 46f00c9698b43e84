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


def task(t: Any) -> dict[str, Any]:
    """One TaskInfo."""
    return {
        "id": t.id,
        "queue": t.queue,
        "type": t.type,
        "state": str(t.state),
        "payload": text(t.payload),
        "payload_b64": b64(t.payload),
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
        "result": text(t.result),
        "result_b64": b64(t.result),
        "unique_key": t.unique_key,
    }


def csv_row(t: Any) -> list[str]:
    row = task(t)
    if row["payload"] is None:
        row["payload"] = "base64:" + (row["payload_b64"] or "")
    return ["" if row[k] is None else str(row[k]) for k in CSV_FIELDS]


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
