"""Producer operations: create tasks as pending, scheduled or aggregating (spec §4.1–4.9)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyasynq.broker import keys
from pyasynq.broker.base import BrokerBase
from pyasynq.errors import BrokerError

# Tasks per enqueue_batch call: big enough to amortise the round trip, small enough that one
# script never blocks Redis for long (about a millisecond).
BATCH_CHUNK = 500


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

    def _register(self, queues: set[str]) -> None:
        """SADD asynq:queues once per queue and Broker (spec §4.1 allows Go's per-process cache;
        ``remove_queue`` forgets the entry). Saves a round trip on every enqueue."""
        new = queues - self._registered_queues
        if new:
            with self.errors():
                self.redis.sadd(keys.ALL_QUEUES, *sorted(new))
            self._registered_queues.update(new)

    @staticmethod
    def _is_plain(task: NewTask) -> bool:
        """Pending now, no unique lock, no group: the §4.2 script, plus our wake-up."""
        return task.process_at is None and not task.group and not task.unique_key

    def create_task(self, task: NewTask) -> int:
        """Write one task; returns 1 created, 0 id taken, -1 unique lock held."""
        now = self.now()
        self._register({task.queue})
        if self._is_plain(task):
            q = task.queue
            return int(
                self.run(
                    "enqueue_notify",
                    [keys.task_key(q, task.task_id), keys.pending(q)],
                    [task.message, task.task_id, int(now * 1e9), keys.WAKE_CHANNEL, q],
                )
            )
        name, script_keys, args = self._create_call(task, now)
        return int(self.run(name, script_keys, args))

    def create_pending(
        self, queue: str, ids: list[str], messages: list[bytes]
    ) -> list[int | BaseException]:
        """``create_tasks`` for plain pending tasks of one queue given as parallel lists: the
        same ``enqueue_batch`` calls, without building a ``NewTask`` per task (the bulk path
        of ``Client.enqueue_many``, where that object cost as much as the Redis work)."""
        if not ids:
            return []
        now_ns = int(self.now() * 1e9)
        self._register({queue})
        prefix, pending = keys.task_key_prefix(queue), keys.pending(queue)
        calls: list[tuple[str, list[str], list[Any]]] = []
        for start in range(0, len(ids), BATCH_CHUNK):
            chunk = ids[start : start + BATCH_CHUNK]
            pairs: list[Any] = [None] * (2 * len(chunk))
            pairs[0::2] = chunk  # id, message, id, message, ... without a Python loop
            pairs[1::2] = messages[start : start + BATCH_CHUNK]
            args: list[Any] = [prefix, now_ns, keys.WAKE_CHANNEL, queue, *pairs]
            calls.append(("enqueue_batch", [pending], args))
        results: list[int | BaseException] = []
        for (_, _, args), reply in zip(calls, self.run_many(calls), strict=True):
            if isinstance(reply, Exception):
                err = BrokerError(f"Redis at {self.where()} answered: {reply}")
                results += [err] * ((len(args) - 4) // 2)
            else:
                results += map(int, reply)
        return results

    def create_tasks(self, tasks: list[NewTask]) -> list[int | BaseException]:
        """Write many tasks in one pipelined round trip; one result (or error) per task.

        Plain pending tasks go by queue, ``BATCH_CHUNK`` per ``enqueue_batch`` call (§4.2 per
        task, one wake-up per call); the others use their own script, as ``create_task`` does.
        """
        if not tasks:
            return []
        now = self.now()
        now_ns = int(now * 1e9)
        self._register({t.queue for t in tasks})
        calls: list[tuple[str, list[str], list[Any]]] = []
        owners: list[list[int]] = []  # for each call, the task indexes its reply covers
        plain: dict[str, list[int]] = {}
        for i, t in enumerate(tasks):
            if self._is_plain(t):
                plain.setdefault(t.queue, []).append(i)
            else:
                calls.append(self._create_call(t, now))
                owners.append([i])
        for q, indexes in plain.items():
            prefix = keys.task_key_prefix(q)
            for start in range(0, len(indexes), BATCH_CHUNK):
                chunk = indexes[start : start + BATCH_CHUNK]
                args: list[Any] = [prefix, now_ns, keys.WAKE_CHANNEL, q]
                for i in chunk:
                    args += (tasks[i].task_id, tasks[i].message)
                calls.append(("enqueue_batch", [keys.pending(q)], args))
                owners.append(chunk)
        results: list[int | BaseException] = [0] * len(tasks)
        for (name, _, _), idx, reply in zip(calls, owners, self.run_many(calls), strict=True):
            if isinstance(reply, Exception):
                err = BrokerError(f"Redis at {self.where()} answered: {reply}")
                for i in idx:
                    results[i] = err
            elif name == "enqueue_batch":
                for i, code in zip(idx, reply, strict=True):
                    results[i] = int(code)
            else:
                results[idx[0]] = int(reply)
        return results
