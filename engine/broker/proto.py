"""The protobuf messages of Asynq (package ``asynq``, spec §3), built from a descriptor at import.

Building the descriptor in code instead of shipping protoc output keeps us independent of the
installed protobuf major version, while field numbers and types stay exactly Go's.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, timestamp_pb2
from google.protobuf.message_factory import GetMessageClass

_F = descriptor_pb2.FieldDescriptorProto
_STRING, _BYTES, _INT32, _INT64, _BOOL, _MESSAGE = (
    _F.TYPE_STRING,
    _F.TYPE_BYTES,
    _F.TYPE_INT32,
    _F.TYPE_INT64,
    _F.TYPE_BOOL,
    _F.TYPE_MESSAGE,
)
_TIMESTAMP = ".google.protobuf.Timestamp"


def _message(
    file: descriptor_pb2.FileDescriptorProto,
    name: str,
    fields: list[tuple[str, int, int, str | None, bool]],
) -> descriptor_pb2.DescriptorProto:
    msg = file.message_type.add(name=name)
    for field_name, number, ftype, type_name, repeated in fields:
        field = msg.field.add(name=field_name, number=number, type=ftype)
        field.label = _F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL
        if type_name:
            field.type_name = type_name
    return msg


def _map_entry(msg: descriptor_pb2.DescriptorProto, name: str, value_type: int) -> str:
    entry = msg.nested_type.add(name=name)
    entry.options.map_entry = True
    entry.field.add(name="key", number=1, type=_STRING, label=_F.LABEL_OPTIONAL)
    entry.field.add(name="value", number=2, type=value_type, label=_F.LABEL_OPTIONAL)
    return name


def _build_file() -> descriptor_pb2.FileDescriptorProto:
    f = descriptor_pb2.FileDescriptorProto(
        name="asynq/asynq.proto", package="asynq", syntax="proto3"
    )
    f.dependency.append("google/protobuf/timestamp.proto")
    task = _message(
        f,
        "TaskMessage",
        [
            ("type", 1, _STRING, None, False),
            ("payload", 2, _BYTES, None, False),
            ("id", 3, _STRING, None, False),
            ("queue", 4, _STRING, None, False),
            ("retry", 5, _INT32, None, False),
            ("retried", 6, _INT32, None, False),
            ("error_msg", 7, _STRING, None, False),
            ("timeout", 8, _INT64, None, False),
            ("deadline", 9, _INT64, None, False),
            ("unique_key", 10, _STRING, None, False),
            ("last_failed_at", 11, _INT64, None, False),
            ("retention", 12, _INT64, None, False),
            ("completed_at", 13, _INT64, None, False),
            ("group_key", 14, _STRING, None, False),
        ],
    )
    entry = _map_entry(task, "HeadersEntry", _STRING)
    task.field.add(
        name="headers",
        number=15,
        type=_MESSAGE,
        label=_F.LABEL_REPEATED,
        type_name=f".asynq.TaskMessage.{entry}",
    )
    server = _message(
        f,
        "ServerInfo",
        [
            ("host", 1, _STRING, None, False),
            ("pid", 2, _INT32, None, False),
            ("server_id", 3, _STRING, None, False),
            ("concurrency", 4, _INT32, None, False),
            ("strict_priority", 6, _BOOL, None, False),
            ("status", 7, _STRING, None, False),
            ("start_time", 8, _MESSAGE, _TIMESTAMP, False),
            ("active_worker_count", 9, _INT32, None, False),
        ],
    )
    entry = _map_entry(server, "QueuesEntry", _INT32)
    server.field.add(
        name="queues",
        number=5,
        type=_MESSAGE,
        label=_F.LABEL_REPEATED,
        type_name=f".asynq.ServerInfo.{entry}",
    )
    _message(
        f,
        "WorkerInfo",
        [
            ("host", 1, _STRING, None, False),
            ("pid", 2, _INT32, None, False),
            ("server_id", 3, _STRING, None, False),
            ("task_id", 4, _STRING, None, False),
            ("task_type", 5, _STRING, None, False),
            ("task_payload", 6, _BYTES, None, False),
            ("queue", 7, _STRING, None, False),
            ("start_time", 8, _MESSAGE, _TIMESTAMP, False),
            ("deadline", 9, _MESSAGE, _TIMESTAMP, False),
        ],
    )
    _message(
        f,
        "SchedulerEntry",
        [
            ("id", 1, _STRING, None, False),
            ("spec", 2, _STRING, None, False),
            ("task_type", 3, _STRING, None, False),
            ("task_payload", 4, _BYTES, None, False),
            ("enqueue_options", 5, _STRING, None, True),
            ("next_enqueue_time", 6, _MESSAGE, _TIMESTAMP, False),
            ("prev_enqueue_time", 7, _MESSAGE, _TIMESTAMP, False),
        ],
    )
    _message(
        f,
        "SchedulerEnqueueEvent",
        [
            ("task_id", 1, _STRING, None, False),
            ("enqueue_time", 2, _MESSAGE, _TIMESTAMP, False),
        ],
    )
    return f


def _load() -> dict[str, Any]:
    pool = descriptor_pool.DescriptorPool()
    ts_file = descriptor_pb2.FileDescriptorProto()
    timestamp_pb2.DESCRIPTOR.CopyToProto(ts_file)
    pool.Add(ts_file)
    pool.Add(_build_file())
    return {
        name: GetMessageClass(pool.FindMessageTypeByName(f"asynq.{name}"))
        for name in (
            "TaskMessage",
            "ServerInfo",
            "WorkerInfo",
            "SchedulerEntry",
            "SchedulerEnqueueEvent",
        )
    }


_CLASSES = _load()
TaskMessage = _CLASSES["TaskMessage"]
ServerInfo = _CLASSES["ServerInfo"]
WorkerInfo = _CLASSES["WorkerInfo"]
SchedulerEntry = _CLASSES["SchedulerEntry"]
SchedulerEnqueueEvent = _CLASSES["SchedulerEnqueueEvent"]
