"""Every Redis key name of the Asynq layout (spec §2), in one place to read them all."""

from __future__ import annotations

import hashlib

from redis.crc import key_slot

from pyasynq.states import MODELS, STATES

ALL_QUEUES = "asynq:queues"
ALL_SERVERS = "asynq:servers"
ALL_WORKERS = "asynq:workers"
ALL_SCHEDULERS = "asynq:schedulers"
CANCEL_CHANNEL = "asynq:cancel"
# pyasynq only: our Client publishes the queue name here after creating pending tasks, so an
# idle pyasynq worker dequeues at once; Go never uses it, and our workers still poll for Go.
WAKE_CHANNEL = "pyasynq:wake"
# pyasynq only: an idle pyasynq worker registers in idle(q) and listens on HANDOFF_PREFIX +
# its server id; our Client's single enqueue then hands it the task, already leased to it
# (enqueue_notify.lua). Go never reads either.
HANDOFF_PREFIX = "pyasynq:handoff:"


def idle(qname: str) -> str:
    """``pyasynq:{q}:idle``: idle pyasynq workers of queue q (member: "<lease seconds> <server
    id>", score: until when, Unix ms); the hash tag puts it in the queue's cluster slot."""
    return f"pyasynq:{{{qname}}}:idle"


def queue_prefix(qname: str) -> str:
    """``asynq:{q}:``: the hash tag keeps every key of one queue in one cluster slot."""
    return f"asynq:{{{qname}}}:"


def task_key_prefix(qname: str) -> str:
    return queue_prefix(qname) + "t:"


def task_key(qname: str, task_id: str) -> str:
    return task_key_prefix(qname) + task_id


def pending(qname: str) -> str:
    return queue_prefix(qname) + "pending"


def active(qname: str) -> str:
    return queue_prefix(qname) + "active"


def lease(qname: str) -> str:
    return queue_prefix(qname) + "lease"


def scheduled(qname: str) -> str:
    return queue_prefix(qname) + "scheduled"


def retry(qname: str) -> str:
    return queue_prefix(qname) + "retry"


def archived(qname: str) -> str:
    return queue_prefix(qname) + "archived"


def completed(qname: str) -> str:
    return queue_prefix(qname) + "completed"


def paused(qname: str) -> str:
    return queue_prefix(qname) + "paused"


def processed_total(qname: str) -> str:
    return queue_prefix(qname) + "processed"


def failed_total(qname: str) -> str:
    return queue_prefix(qname) + "failed"


def processed_daily(qname: str, day: str) -> str:
    """``day`` is ``YYYY-MM-DD`` in UTC."""
    return queue_prefix(qname) + "processed:" + day


def failed_daily(qname: str, day: str) -> str:
    return queue_prefix(qname) + "failed:" + day


def unique(qname: str, task_type: str, payload: bytes | None) -> str:
    """Lock key scoped by (queue, type, payload); a ``None`` payload gives an empty suffix."""
    checksum = "" if payload is None else hashlib.md5(payload).hexdigest()
    return f"{queue_prefix(qname)}unique:{task_type}:{checksum}"


def group_key_prefix(qname: str) -> str:
    return queue_prefix(qname) + "g:"


def group(qname: str, gname: str) -> str:
    return group_key_prefix(qname) + gname


def aggregation_set(qname: str, gname: str, set_id: str) -> str:
    return f"{group(qname, gname)}:{set_id}"


def all_groups(qname: str) -> str:
    return queue_prefix(qname) + "groups"


def all_aggregation_sets(qname: str) -> str:
    return queue_prefix(qname) + "aggregation_sets"


def server_info(host: str, pid: int, server_id: str) -> str:
    return f"asynq:servers:{{{host}:{pid}:{server_id}}}"


def workers(host: str, pid: int, server_id: str) -> str:
    return f"asynq:workers:{{{host}:{pid}:{server_id}}}"


def scheduler_entries(scheduler_id: str) -> str:
    return f"asynq:schedulers:{{{scheduler_id}}}"


def scheduler_history(entry_id: str) -> str:
    return f"asynq:scheduler_history:{entry_id}"


def state_key(qname: str, state: str) -> str:
    """The container key of a state other than aggregating (list or zset)."""
    if state not in STATES or state == "aggregating":
        raise ValueError(f"no per-queue container for state {state!r}")
    return queue_prefix(qname) + state


def state_container(qname: str, state: str, group: str | None = None) -> tuple[str, str]:
    """(key, ``"list"`` or ``"zset"``) holding ``state``'s tasks: where every listing, search,
    sample and bulk action reads. Aggregating tasks live per group, so ``group`` is needed."""
    model = MODELS.get(str(state))
    if model is None:
        raise ValueError(f"state must be one of {', '.join(STATES)}, got {str(state)[:40]!r}")
    if model.grouped:
        if not group:
            raise ValueError(f"{state} tasks live per group: give group")
        return group_key_prefix(qname) + group, model.container
    return queue_prefix(qname) + model.name, model.container


def throughput(qname: str) -> str:
    """pyasynq only: per-minute samples of a queue's counters (``pyasynq:{q}:throughput``).

    Outside the ``asynq:`` prefix so Go never meets it; the ``{q}`` hash tag keeps it in the
    queue's cluster slot, next to the counters it samples.
    """
    return f"pyasynq:{{{qname}}}:throughput"


def cluster_slot(qname: str) -> int:
    """The Redis Cluster slot of every key of a queue (CRC16 of the ``{q}`` hash tag)."""
    return key_slot(pending(qname).encode())
