"""Producer operations: create tasks as pending, scheduled or aggregating (spec §4.1–4.9)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.errors import BrokerError

from . import keys
from .base import BrokerBase


@dataclass(frozen=True)
class NewTask:
    """A fully built task ready to be written: ``route`` picks the script."""

    queue: str
    task_id: str
    message: bytes
    process_at: int | None = None
    group: str | None = None
    unique_key: str | None = None
    unique_ttl: int = 0


class ProducerOps(BrokerBase):
    def _create_call(self, task: NewTask, now: float) -> tuple[str, list[str], list[Any]]:
        q, tid = task.queue, task.task_id
        hash_key = keys.task_key(q, tid)
        now_ns = int(now * 1e9)
        if task.process_at is not None:
            if task.unique_key:
                ttl = max(1, int(task.process_at + task.unique_ttl - now))
                return (
                    "schedule_unique",
                    [task.unique_key, hash_key, keys.scheduled(q)],
                    [tid, ttl, task.process_at, task.message],
                )
            return "schedule", [hash_key, keys.scheduled(q)], [task.message, task.process_at, tid]
        if task.group:
            gkeys = [hash_key, keys.group(q, task.group), keys.all_groups(q)]
            args: list[Any] = [task.message, tid, int(now), task.group]
            if task.unique_key:
                return "add_to_group_unique", [*gkeys, task.unique_key], [*args, task.unique_ttl]
            return "add_to_group", gkeys, args
        if task.unique_key:
            return (
                "enqueue_unique",
                [task.unique_key, hash_key, keys.pending(q)],
                [tid, task.unique_ttl, task.message, now_ns],
            )
        return "enqueue", [hash_key, keys.pending(q)], [task.message, tid, now_ns]

    def create_task(self, task: NewTask) -> int:
        """Write one task; returns 1 created, 0 id taken, -1 unique lock held."""
        now = self.now()
        name, script_keys, args = self._create_call(task, now)
        with self.errors():
            self.redis.sadd(keys.ALL_QUEUES, task.queue)
        return int(self.run(name, script_keys, args))

    def create_tasks(self, tasks: list[NewTask]) -> list[int | BaseException]:
        """Write many tasks in pipelined round trips; one result (or error) per task."""
        if not tasks:
            return []
        now = self.now()
        with self.errors():
            self.redis.sadd(keys.ALL_QUEUES, *sorted({t.queue for t in tasks}))
        replies = self.run_many([self._create_call(t, now) for t in tasks])
        return [
            BrokerError(f"Redis at {self.where()} answered: {reply}")
            if isinstance(reply, Exception)
            else int(reply)
            for reply in replies
        ]
