"""Inspector operations: reads, listings and actions on tasks and queues (spec §5).

Results are raw (bytes, ints, tuples); ``pyasynq.inspector`` decodes them for people.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any, cast

from pyasynq.broker import keys
from pyasynq.broker.base import (
    ARCHIVE_MAX_AGE,
    ARCHIVE_MAX_SIZE,
    Arg,
    BrokerBase,
    Key,
    to_str,
    translate,
)
from pyasynq.clock import utc_day
from pyasynq.errors import BadDataError
from pyasynq.states import model

MEMORY_SAMPLE = 20
GROUP_SAMPLE = 5
COUNTS_PER_CALL = 200  # queues per queue_counts.lua call outside a cluster (10 keys each)
INFOS_PER_CALL = 50  # queues per queue_info.lua call outside a cluster (memory sampling each)

# A task of a listing page: id, msg, result, score (zset score, or lease score for active),
# and what is wrong with its task key ("" when it is a hash).
RawTask = tuple[bytes, bytes | None, bytes | None, float | None, str]


def _opt(value: Any) -> Any:
    """Scripts send the integer 0 for "absent"; every present value is a bulk string."""
    return None if isinstance(value, int) else value


@contextlib.contextmanager
def _naming(key: str) -> Iterator[None]:
    """Put the key's name into a ``BadDataError`` raised by a plain command on it."""
    try:
        yield
    except BadDataError as exc:
        raise BadDataError(f"{key}: {exc}", queue=exc.queue, key=key) from exc


def counter_value(value: Any) -> int | None:
    """A counter's value: 0 when absent, ``None`` when it is not a 64-bit integer (or the GET
    failed because the key is not a string)."""
    if value is None:
        return 0
    if isinstance(value, BaseException):
        return None
    try:
        n = int(value)
    except (TypeError, ValueError):
        return None
    return n if -(2**63) <= n < 2**63 else None


def _state_name(queue: str, container: str) -> str:
    """``pending``, ``archived``, ``group g1``: which key of the queue ``container`` is."""
    name = container[len(keys.queue_prefix(queue)) :]
    return "group " + name[2:] if name.startswith("g:") else name


def _task_keys(queue: str, task_id: str) -> str:
    return keys.task_key(queue, task_id)


def queue_info_calls(queues: Sequence[str], now: float) -> list[tuple[str, list[str], list[Any]]]:
    """One ``queue_info.lua`` call per queue (shared by the sync and asyncio brokers)."""
    day = utc_day(now)
    calls = []
    for queue in queues:
        script_keys = [
            keys.pending(queue),
            keys.active(queue),
            keys.scheduled(queue),
            keys.retry(queue),
            keys.archived(queue),
            keys.completed(queue),
            keys.processed_daily(queue, day),
            keys.failed_daily(queue, day),
            keys.processed_total(queue),
            keys.failed_total(queue),
            keys.paused(queue),
            keys.all_groups(queue),
            keys.lease(queue),
        ]
        args = [
            keys.task_key_prefix(queue),
            keys.group_key_prefix(queue),
            MEMORY_SAMPLE,
            GROUP_SAMPLE,
        ]
        calls.append(("queue_info", script_keys, args))
    return calls


def list_tasks_call(
    queue: str, container: str, kind: str, start: int, stop: int, with_lease: bool
) -> tuple[str, list[str], list[Any]]:
    script_keys = [container, keys.lease(queue)] if with_lease else [container]
    return "list_tasks", script_keys, [kind, start, stop, keys.task_key_prefix(queue)]


def parse_list_tasks(flat: list[Any]) -> list[RawTask]:
    """Rows of ``list_tasks.lua``: (id, msg, result, score, the task key's type)."""
    out: list[RawTask] = []
    for i in range(0, len(flat), 5):
        score = _opt(flat[i + 3])
        out.append(
            (
                flat[i],
                _opt(flat[i + 1]),
                _opt(flat[i + 2]),
                None if score is None else float(score),
                to_str(flat[i + 4]),
            )
        )
    return out


def task_info_call(queue: str, task_id: str, now: float) -> tuple[str, list[str], list[Any]]:
    return (
        "get_task_info",
        [_task_keys(queue, task_id)],
        [task_id, int(now), keys.queue_prefix(queue)],
    )


def parse_task_info(reply: Any) -> tuple[Any, ...] | None:
    if isinstance(reply, int):
        return None
    msg, state, npa, result, lease = reply
    npa_f = float(_opt(npa) or 0) or None
    lease_f = None if _opt(lease) is None else float(lease)
    return _opt(msg), state.decode(), npa_f, _opt(result), lease_f


def task_call(
    action: str, queue: str, task_id: str, now: float
) -> tuple[str, list[Key], list[Arg]]:
    """The script, keys and args of ``run``/``archive``/``delete`` on one task."""
    hash_key = _task_keys(queue, task_id)
    qp, gp = keys.queue_prefix(queue), keys.group_key_prefix(queue)
    groups = keys.all_groups(queue)
    if action == "run":
        return "run_task", [hash_key, keys.pending(queue), groups], [task_id, qp, gp]
    if action == "archive":
        args: list[Arg] = [task_id, int(now), int(now) - ARCHIVE_MAX_AGE, ARCHIVE_MAX_SIZE, qp, gp]
        return "archive_task", [hash_key, keys.archived(queue), groups], args
    if action == "delete":
        return "delete_task", [hash_key, groups], [task_id, qp, gp]
    raise ValueError(f"unknown task action {action!r}")


class InspectOps(BrokerBase):
    # -- queues -------------------------------------------------------------------------------
    def all_queues(self) -> list[bytes]:
        with _naming(keys.ALL_QUEUES), self.errors():
            return cast(list[bytes], list(self.redis.smembers(keys.ALL_QUEUES)))

    def queue_exists(self, queue: str) -> bool:
        with _naming(keys.ALL_QUEUES), self.errors():
            return bool(self.redis.sismember(keys.ALL_QUEUES, queue))

    def queue_infos(self, queues: Sequence[str], now: float) -> list[list[Any] | BaseException]:
        """``queue_info.lua`` for every queue in pipelined round trips (one per cluster node).

        One entry per queue, in order: 14 values (counts, counters, paused, groups,
        pending_since of the oldest pending task) followed by the
        ``memory_usage`` estimate, or the exception Redis answered for that queue. Two round
        trips per queue made the dashboard cost ~50 ms of waiting with 50 queues; this is one
        round trip for all of them, and each queue is still read atomically by one script.
        Outside a cluster a call reads ``INFOS_PER_CALL`` queues (``run_per_queue``).
        """
        calls = [(k, a) for _, k, a in queue_info_calls(queues, now)]
        return self.run_per_queue("queue_info", calls, INFOS_PER_CALL)

    def queue_counts(self, queues: Sequence[str], now: float) -> list[list[Any] | BaseException]:
        """``queue_counts.lua`` for every queue in pipelined round trips (one per cluster node).

        The light sibling of ``queue_infos``: counts, today's counters, paused, groups and
        aggregating, but no memory sampling and no oldest-task read, so the readers that cover
        every queue (the dashboard's totals, paging and sorting) stay cheap with thousands of
        queues. One entry per queue, in order, or the exception Redis answered for that queue.
        """
        day = utc_day(now)
        calls = [
            (
                [
                    keys.pending(queue),
                    keys.active(queue),
                    keys.scheduled(queue),
                    keys.retry(queue),
                    keys.archived(queue),
                    keys.completed(queue),
                    keys.processed_daily(queue, day),
                    keys.failed_daily(queue, day),
                    keys.paused(queue),
                    keys.all_groups(queue),
                ],
                [keys.group_key_prefix(queue)],
            )
            for queue in queues
        ]
        return self.run_per_queue("queue_counts", calls, COUNTS_PER_CALL)

    def daily_totals(
        self, queues: Sequence[str], days: Sequence[str]
    ) -> list[tuple[int, int, int]]:
        """(processed, failed, unreadable counters) summed over ``queues`` for each day.

        The dashboard's processed history with many queues: one MGET per day across every
        queue's counters instead of one per queue, and only the sums come back. On a cluster
        the keys live in different slots, so they go as plain GETs through redis-py's cluster
        pipeline, which sends them to each node in one batch. A counter that is not an integer
        (or not a string) counts as 0 and in the third figure."""
        pipe = self.pipeline()
        per_day = [
            [k for q in queues for k in (keys.processed_daily(q, d), keys.failed_daily(q, d))]
            for d in days
        ]
        with self.errors():
            if self.is_cluster:
                for names in per_day:
                    for name in names:
                        pipe.get(name)
                flat = pipe.execute(raise_on_error=False)
                width = 2 * len(queues)
                values = [flat[i * width : (i + 1) * width] for i in range(len(days))]
            else:
                for names in per_day:
                    if names:
                        pipe.mget(names)
                values = pipe.execute() if queues else [[] for _ in days]
        out = []
        for row in values:
            nums = [counter_value(v) for v in row]
            bad = sum(1 for n in nums if n is None)
            out.append((sum(n or 0 for n in nums[0::2]), sum(n or 0 for n in nums[1::2]), bad))
        return out

    def daily_stats_many(
        self, queues: Sequence[str], days: Sequence[str]
    ) -> list[list[tuple[int | None, int | None]]]:
        """``daily_stats`` for many queues in one pipelined round trip (the dashboard's charts).

        Outside a cluster each queue is one MGET (its counters share the ``{q}`` hash tag);
        redis-py's cluster pipeline gets plain GETs, which it routes by key itself. A counter
        that is not an integer (or not a string) is ``None``: bad data, shown as such."""
        names = [
            (keys.processed_daily(q, d), keys.failed_daily(q, d)) for q in queues for d in days
        ]
        pipe = self.pipeline()
        per = len(days)
        with self.errors():
            if self.is_cluster:
                for p, f in names:
                    pipe.get(p)
                    pipe.get(f)
                values = pipe.execute(raise_on_error=False)
            else:
                for i in range(len(queues)):
                    pipe.mget([k for pair in names[i * per : (i + 1) * per] for k in pair])
                values = [v for chunk in pipe.execute() for v in chunk]
        nums = [counter_value(v) for v in values]
        pairs = list(zip(nums[0::2], nums[1::2], strict=True))
        return [pairs[i * per : (i + 1) * per] for i in range(len(queues))]

    def daily_stats(self, queue: str, days: Sequence[str]) -> list[tuple[int | None, int | None]]:
        """(processed, failed) for each ``YYYY-MM-DD`` in ``days``, in one round trip; a
        counter that is not an integer is ``None``."""
        pipe = self.pipeline()
        for day in days:
            pipe.get(keys.processed_daily(queue, day))
            pipe.get(keys.failed_daily(queue, day))
        with self.errors():
            values = pipe.execute(raise_on_error=False)
        nums = [counter_value(v) for v in values]
        return list(zip(nums[0::2], nums[1::2], strict=True))

    def list_groups(self, queue: str) -> list[tuple[bytes, int]]:
        flat = self.run("list_groups", [keys.all_groups(queue)], [keys.group_key_prefix(queue)])
        return [(flat[i], int(flat[i + 1])) for i in range(0, len(flat), 2)]

    def pause(self, queue: str, now: float) -> bool:
        """SETNX the paused key with the pause time in Unix seconds; False when already set."""
        with self.errors():
            return bool(self.redis.setnx(keys.paused(queue), int(now)))

    def unpause(self, queue: str) -> bool:
        with self.errors():
            return bool(self.redis.delete(keys.paused(queue)))

    def remove_queue(self, queue: str, force: bool) -> int:
        """1 removed (and dropped from asynq:queues), -1 not empty, -2 active tasks (force)."""
        script_keys = [
            keys.pending(queue),
            keys.active(queue),
            keys.scheduled(queue),
            keys.retry(queue),
            keys.archived(queue),
            keys.lease(queue),
        ]
        code = int(self.run("remove_queue", script_keys, [keys.task_key_prefix(queue), int(force)]))
        if code == 1:
            with self.errors():
                self.redis.srem(keys.ALL_QUEUES, queue)
            self._registered_queues.discard(queue)
        return code

    # -- listings -----------------------------------------------------------------------------
    def list_tasks(
        self,
        queue: str,
        state: str,
        start: int,
        stop: int,
        *,
        group: str | None = None,
    ) -> list[RawTask]:
        """One page of ``state`` (a list read from the tail, a zset ascending), with msg and
        result; active rows carry their lease score.

        A container of the wrong type raises ``BadDataError`` naming the queue; a task key of
        the wrong type is reported in its row, so the other tasks of the page still show."""
        container, kind = keys.state_container(queue, state, group)
        with_lease = state == "active"
        name, script_keys, args = list_tasks_call(queue, container, kind, start, stop, with_lease)
        try:
            flat = self.run(name, script_keys, args)
        except BadDataError as exc:
            raise BadDataError(
                f"queue {queue!r}: {_state_name(queue, container)}: {exc}", queue=queue
            ) from exc
        return parse_list_tasks(flat)

    def task_info(self, queue: str, task_id: str, now: float) -> tuple[Any, ...] | None:
        """(msg, state, next_process_at, result, lease score) or None when the task is gone."""
        return parse_task_info(self.run(*task_info_call(queue, task_id, now)))

    # -- single-task actions ---------------------------------------------------------------------
    def _task_call(
        self, action: str, queue: str, task_id: str, now: float
    ) -> tuple[str, list[Key], list[Arg]]:
        return task_call(action, queue, task_id, now)

    def task_action(self, action: str, queue: str, task_id: str) -> int:
        """Run ``run``/``archive``/``delete`` on one task; the script's return code."""
        name, script_keys, args = self._task_call(action, queue, task_id, self.now())
        return int(self.run(name, script_keys, args))

    def task_actions(
        self, action: str, queue: str, task_ids: Sequence[str]
    ) -> list[int | Exception]:
        """The same action on many tasks in pipelined round trips; a code (or error) each.

        Goes through ``run_many``, the one cluster-safe way to pipeline scripts."""
        if not task_ids:
            return []
        now = self.now()
        calls = [self._task_call(action, queue, tid, now) for tid in task_ids]
        return [r if isinstance(r, Exception) else int(r) for r in self.run_many(calls)]

    def update_payload(
        self, queue: str, task_id: str, new_msg: bytes, old_msg: bytes, allowed: Sequence[str]
    ) -> tuple[int, str]:
        code, state = self.run(
            "update_task_payload", [_task_keys(queue, task_id)], [new_msg, old_msg, *allowed]
        )
        return int(code), state.decode() if isinstance(state, bytes) else str(state)

    # -- bulk actions ---------------------------------------------------------------------------
    def run_all(self, queue: str, state: str, group: str | None = None) -> int:
        """Move every task of ``state`` (of ``group`` when aggregating) to pending; how many."""
        source, _ = keys.state_container(queue, state, group)
        script_keys = [source, keys.pending(queue), keys.all_groups(queue)]
        return int(self.run("run_all", script_keys, [keys.task_key_prefix(queue), group or ""]))

    def archive_all(self, queue: str, state: str, group: str | None = None) -> int:
        """Archive every task of ``state`` (of ``group`` when aggregating); how many."""
        source, kind = keys.state_container(queue, state, group)
        now = int(self.now())
        script_keys = [source, keys.archived(queue), keys.all_groups(queue)]
        args: list[Arg] = [
            keys.task_key_prefix(queue),
            now,
            now - ARCHIVE_MAX_AGE,
            ARCHIVE_MAX_SIZE,
            kind,
            group or "",
        ]
        return int(self.run("archive_all", script_keys, args))

    def delete_all(self, queue: str, state: str, group: str | None = None) -> int:
        """Delete every task of ``state`` (of ``group`` when aggregating); how many. Unique
        locks are released where the state model says Go does."""
        source, kind = keys.state_container(queue, state, group)
        release = model(state).delete_releases_unique
        script_keys = [source, keys.all_groups(queue)]
        args: list[Arg] = [keys.task_key_prefix(queue), kind, int(release), group or ""]
        return int(self.run("delete_all", script_keys, args))

    # -- servers and schedulers -----------------------------------------------------------------
    def live_members(self, zset: str, now: float) -> list[bytes]:
        """Members of a heartbeat zset still alive at ``now``; stale ones are pruned."""
        return list(self.run("live_members", [zset], [int(now)]))

    def server_records(
        self, now: float
    ) -> tuple[list[tuple[str, bytes | BaseException]], list[tuple[str, bytes | BaseException]]]:
        """(key, encoded ServerInfo) of live servers and (key, encoded WorkerInfo) of their
        running tasks. A record that cannot be read (its key of the wrong type) comes as the
        ``BadDataError`` in place of its value, so the others still show."""
        server_keys = self.live_members(keys.ALL_SERVERS, now)
        worker_keys = self.live_members(keys.ALL_WORKERS, now)
        pipe = self.pipeline()
        for key in server_keys:
            pipe.get(key)
        for key in worker_keys:
            pipe.hgetall(key)
        with self.errors():
            replies = pipe.execute(raise_on_error=False)
        where = self.where()
        servers: list[tuple[str, bytes | BaseException]] = []
        for key, value in zip(server_keys, replies[: len(server_keys)], strict=True):
            if isinstance(value, BaseException):
                servers.append((to_str(key), translate(value, where)))
            elif value is not None:
                servers.append((to_str(key), value))
        workers: list[tuple[str, bytes | BaseException]] = []
        for key, values in zip(worker_keys, replies[len(server_keys) :], strict=True):
            if isinstance(values, BaseException):
                workers.append((to_str(key), translate(values, where)))
            else:
                workers += [(f"{to_str(key)} {to_str(f)}", v) for f, v in values.items()]
        return servers, workers

    def scheduler_records(self, now: float) -> list[tuple[bytes, list[bytes] | BaseException]]:
        """(entries key, encoded SchedulerEntry elements) for each live scheduler; the
        ``BadDataError`` in place of the elements when that key is not a list."""
        entry_keys = self.live_members(keys.ALL_SCHEDULERS, now)
        pipe = self.pipeline()
        for key in entry_keys:
            pipe.lrange(key, 0, -1)
        with self.errors():
            replies = pipe.execute(raise_on_error=False)
        where = self.where()
        return [
            (key, translate(r, where) if isinstance(r, BaseException) else r)
            for key, r in zip(entry_keys, replies, strict=True)
        ]

    def scheduler_history(self, entry_id: str, start: int, stop: int) -> list[tuple[bytes, float]]:
        with _naming(keys.scheduler_history(entry_id)), self.errors():
            return cast(
                list[tuple[bytes, float]],
                self.redis.zrevrange(
                    keys.scheduler_history(entry_id), start, stop, withscores=True
                ),
            )

    # -- redis and cluster ----------------------------------------------------------------------
    def cluster_slots(self) -> list[Any]:
        """Raw CLUSTER SLOTS rows; a cluster client's own parser would drop the node IDs."""
        with self.errors():
            client: Any = self.redis
            if self.is_cluster:
                client = self.cluster.get_redis_connection(self.cluster.get_default_node())
            return list(client.execute_command("CLUSTER SLOTS"))

    def info(self) -> dict[str, Any]:
        with self.errors():
            return dict(self.redis.info())

    def cluster_info(self) -> dict[str, Any]:
        with self.errors():
            return dict(self.redis.execute_command("CLUSTER INFO"))  # type: ignore[no-untyped-call]
