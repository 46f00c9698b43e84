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


def create_call(task: NewTask, now: float) -> tuple[str, list[str], list[Any]]:
    """The script, keys and args that write ``task`` (any kind: scheduled, grouped, unique)."""
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


def is_plain(task: NewTask) -> bool:
    """Pending now, no unique lock, no group: the §4.2 script, plus our wake-up."""
    return task.process_at is None and not task.group and not task.unique_key


def single_call(task: NewTask, now: float) -> tuple[str, list[str], list[Any]]:
    """``create_task``'s call: plain tasks also publish the wake-up in the same script."""
    if is_plain(task):
        q = task.queue
        return (
            "enqueue_notify",
            [
                keys.task_key(q, task.task_id),
                keys.pending(q),
                keys.paused(q),
                keys.active(q),
                keys.lease(q),
                keys.idle(q),
            ],
            [
                task.message,
                task.task_id,
                int(now * 1e9),
                keys.WAKE_CHANNEL,
                q,
                keys.HANDOFF_PREFIX,
            ],
        )
    return create_call(task, now)


Call = tuple[str, list[str], list[Any]]


def pending_calls(queue: str, ids: list[str], messages: list[bytes], now_ns: int) -> list[Call]:
    """``enqueue_batch`` calls, ``BATCH_CHUNK`` tasks each, for plain tasks of one queue."""
    prefix, pending = keys.task_key_prefix(queue), keys.pending(queue)
    calls: list[Call] = []
    for start in range(0, len(ids), BATCH_CHUNK):
        chunk = ids[start : start + BATCH_CHUNK]
        pairs: list[Any] = [None] * (2 * len(chunk))
        pairs[0::2] = chunk  # id, message, id, message, ... without a Python loop
        pairs[1::2] = messages[start : start + BATCH_CHUNK]
        args: list[Any] = [prefix, now_ns, keys.WAKE_CHANNEL, queue, *pairs]
        calls.append(("enqueue_batch", [pending], args))
    return calls


def pending_results(calls: list[Call], replies: list[Any], where: str) -> list[int | BaseException]:
    results: list[int | BaseException] = []
    for (_, _, args), reply in zip(calls, replies, strict=True):
        if isinstance(reply, Exception):
            err = BrokerError(f"Redis at {where} answered: {reply}")
            results += [err] * ((len(args) - 4) // 2)
        else:
            results += map(int, reply)
    return results


def batch_calls(tasks: list[NewTask], now: float) -> tuple[list[Call], list[list[int]]]:
    """The calls of ``create_tasks`` and, for each call, the task indexes its reply covers."""
    now_ns = int(now * 1e9)
    calls: list[Call] = []
    owners: list[list[int]] = []
    plain: dict[str, list[int]] = {}
    for i, t in enumerate(tasks):
        if is_plain(t):
            plain.setdefault(t.queue, []).append(i)
        else:
            calls.append(create_call(t, now))
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
    return calls, owners


def batch_results(
    calls: list[Call], owners: list[list[int]], replies: list[Any], n: int, where: str
) -> list[int | BaseException]:
    results: list[int | BaseException] = [0] * n
    for (name, _, _), idx, reply in zip(calls, owners, replies, strict=True):
        if isinstance(reply, Exception):
            err = BrokerError(f"Redis at {where} answered: {reply}")
            for i in idx:
                results[i] = err
        elif name == "enqueue_batch":
            for i, code in zip(idx, reply, strict=True):
                results[i] = int(code)
        else:
            results[idx[0]] = int(reply)
    return results


class ProducerOps(BrokerBase):
    """The redis-py transport of the producer calls (``pyasynq.broker.aio`` is the asyncio one;
    both build their calls with the functions above)."""

    def _create_call(self, task: NewTask, now: float) -> tuple[str, list[str], list[Any]]:
        return create_call(task, now)

    def _register(self, queues: set[str]) -> None:
        """SADD asynq:queues once per queue and Broker (spec §4.1 allows Go's per-process cache;
        ``remove_queue`` forgets the entry). Saves a round trip on every enqueue."""
        new = queues - self._registered_queues
        if new:
            with self.errors():
                self.redis.sadd(keys.ALL_QUEUES, *sorted(new))
            self._registered_queues.update(new)

    _is_plain = staticmethod(is_plain)

    def create_task(self, task: NewTask) -> int:
        """Write one task; returns 1 created, 0 id taken, -1 unique lock held."""
        self._register({task.queue})
        name, script_keys, args = single_call(task, self.now())
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
        calls = pending_calls(queue, ids, messages, now_ns)
        return pending_results(calls, self.run_many(calls), self.where())

    def create_tasks(self, tasks: list[NewTask]) -> list[int | BaseException]:
        """Write many tasks in one pipelined round trip; one result (or error) per task.

        Plain pending tasks go by queue, ``BATCH_CHUNK`` per ``enqueue_batch`` call (§4.2 per
        task, one wake-up per call); the others use their own script, as ``create_task`` does.
        """
        if not tasks:
            return []
        self._register({t.queue for t in tasks})
        calls, owners = batch_calls(tasks, self.now())
        return batch_results(calls, owners, self.run_many(calls), len(tasks), self.where())
