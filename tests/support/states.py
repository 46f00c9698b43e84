"""Put tasks into any of the seven states exactly as Asynq lays them out (spec §2.2, §2.4).

The Client only makes pending, scheduled and aggregating tasks; active, retry, archived and
completed ones are normally made by a worker. These builders write the task hash and its
container directly so console tests can show every state without running a worker.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

import redis

from pyasynq.broker import keys
from pyasynq.broker.codec import encode
from pyasynq.broker.proto import TaskMessage


def seed_task(
    r: redis.Redis,
    queue: str,
    state: str,
    *,
    task_id: str | None = None,
    type: str = "email:send",
    payload: bytes = b'{"to":"a@example.com"}',
    headers: Mapping[str, str] | None = None,
    max_retry: int = 25,
    retried: int = 0,
    error: str = "",
    last_failed_at: int = 0,
    timeout: int = 1800,
    deadline: int = 0,
    retention: int = 0,
    completed_at: int = 0,
    group: str = "",
    result: bytes | None = None,
    score: float | None = None,
    lease_expiry: float | None = None,
    now: float | None = None,
) -> str:
    """Write one task in ``state``; returns its ID.

    ``score`` is the zset score (process-at for scheduled/retry, archive time for archived,
    expiry for completed); sensible defaults relative to ``now`` are used when it is None.
    Active tasks get a lease ``lease_expiry`` (default now + 30 s, i.e. not orphaned).
    """
    now = time.time() if now is None else now
    task_id = task_id or str(uuid.uuid4())
    if state in ("archived", "retry") and not error:
        error = "boom: handler failed"
        last_failed_at = last_failed_at or int(now) - 60
    if state == "completed":
        retention = retention or 3600
        completed_at = completed_at or int(now) - 10
    msg = TaskMessage(
        type=type,
        payload=payload,
        id=task_id,
        queue=queue,
        retry=max_retry,
        retried=retried,
        error_msg=error,
        last_failed_at=last_failed_at,
        timeout=timeout,
        deadline=deadline,
        retention=retention,
        completed_at=completed_at,
        group_key=group,
    )
    msg.headers.update(headers or {})
    fields: dict[str, Any] = {"msg": encode(msg), "state": state}
    if result is not None:
        fields["result"] = result
    if group:
        fields["group"] = group
    if state == "pending":
        fields["pending_since"] = str(int(now * 1e9))
    pipe = r.pipeline(transaction=True)
    pipe.sadd(keys.ALL_QUEUES, queue)
    pipe.hset(keys.task_key(queue, task_id), mapping=fields)
    if state in ("pending", "active"):
        pipe.lpush(keys.state_key(queue, state), task_id)
        if state == "active":
            pipe.zadd(
                keys.lease(queue), {task_id: lease_expiry if lease_expiry is not None else now + 30}
            )
    elif state == "aggregating":
        pipe.zadd(keys.group(queue, group or "default-group"), {task_id: score or now})
        pipe.sadd(keys.all_groups(queue), group or "default-group")
    else:
        default = {
            "scheduled": now + 3600,
            "retry": now + 120,
            "archived": now - 60,
            "completed": completed_at + retention,
        }[state]
        pipe.zadd(keys.state_key(queue, state), {task_id: score if score is not None else default})
    pipe.execute()
    return task_id


def seed_many(r: redis.Redis, queue: str, state: str, n: int, **kwargs: Any) -> list[str]:
    return [seed_task(r, queue, state, **kwargs) for _ in range(n)]


def bump_daily(r: redis.Redis, queue: str, day: str, processed: int, failed: int) -> None:
    """Set the daily counters the dashboard's history chart reads."""
    r.set(keys.processed_daily(queue, day), processed)
    r.set(keys.failed_daily(queue, day), failed)


def state_of(r: redis.Redis, queue: str, task_id: str) -> str | None:
    value = r.hget(keys.task_key(queue, task_id), "state")
    return value.decode() if value else None
