"""Worker operations: dequeue, acknowledge, retry, archive, leases, forwarding, heartbeats (spec §4.10–4.27).

Every method takes the time it should act at (``now``, Unix seconds) from the caller's clock, so
a test with a ``ManualClock`` decides what "now" is for leases, retry times and daily counters.
Scripts answer ``NOT FOUND`` when a task is no longer active (an inspector deleted it, the
recoverer already moved it): that becomes ``TaskNotActiveError``, which callers must not retry.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyasynq.broker import keys, proto
from pyasynq.broker.base import (
    ARCHIVE_MAX_AGE,
    ARCHIVE_MAX_SIZE,
    LEASE_DURATION,
    MAX_INT64,
    STATS_TTL,
    BrokerBase,
    to_str,
)
from pyasynq.broker.codec import CorruptMessageError, decode_task
from pyasynq.clock import utc_day
from pyasynq.errors import BadDataError, BrokerError

FORWARD_BATCH = 100
JANITOR_BATCH = 100


def _failure_keys(q: str, task_id: str, destination: str, day: str) -> list[str]:
    """KEYS of the retry and archive scripts (§4.14, §4.15): they differ only in the zset the
    task moves to; both update the same four counters."""
    return [
        keys.task_key(q, task_id),
        keys.active(q),
        keys.lease(q),
        destination,
        keys.processed_daily(q, day),
        keys.failed_daily(q, day),
        keys.processed_total(q),
        keys.failed_total(q),
    ]


def complete_call(
    msg: Any, now: float, workflow_key: str | None = None
) -> tuple[list[str], list[Any]]:
    """KEYS and ARGV of mark_complete.lua (§4.12) for ``msg`` completed at ``now``. With
    ``workflow_key`` (workflow_complete.lua) that hash comes after the six keys, before the
    optional unique lock."""
    msg = _copy(msg)
    q = msg.queue
    msg.completed_at = int(now)
    script_keys = [
        keys.active(q),
        keys.lease(q),
        keys.completed(q),
        keys.task_key(q, msg.id),
        keys.processed_daily(q, utc_day(now)),
        keys.processed_total(q),
    ]
    if workflow_key is not None:
        script_keys.append(workflow_key)
    if msg.unique_key:
        script_keys.append(msg.unique_key)
    args = [
        msg.id,
        int(now) + STATS_TTL,
        int(now) + msg.retention,
        msg.SerializeToString(),
        MAX_INT64,
    ]
    return script_keys, args


def archive_call(
    msg: Any, error: str, now: float, workflow_key: str | None = None
) -> tuple[list[str], list[Any]]:
    """KEYS and ARGV of archive.lua (§4.15) for ``msg`` failing with ``error`` at ``now``. With
    ``workflow_key`` (workflow_archive.lua) that hash comes after archive.lua's keys."""
    msg = _copy(msg)
    q = msg.queue
    msg.error_msg = error
    msg.last_failed_at = int(now)
    script_keys = _failure_keys(q, msg.id, keys.archived(q), utc_day(now))
    if workflow_key is not None:
        script_keys.append(workflow_key)
    args = [
        msg.id,
        msg.SerializeToString(),
        int(now),
        int(now) - ARCHIVE_MAX_AGE,
        ARCHIVE_MAX_SIZE,
        int(now) + STATS_TTL,
        MAX_INT64,
        keys.task_key_prefix(q),
    ]
    return script_keys, args


def _copy(msg: Any) -> Any:
    """Writes change a copy, so a write retried by the syncer never increments twice."""
    out = type(msg)()
    out.CopyFrom(msg)
    return out


@dataclass(slots=True)
class Leased:
    """A task a dequeue (or the recoverer) holds a lease on, as Redis had it.

    ``data`` is the task hash's ``msg`` (``None`` when there is none); ``key_type`` is what the
    task key was (``hash``; ``none`` when the hash was missing; anything else is bad data).
    Whoever gets a ``Leased`` must settle it: run it, or ``archive_unreadable`` it."""

    queue: str
    task_id: str
    data: bytes | None
    lease_expiry: float
    key_type: str = "hash"
    decoded: Any = field(default=None, repr=False, compare=False)
    """``data`` already decoded (a hand-off decodes it to learn queue and id): not again."""

    def problem(self) -> str:
        """Why this task cannot be run as it stands in Redis ("" when its message is there)."""
        if self.key_type not in ("hash", "none"):
            return f"the task key holds a {self.key_type}, not a hash"
        if self.data is None:
            return "the task hash has no msg field" if self.key_type == "hash" else "no task hash"
        return ""

    def message(self) -> tuple[Any, str]:
        """(the decoded TaskMessage, "") when the task can be run; else (what could be decoded,
        or None, and why it cannot be run). A message naming another task or queue cannot be
        acknowledged (the writes would miss it), so it counts as unreadable too."""
        problem = self.problem()
        if problem:
            return None, problem
        msg = self.decoded
        if msg is None:
            try:
                msg = decode_task(self.data)
            except CorruptMessageError as exc:
                return None, f"its message cannot be decoded ({exc})"
        if msg.id != self.task_id or msg.queue != self.queue:
            return msg, f"its message names task {msg.id!r} of queue {msg.queue!r}"
        return msg, ""


def _leased(queue: str, flat: Sequence[Any], expiry: float) -> list[Leased]:
    """dequeue_lib's reply: per task its id, then its msg or ``[type of the task key]``."""
    out = []
    for i in range(0, len(flat), 2):
        item = flat[i + 1]
        if isinstance(item, list):
            out.append(Leased(queue, to_str(flat[i]), None, expiry, to_str(item[0])))
        else:
            out.append(Leased(queue, to_str(flat[i]), bytes(item), expiry))
    return out


def _done_keys(queue: str, now: float) -> list[str]:
    """KEYS shared by done_many.lua and done_and_dequeue.lua (their first four)."""
    return [
        keys.active(queue),
        keys.lease(queue),
        keys.processed_daily(queue, utc_day(now)),
        keys.processed_total(queue),
    ]


def _add_done_tasks(args: list[Any], tasks: Sequence[tuple[str, str]]) -> list[int]:
    """Append done_lib's task arguments: how many tasks have no unique key, their ids, then
    (id, unique key) pairs (one argument per task in the usual case). Returns the positions in
    ``tasks`` in that order: the script's flags come back in it."""
    plain = [i for i, (_, unique_key) in enumerate(tasks) if not unique_key]
    unique = [i for i, (_, unique_key) in enumerate(tasks) if unique_key]
    args.append(len(plain))
    args += [tasks[i][0] for i in plain]
    for i in unique:
        args += tasks[i]
    return plain + unique


def _done_flags(queue: str, replies: Sequence[Any], order: Sequence[int]) -> list[bool]:
    """done_lib's flags (one per task in ``order``, or one for all) as booleans in the tasks'
    own order (False: NOT FOUND); a bad processed counter is reported."""
    flags = [int(x) for x in replies]
    if len(flags) == 1:
        flags *= len(order)
    if 2 in flags:
        _report_bad_counter(queue)
    out = [False] * len(order)
    for position, flag in zip(order, flags, strict=True):
        out[position] = flag >= 1
    return out


_counter_reports: dict[str, float] = {}
log = logging.getLogger("pyasynq.broker")


def _report_bad_counter(queue: str) -> None:
    """Log, at most once a minute per queue, that its processed counters are bad data."""
    now = time.monotonic()
    if now - _counter_reports.get(queue, -3600.0) >= 60:
        _counter_reports[queue] = now
        log.error(
            "queue %r: a processed counter is not an integer (bad data in Redis); tasks are "
            "acknowledged but not counted until it is fixed",
            queue,
        )


def unreadable_message(queue: str, task_id: str, reason: str, salvaged: Any = None) -> Any:
    """The TaskMessage stored for a task archived because it could not be run: its id and
    queue, the error saying why, and the type and payload when they could be read."""
    msg = proto.TaskMessage()
    if salvaged is not None:
        msg.CopyFrom(salvaged)
    msg.id, msg.queue = task_id, queue
    msg.error_msg = f"pyasynq: task cannot be run: {reason}"[:2000]
    return msg


class TaskNotActiveError(BrokerError):
    """A post-processing write found the task gone from active/lease: nothing left to do."""


def handed_off(payload: bytes) -> Leased:
    """The task an enqueue handed to this worker (enqueue_notify.lua): "<lease expiry> <msg>".
    Queue and id come from the message itself (a message that cannot be decoded is still
    returned, as a ``Leased`` without them, for the worker to log: the recoverer archives it
    when its lease ends)."""
    expiry, _, data = payload.partition(b" ")
    try:
        msg = decode_task(data)
    except CorruptMessageError:
        return Leased("", "", data, float(expiry or 0))
    return Leased(msg.queue, msg.id, data, float(expiry), decoded=msg)


class CancelSubscription:
    """A pub/sub connection on ``asynq:cancel``; ``get`` returns one task id or ``None``.

    With ``on_wake`` it also listens on ``pyasynq:wake`` (our Client's "a task is pending in
    queue X") and calls ``on_wake(queue)`` for those messages, so one connection serves both.
    With ``on_handoff`` and ``handoff_id`` it hears this worker's hand-off channel and calls
    ``on_handoff(leased)``. A true answer from either callback means the caller gave this
    connection to another of its threads, and ``get`` returns at once without reading further.
    It hides redis-py from the engine (only engine/broker imports ``redis``). Errors while
    reading come out as ``BrokerError`` so the subscriber can reconnect.
    """

    def __init__(
        self,
        ops: WorkerOps,
        on_wake: Callable[[str], Any] | None = None,
        *,
        on_handoff: Callable[[Leased], Any] | None = None,
        handoff_id: str = "",
    ) -> None:
        self._ops = ops
        self._on_wake = on_wake
        self._on_handoff = on_handoff if handoff_id else None
        self._handoff_channel = keys.HANDOFF_PREFIX + handoff_id
        self._pubsub = ops.redis.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
        channels = [keys.CANCEL_CHANNEL] + ([keys.WAKE_CHANNEL] if on_wake else [])
        if self._on_handoff is not None:
            channels.append(self._handoff_channel)
        with ops.errors():
            self._pubsub.subscribe(*channels)

    def get(self, timeout: float) -> str | None:
        with self._ops.errors():
            msg = self._pubsub.get_message(timeout=timeout)
        while msg and msg.get("type") == "message":
            channel = to_str(msg.get("channel"))
            if channel == keys.WAKE_CHANNEL and self._on_wake is not None:
                if self._on_wake(to_str(msg.get("data"))):
                    return None  # the caller gave this connection to another thread
            elif channel == self._handoff_channel and self._on_handoff is not None:
                if self._on_handoff(handed_off(bytes(msg.get("data") or b""))):
                    return None  # the caller gave this connection to another thread
            else:
                return to_str(msg.get("data"))  # asynq:cancel: the task id
            with self._ops.errors():  # drain a burst of wake-ups without waiting
                msg = self._pubsub.get_message(timeout=0)
        return None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._pubsub.close()


class WorkerOps(BrokerBase):
    lease_duration: int = LEASE_DURATION
    """Seconds a dequeue or heartbeat leases a task for (Asynq: 30). Only fault tests shorten
    it, through ``Server(lease_duration=...)``, so a SIGKILLed worker's tasks come back fast."""

    def _t(self, now: float | None) -> float:
        return self.now() if now is None else now

    def _ack(self, name: str, script_keys: Sequence[str], args: Sequence[Any]) -> None:
        try:
            self.run(name, script_keys, args)
        except BrokerError as exc:
            if "NOT FOUND" in str(exc):
                raise TaskNotActiveError(str(exc)) from exc
            raise

    # -- dequeue ----------------------------------------------------------------------------
    def dequeue(
        self, queues: Sequence[str], now: float | None = None
    ) -> tuple[bytes, float] | None:
        """Try ``queues`` in order (§4.10); the first task found is returned with its lease
        expiry (Unix seconds). ``None`` when every queue is empty or paused."""
        now = self._t(now)
        expiry = int(now) + self.lease_duration
        for q in queues:
            msg = self.run(
                "dequeue",
                [keys.pending(q), keys.paused(q), keys.active(q), keys.lease(q)],
                [expiry, keys.task_key_prefix(q)],
            )
            if msg:
                return bytes(msg), float(expiry)
        return None

    def dequeue_many(
        self, queues: Sequence[str], count: int, now: float | None = None
    ) -> list[tuple[bytes, float]]:
        """Up to ``count`` tasks in one script call per queue tried, ``queues`` in order: each
        task is dequeued exactly as §4.10 does, all with the same lease expiry. Empty when every
        queue is empty or paused. With ``count == 1`` it is ``dequeue``. Tasks without a
        message are leased and left out, as Go does (``dequeue_batch`` reports them)."""
        return [
            (t.data, t.lease_expiry)
            for t in self.dequeue_batch(queues, count, now)
            if t.data is not None and not t.problem()
        ]

    def dequeue_batch(
        self,
        queues: Sequence[str],
        count: int,
        now: float | None = None,
        *,
        queue_errors: MutableMapping[str, BadDataError] | None = None,
    ) -> list[Leased]:
        """``dequeue_many`` reporting every task it leased, runnable or not.

        With ``queue_errors``, a queue whose keys hold bad data (a ``pending`` that is not a
        list, ...) is recorded there and the next queue is tried: one bad queue does not stop
        the others. Without it the ``BadDataError`` is raised. A queue's keys are checked
        before anything moves, so a bad queue is left as it was. Connection errors raise."""
        now = self._t(now)
        expiry = int(now) + self.lease_duration
        got: list[Leased] = []
        for q in queues:
            try:
                flat = self.run(
                    "dequeue_many",
                    [keys.pending(q), keys.paused(q), keys.active(q), keys.lease(q)],
                    [expiry, keys.task_key_prefix(q), count - len(got)],
                )
            except BadDataError as exc:
                err = BadDataError(f"queue {q!r}: {exc}", queue=q)
                if queue_errors is None:
                    raise err from exc
                queue_errors[q] = err
                continue
            got.extend(_leased(q, flat or (), float(expiry)))
            if len(got) >= count:
                break
        return got

    def queues_with_pending(self, queues: Sequence[str]) -> list[str]:
        """The queues of ``queues`` whose pending list is not empty, in order: one LLEN each
        in one round trip. An idle worker's periodic check costs Redis one command per queue
        instead of a dequeue script's three; a queue whose pending key is not a list is kept,
        for the dequeue to report its bad data."""
        if not queues:
            return []
        with self.errors():
            pipe = self.pipeline()
            for q in queues:
                pipe.llen(keys.pending(q))
            sizes = pipe.execute(raise_on_error=False)
        return [q for q, n in zip(queues, sizes, strict=True) if not isinstance(n, int) or n > 0]

    def archive_unreadable(
        self, queue: str, task_id: str, reason: str, salvaged: Any = None, now: float | None = None
    ) -> str:
        """Archive a leased task that cannot be run, with an error saying why (pyasynq only:
        Go leaves it in active for ever). Returns the type its task key had. See
        ``archive_unreadable.lua``; ``salvaged`` is a decoded message to keep type and payload of.
        """
        now = self._t(now)
        msg = unreadable_message(queue, task_id, reason, salvaged)
        msg.last_failed_at = int(now)
        try:
            kind = self.run(
                "archive_unreadable",
                [
                    keys.task_key(queue, task_id),
                    keys.active(queue),
                    keys.lease(queue),
                    keys.archived(queue),
                ],
                [task_id, msg.SerializeToString(), int(now)],
            )
        except BrokerError as exc:
            if "NOT FOUND" in str(exc):
                raise TaskNotActiveError(str(exc)) from exc
            raise
        return to_str(kind)

    # -- outcomes ---------------------------------------------------------------------------
    def done_many(
        self, queue: str, tasks: Sequence[tuple[str, str]], now: float | None = None
    ) -> list[bool]:
        """``done`` (§4.11) for many ``(task id, unique key or "")`` of one queue in one call.
        One flag per task: False where done.lua would have answered NOT FOUND."""
        if not tasks:
            return []
        now = self._t(now)
        args: list[Any] = [int(now) + STATS_TTL, MAX_INT64, keys.task_key_prefix(queue)]
        order = _add_done_tasks(args, tasks)
        replies = self.run("done_many", _done_keys(queue, now), args)
        return _done_flags(queue, replies, order)

    def done_and_dequeue(
        self,
        queue: str,
        tasks: Sequence[tuple[str, str]],
        count: int,
        now: float | None = None,
    ) -> tuple[list[bool], list[Leased], BadDataError | None]:
        """``done_many`` of ``tasks`` then ``dequeue_batch`` of up to ``count`` from the same
        queue, in one round trip (a busy worker refills the slots its acknowledgements free).

        Returns the done flags, the leased tasks and, when a key of the queue holds the wrong
        type, the ``BadDataError`` that stopped the dequeue (nothing of it written; the
        acknowledgements stand). Connection errors raise ``BrokerError``."""
        now = self._t(now)
        expiry = int(now) + self.lease_duration
        args: list[Any] = [
            int(now) + STATS_TTL,
            MAX_INT64,
            keys.task_key_prefix(queue),
            expiry,
            max(0, count),
        ]
        order = _add_done_tasks(args, tasks)
        flags, flat, error = self.run(
            "done_and_dequeue",
            [*_done_keys(queue, now), keys.pending(queue), keys.paused(queue)],
            args,
        )
        problem = BadDataError(f"queue {queue!r}: {to_str(error)}", queue=queue) if error else None
        return _done_flags(queue, flags, order), _leased(queue, flat or (), float(expiry)), problem

    def done(
        self, queue: str, task_id: str, unique_key: str = "", now: float | None = None
    ) -> None:
        """Success without retention, or RevokeTask (§4.11): delete and count as processed."""
        now = self._t(now)
        script_keys = [
            keys.active(queue),
            keys.lease(queue),
            keys.task_key(queue, task_id),
            keys.processed_daily(queue, utc_day(now)),
            keys.processed_total(queue),
        ]
        if unique_key:
            script_keys.append(unique_key)
        self._ack("done", script_keys, [task_id, int(now) + STATS_TTL, MAX_INT64])

    def mark_complete(self, msg: Any, now: float | None = None) -> None:
        """Success with retention (§4.12): keep as completed until now + retention."""
        self._ack("mark_complete", *complete_call(msg, self._t(now)))

    def requeue(self, queue: str, task_id: str) -> None:
        """Graceful-shutdown push-back (§4.13): to the tail of pending, dequeued next."""
        self._ack(
            "requeue",
            [
                keys.active(queue),
                keys.lease(queue),
                keys.pending(queue),
                keys.task_key(queue, task_id),
            ],
            [task_id],
        )

    def retry(
        self,
        msg: Any,
        retry_at: float,
        error: str,
        *,
        is_failure: bool = True,
        now: float | None = None,
    ) -> None:
        """Failure with retries left (§4.14): retried += 1 only for a failure, error and time set."""
        now = self._t(now)
        msg = _copy(msg)
        q = msg.queue
        if is_failure:
            msg.retried += 1
        msg.error_msg = error
        msg.last_failed_at = int(now)
        self._ack(
            "retry",
            _failure_keys(q, msg.id, keys.retry(q), utc_day(now)),
            [
                msg.id,
                msg.SerializeToString(),
                int(retry_at),
                int(now) + STATS_TTL,
                "1" if is_failure else "0",
                MAX_INT64,
            ],
        )

    def archive(self, msg: Any, error: str, now: float | None = None) -> None:
        """Retries exhausted, SkipRetry or recoverer (§4.15); trims the archive, always counts."""
        self._ack("archive", *archive_call(msg, error, self._t(now)))

    # -- maintenance ------------------------------------------------------------------------
    def forward_if_ready(self, queue: str, now: float | None = None) -> int:
        """Scheduled then retry tasks due by ``now`` -> pending (or their group) (§4.16)."""
        now = self._t(now)
        moved = 0
        for source in (keys.scheduled(queue), keys.retry(queue)):
            while True:
                n = int(
                    self.run(
                        "forward",
                        [source, keys.pending(queue)],
                        [
                            int(now),
                            keys.task_key_prefix(queue),
                            int(now * 1e9),
                            keys.group_key_prefix(queue),
                        ],
                    )
                )
                moved += n
                if n < FORWARD_BATCH:
                    break
        return moved

    def extend_lease(self, queue: str, task_ids: Sequence[str], now: float | None = None) -> float:
        """ZADD XX every id's lease to now + 30 s (§4.17); returns the new expiry."""
        expiry = int(self._t(now)) + self.lease_duration
        if task_ids:
            with self.errors():
                self.redis.zadd(keys.lease(queue), dict.fromkeys(task_ids, expiry), xx=True)
        return float(expiry)

    def claim_lease_expired(self, queue: str, cutoff: float) -> list[Leased]:
        """Tasks whose lease expired at or before ``cutoff``, and active ids without any lease
        (leased at ``cutoff`` now), each with its message or what is wrong with it
        (``claim_lease_expired.lua``). The recoverer retries or archives every one."""
        flat = self.run(
            "claim_lease_expired",
            [keys.lease(queue), keys.active(queue)],
            [int(cutoff), keys.task_key_prefix(queue)],
        )
        return [
            Leased(queue, to_str(tid), None if msg is None else bytes(msg), cutoff, to_str(kind))
            for tid, msg, kind in zip(*[iter(flat or ())] * 3, strict=True)
        ]

    def list_lease_expired(self, queue: str, cutoff: float) -> list[bytes]:
        """Encoded messages of tasks whose lease expired at or before ``cutoff`` (§4.18)."""
        found = self.run(
            "list_lease_expired", [keys.lease(queue)], [int(cutoff), keys.task_key_prefix(queue)]
        )
        return [bytes(m) for m in found or []]

    def delete_expired_completed(
        self, queue: str, now: float | None = None, batch: int = JANITOR_BATCH
    ) -> int:
        """Delete completed tasks whose retention ended (§4.19), in batches until none is left."""
        now = self._t(now)
        deleted = 0
        while True:
            n = int(
                self.run(
                    "delete_expired_completed",
                    [keys.completed(queue)],
                    [int(now), keys.task_key_prefix(queue), batch],
                )
            )
            deleted += n
            if n < batch:
                return deleted

    def write_result(self, queue: str, task_id: str, data: bytes) -> int:
        """HSET the task's ``result`` field (§4.20); returns the number of bytes written."""
        with self.errors():
            self.redis.hset(keys.task_key(queue, task_id), "result", bytes(data))
        return len(data)

    # -- server state -----------------------------------------------------------------------
    def write_server_state(
        self,
        host: str,
        pid: int,
        server_id: str,
        server_info: bytes,
        workers: Mapping[str, bytes],
        ttl: float,
        now: float | None = None,
    ) -> None:
        """The heartbeat (§4.26): register and refresh the server and its in-flight tasks."""
        ttl = max(1, math.ceil(ttl))  # SETEX/EXPIRE need whole seconds >= 1
        exp = int(self._t(now) + ttl)
        skey, wkey = keys.server_info(host, pid, server_id), keys.workers(host, pid, server_id)
        with self.errors():
            self.redis.zadd(keys.ALL_SERVERS, {skey: exp})
            self.redis.zadd(keys.ALL_WORKERS, {wkey: exp})
        args: list[Any] = [int(ttl), server_info]
        for task_id, info in workers.items():
            args += [task_id, info]
        self.run("write_server_state", [skey, wkey], args)

    def clear_server_state(self, host: str, pid: int, server_id: str) -> None:
        """On shutdown (§4.27): forget the server and its workers."""
        skey, wkey = keys.server_info(host, pid, server_id), keys.workers(host, pid, server_id)
        with self.errors():
            self.redis.zrem(keys.ALL_SERVERS, skey)
            self.redis.zrem(keys.ALL_WORKERS, wkey)
            self.redis.delete(skey, wkey)

    # -- cancelation ------------------------------------------------------------------------
    def publish_cancel(self, task_id: str) -> int:
        """PUBLISH asynq:cancel <id> (§4.25): best effort, returns the number of receivers."""
        with self.errors():
            return int(self.redis.publish(keys.CANCEL_CHANNEL, task_id))

    def subscribe_cancel(
        self,
        on_wake: Callable[[str], Any] | None = None,
        *,
        on_handoff: Callable[[Leased], Any] | None = None,
        handoff_id: str = "",
    ) -> CancelSubscription:
        return CancelSubscription(self, on_wake, on_handoff=on_handoff, handoff_id=handoff_id)

    def register_idle(
        self, queues: Sequence[str], handoff_id: str, until: float, *, prune: bool = False
    ) -> None:
        """Offer this idle worker to the enqueues of ``queues`` until ``until`` (Unix s): one
        task each registration, handed over already leased (enqueue_notify.lua). With
        ``prune``, registrations that ran out (workers gone) are dropped too."""
        member = f"{self.lease_duration} {handoff_id}"
        with self.errors():
            pipe = self.pipeline()
            for q in queues:
                if prune:
                    pipe.zremrangebyscore(keys.idle(q), "-inf", int(self.now() * 1000))
                pipe.zadd(keys.idle(q), {member: int(until * 1000)})
            pipe.execute()

    def unregister_idle(self, queues: Sequence[str], handoff_id: str) -> None:
        """Withdraw the offer (the worker stops)."""
        member = f"{self.lease_duration} {handoff_id}"
        with self.errors():
            pipe = self.pipeline()
            for q in queues:
                pipe.zrem(keys.idle(q), member)
            pipe.execute()
