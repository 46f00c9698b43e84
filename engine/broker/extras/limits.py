"""Limit operations: the Redis side of pyasynq's fleet-wide rate and concurrency limits.

Every limit key lives under ``pyasynq:{limits}:`` (one cluster hash slot), so a single script
call decides for a whole batch of tasks atomically; Go never reads these keys. The layout:

* ``pyasynq:{limits}:config``              hash: limit name -> its JSON definition
* ``pyasynq:{limits}:r:<name>[:<key>]``    zset: sliding-window log of admissions (score = time)
* ``pyasynq:{limits}:c:<name>[:<key>]``    zset: concurrency holders (task id, score = lease end)
* ``pyasynq:{limits}:w:<name>``            zset: tasks waiting (scheduled) on it, by return time
* ``pyasynq:{limits}:t:<name>``            hash: key value -> last return time given a waiter
* ``pyasynq:{limits}:k:<name>``            zset: key values seen by a per-key limit (last use)
* ``pyasynq:{limits}:s:<name>``            hash: admitted/held totals, admitted per minute

Moving a refused task back (to pending or scheduled) touches the task's own queue slot, so it
is a second script (``limit_defer``) on keys the worker already holds by its lease.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from pyasynq.broker import keys
from pyasynq.broker.base import BrokerBase, to_str

PREFIX = "pyasynq:{limits}:"
CONFIG = PREFIX + "config"


def rate_key(name: str, key_value: str | None = None) -> str:
    return f"{PREFIX}r:{name}" + (f":{key_value}" if key_value is not None else "")


def holders_key(name: str, key_value: str | None = None) -> str:
    return f"{PREFIX}c:{name}" + (f":{key_value}" if key_value is not None else "")


def waiting_key(name: str) -> str:
    return f"{PREFIX}w:{name}"


def tail_key(name: str) -> str:
    return f"{PREFIX}t:{name}"


def key_index(name: str) -> str:
    return f"{PREFIX}k:{name}"


def stats_key(name: str) -> str:
    return f"{PREFIX}s:{name}"


class LimitOps(BrokerBase):
    # -- configuration ----------------------------------------------------------------------
    def limit_definitions(self) -> dict[str, str]:
        """Every stored limit: name -> JSON text (one HGETALL; workers poll this)."""
        with self.errors():
            raw = self.redis.hgetall(CONFIG)
        return {to_str(k): to_str(v) for k, v in raw.items()}

    def limit_store(self, name: str, definition: str) -> None:
        with self.errors():
            self.redis.hset(CONFIG, name, definition)

    def limit_delete(self, name: str) -> bool:
        """Forget a limit and every key it kept (windows, holders, waiters, stats)."""
        with self.errors():
            existed = bool(self.redis.hdel(CONFIG, name))
            values = [
                to_str(v) for v in cast(list[bytes], self.redis.zrange(key_index(name), 0, -1))
            ]
            doomed = [rate_key(name), holders_key(name), waiting_key(name), key_index(name)]
            doomed += [stats_key(name), tail_key(name)]
            for v in values:
                doomed += [rate_key(name, v), holders_key(name, v)]
            for start in range(0, len(doomed), 500):  # one slot: multi-key DEL is allowed
                self.redis.delete(*doomed[start : start + 500])
        return existed

    # -- the decision and its aftermath -----------------------------------------------------
    def limit_acquire(self, script_keys: Sequence[str], args: Sequence[Any]) -> list[str]:
        """Run ``limit_acquire.lua`` (see its header for KEYS/ARGV); one reply per task."""
        return [to_str(x) for x in self.run("limit_acquire", script_keys, args)]

    def limit_defer(self, queue: str, moves: Sequence[tuple[str, str]]) -> int:
        """Give refused tasks back: ``(task id, "p" | retry-at seconds)`` in the order to apply."""
        if not moves:
            return 0
        args: list[Any] = [keys.task_key_prefix(queue)]
        for task_id, where in moves:
            args += (task_id, where)
        return int(
            self.run(
                "limit_defer",
                [keys.active(queue), keys.lease(queue), keys.pending(queue), keys.scheduled(queue)],
                args,
            )
        )

    def limit_release(self, slots: Sequence[tuple[str, str]]) -> int:
        """Give back ``(holder key, task id)`` slots in one call."""
        if not slots:
            return 0
        return int(self.run("limit_release", [k for k, _ in slots], [t for _, t in slots]))

    def limit_extend(self, holds: Sequence[tuple[str, str]], expiry: float) -> int:
        """Renew ``(holder key, task id)`` slots until ``expiry``."""
        if not holds:
            return 0
        return int(
            self.run(
                "limit_extend",
                [k for k, _ in holds],
                [f"{expiry:.3f}", *(task_id for _, task_id in holds)],
            )
        )

    def limit_forward(self, queue: str, now: float) -> int:
        """Go's forward script for the scheduled zset with a sub-second ``now``: waiters of a
        limit return as soon as their time comes (Go's forwarder rounds down to the second)."""
        moved = 0
        while True:
            n = int(
                self.run(
                    "forward",
                    [keys.scheduled(queue), keys.pending(queue)],
                    [
                        f"{now:.3f}",
                        keys.task_key_prefix(queue),
                        int(now * 1e9),
                        keys.group_key_prefix(queue),
                    ],
                )
            )
            moved += n
            if n < 100:
                return moved

    # -- visibility -------------------------------------------------------------------------
    def limit_usage(self, names: Sequence[str], now: float) -> list[dict[str, Any]]:
        """For each limit: running slots, waiters, stats hash and per-key figures, in two
        pipelined round trips (the console and the exporters read this on every render)."""
        with self.errors():
            pipe = self.pipeline()
            for name in names:
                pipe.zrange(key_index(name), 0, -1)
                pipe.zcount(waiting_key(name), "-inf", "+inf")
                pipe.hgetall(stats_key(name))
            first = pipe.execute() if names else []
            out: list[dict[str, Any]] = []
            pipe = self.pipeline()
            for n, name in enumerate(names):
                values = [to_str(v) for v in first[3 * n]]
                out.append(
                    {
                        "keys": values,
                        "waiting": int(first[3 * n + 1]),
                        "stats": {to_str(k): int(v) for k, v in first[3 * n + 2].items()},
                    }
                )
                for v in [None, *values]:
                    pipe.zcount(holders_key(name, v), f"({now}", "+inf")
            second = pipe.execute() if names else []
        pos = 0
        for item in out:
            running = [int(x) for x in second[pos : pos + len(item["keys"]) + 1]]
            pos += len(running)
            item["running"] = sum(running)
            item["by_key"] = dict(zip(item["keys"], running[1:], strict=True))
        return out

    def limit_waiting_among(self, names: Sequence[str], task_ids: Sequence[str]) -> dict[str, str]:
        """Which of ``task_ids`` wait on a limit: task id -> limit name (queue page marks)."""
        if not names or not task_ids:
            return {}
        with self.errors():
            pipe = self.pipeline()
            for name in names:
                pipe.zmscore(waiting_key(name), list(task_ids))
            replies = pipe.execute()
        found: dict[str, str] = {}
        for name, scores in zip(names, replies, strict=True):
            for task_id, score in zip(task_ids, scores, strict=True):
                if score is not None:
                    found.setdefault(task_id, name)
        return found

    def limit_window_count(self, name: str, now: float, period: float) -> int:
        """Admissions of a (key-less) rate limit within its window ending at ``now``."""
        with self.errors():
            return int(self.redis.zcount(rate_key(name), f"({now - period}", "+inf"))

    def limit_pending_sizes(self) -> dict[str, int]:
        """Pending tasks of every known queue (one pipelined round trip)."""
        with self.errors():
            queues = [to_str(q) for q in self.redis.smembers(keys.ALL_QUEUES)]
            pipe = self.pipeline()
            for q in queues:
                pipe.llen(keys.pending(q))
            sizes = pipe.execute() if queues else []
        return {q: int(n) for q, n in zip(queues, sizes, strict=True)}
