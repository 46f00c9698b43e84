"""Bytes <-> protobuf messages, and Timestamp <-> Unix seconds with Go's zero time as "none"."""

from __future__ import annotations

from typing import Any

from google.protobuf.message import DecodeError

from pyasynq.broker import proto
from pyasynq.errors import BadDataError

GO_ZERO_TIME = -62135596800


class CorruptMessageError(BadDataError, ValueError):
    """Bytes that do not decode as the expected message (bad data; a ValueError as before)."""


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
    data: bytes = msg.SerializeToString()
    return data


# -- the producer's cheap path ---------------------------------------------------------------
# A TaskMessage serialises its fields in field-number order: type (1), payload (2), id (3), then
# everything the options decide (4-15). Producers send many tasks with the same options, so the
# bytes of fields 4-15 (the "tail") are built once by protobuf and reused; fields 1-3 are simple
# length-delimited fields written here. The result is byte for byte what SerializeToString
# gives for the whole message (tests check it), at a fraction of the cost.


def _varint(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def task_tail(
    *,
    queue: str,
    retry: int,
    timeout: int,
    deadline: int,
    retention: int,
    group_key: str,
    unique_key: str,
    headers: dict[str, str] | None,
) -> bytes:
    """Serialised fields 4-15 of a new TaskMessage (queue, retry, timeout, ..., headers)."""
    msg = proto.TaskMessage(
        queue=queue,
        retry=retry,
        timeout=timeout,
        deadline=deadline,
        retention=retention,
        group_key=group_key,
        unique_key=unique_key,
    )
    if headers:
        msg.headers.update(headers)
    data: bytes = msg.SerializeToString()
    return data


_TYPE_FIELDS: dict[str, bytes] = {}


def encode_new_task(task_type: str, payload: bytes, task_id: str, tail: bytes) -> bytes:
    """A new task's TaskMessage bytes from its type, payload, id and ``task_tail`` bytes."""
    head = _TYPE_FIELDS.get(task_type)
    if head is None:
        t = task_type.encode()
        head = b"\x0a" + _varint(len(t)) + t if t else b""
        if len(_TYPE_FIELDS) < 4096:
            _TYPE_FIELDS[task_type] = head
    i = task_id.encode()
    if payload:
        return b"".join(
            (head, b"\x12", _varint(len(payload)), payload, b"\x1a", _varint(len(i)), i, tail)
        )
    if i:
        return b"".join((head, b"\x1a", _varint(len(i)), i, tail))
    return head + tail


def encode_new_tasks(
    types: list[str], payloads: list[bytes], task_ids: list[str], tail: bytes
) -> list[bytes]:
    """``encode_new_task`` for many tasks sharing one ``tail`` (the bulk enqueue path): the
    same bytes per task, with the per-call overhead paid once per batch."""
    heads = _TYPE_FIELDS
    out: list[bytes] = []
    append = out.append
    join = b"".join
    for task_type, payload, task_id in zip(types, payloads, task_ids, strict=True):
        head = heads.get(task_type)
        if head is None:
            head = encode_new_task(task_type, b"", "", b"")  # fills the cache
        i = task_id.encode()
        n = len(i)
        id_field = (
            (b"\x1a" + bytes((n,)) + i)
            if 0 < n < 0x80
            else (b"\x1a" + _varint(n) + i if n else b"")
        )
        if payload:
            n = len(payload)
            append(
                join(
                    (
                        head,
                        b"\x12",
                        bytes((n,)) if n < 0x80 else _varint(n),
                        payload,
                        id_field,
                        tail,
                    )
                )
            )
        else:
            append(join((head, id_field, tail)))
    return out


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
    return float(ts.seconds + ts.nanos / 1e9)
