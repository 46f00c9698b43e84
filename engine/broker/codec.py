"""Bytes <-> protobuf messages, and Timestamp <-> Unix seconds with Go's zero time as "none"."""

from __future__ import annotations

from typing import Any

from google.protobuf.message import DecodeError

from . import proto

GO_ZERO_TIME = -62135596800


class CorruptMessageError(ValueError):
    """Bytes that do not decode as the expected message."""


def decode(cls: Any, data: bytes | None) -> Any:
    if data is None:
        raise CorruptMessageError(f"missing {cls.DESCRIPTOR.name}")
    msg = cls()
    try:
        msg.ParseFromString(bytes(data))
    except (DecodeError, ValueError, TypeError) as exc:
        raise CorruptMessageError(f"undecodable {cls.DESCRIPTOR.name}: {exc}") from exc
    return msg


def decode_task(data: bytes | None) -> Any:
    return decode(proto.TaskMessage, data)


def encode(msg: Any) -> bytes:
    return msg.SerializeToString()


def set_timestamp(ts: Any, unix_seconds: float | None) -> None:
    """Fill a Timestamp; ``None`` writes Go's zero time (as Go does for "never")."""
    if unix_seconds is None:
        ts.seconds, ts.nanos = GO_ZERO_TIME, 0
        return
    whole = int(unix_seconds // 1)
    ts.seconds = whole
    ts.nanos = int(round((unix_seconds - whole) * 1e9)) % 1_000_000_000


def timestamp_seconds(msg: Any, field: str) -> float | None:
    """Unix seconds of a Timestamp field, ``None`` when absent or Go's zero time."""
    if not msg.HasField(field):
        return None
    ts = getattr(msg, field)
    if ts.seconds <= GO_ZERO_TIME or (ts.seconds == 0 and ts.nanos == 0):
        return None
    return ts.seconds + ts.nanos / 1e9
