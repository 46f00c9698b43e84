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
        """Write many tasks in one pipelined round trip; one result (or error) per task."""
        if not tasks:
            return []
        now = self.now()
        pipe = self.pipeline()
        for queue in sorted({t.queue for t in tasks}):
            pipe.sadd(keys.ALL_QUEUES, queue)
        calls = [self._create_call(t, now) for t in tasks]
        for name, _, _ in calls:
            self.script(name)  # register once; load below
        with self.errors():
            for name in {c[0] for c in calls}:
                script = self.script(name)
                script.sha = self.redis.script_load(script.script)
        for name, script_keys, args in calls:
            pipe.evalsha(self.script(name).sha, len(script_keys), *script_keys, *args)
        n_sadd = len({t.queue for t in tasks})
        with self.errors():
            replies = pipe.execute(raise_on_error=False)
        results: list[int | BaseException] = []
        for reply in replies[n_sadd:]:
            if isinstance(reply, Exception):
                results.append(BrokerError(f"Redis at {self.where()} answered: {reply}"))
            else:
                results.append(int(reply))
        return results
