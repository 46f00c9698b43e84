"""The worker side of fleet-wide limits: admit dequeued tasks, give back the refused, release slots.

The processor calls four hooks; each costs nothing (no Redis command) while no limit applies to
the queues this worker serves:

* ``open_queues(order)``: the queues to dequeue from now. A queue whose queue-level limit is
  full is skipped until the limit frees (its tasks stay pending, in order: "left pending while
  the worker serves other queues").
* ``admit(dequeued)``: one ``limit_acquire`` call decides for the whole batch (or the one task
  an enqueue handed to this worker), atomically. A refused task is not run, not failed and its
  retry count is untouched: a queue-level refusal puts it back at the dequeue end of pending
  (it keeps its place); a type or key refusal schedules it for the moment its limit frees, in
  a fair line (see limit_acquire.lua).
* ``release(task_id)``: the task is settled; its concurrency slots go back to Redis with the
  next decision or LimitsSync tick (one call for many tasks, not one per task), and this
  worker's own queues waiting on a concurrency limit reopen at once.
* ``idle_wait(seconds)``: shortens the fetcher's idle sleep to the next moment a limit frees.

The limits are reloaded from Redis when they are older than ``refresh_interval`` (2 s) and
the worker has something to decide: a dequeued batch, a skipped queue or waiters to bring
back. An idle worker therefore sends no command for limits at all, and a busy one one HGETALL
per interval, never one per task. ``LimitsSync`` (components/limits_sync.py) does the
reloads of a worker that waits, renews slot leases and brings waiting tasks back on time.
"""

from __future__ import annotations

import heapq
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from pyasynq.broker.extras import limits as lkeys
from pyasynq.broker.worker import Leased
from pyasynq.clock import Clock
from pyasynq.errors import BrokerError
from pyasynq.extras.limits import Limit, load_definitions

if TYPE_CHECKING:
    from pyasynq.broker.broker import Broker

DEFAULT_REFRESH = 2.0
"""Seconds a loaded set of limits is trusted: a change reaches every worker within this."""
DEFAULT_POLL = 0.25
"""Seconds before a task refused by a full concurrency limit is tried again (slots freed by
other workers are not announced; slots freed by this worker reopen its queues at once)."""


class Limiter:
    def __init__(
        self,
        broker: Broker,
        *,
        clock: Clock,
        queues: Iterable[str],
        hold_lease: float,
        poll: float = DEFAULT_POLL,
        refresh_interval: float = DEFAULT_REFRESH,
        on_open: Callable[[str | None], Any] | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self.broker = broker
        self.clock = clock
        self.queues = list(queues)
        self.hold_lease = float(hold_lease)
        self.poll = float(poll)
        self.refresh_interval = float(refresh_interval)
        self._fresh_until = float("-inf")
        self.on_open = on_open
        self.log = logger or logging.getLogger("pyasynq.limits")
        self.rules: list[Limit] = []
        self._lock = threading.Lock()
        self._holds: dict[str, list[str]] = {}
        self._gates: list[tuple[Limit, float]] = []
        self._due: list[tuple[float, str]] = []
        self._releases: list[tuple[str, str]] = []  # (holder key, task id) not yet sent
        self._bad: dict[str, str] = {}
        self.admitted = 0
        self.refused = 0

    # -- configuration ----------------------------------------------------------------------
    def set_rules(self, limits: Sequence[Limit]) -> None:
        """Keep only limits that can touch a served queue: others cost this worker nothing."""
        rules = [lim for lim in limits if any(lim.matches_queue(q) for q in self.queues)]
        if rules != self.rules:
            self.log.info("limits in force: %s", ", ".join(r.name for r in rules) or "none")
            with self._lock:
                self.rules = rules
                self._gates = []  # a changed limit may have room: try again at once
            if self.on_open is not None:
                self.on_open(None)

    def refresh(self) -> None:
        """Reload the limits from Redis (one HGETALL)."""
        self._fresh_until = self.clock.now() + self.refresh_interval
        limits, bad = load_definitions(self.broker.limit_definitions())
        for name, why in bad.items():
            if self._bad.get(name) != why:
                self.log.error("ignoring stored limit %r: %s", name, why)
        self._bad = bad
        self.set_rules(limits)

    @property
    def stale(self) -> bool:
        return self.clock.now() >= self._fresh_until

    def refresh_if_stale(self) -> None:
        """Reload when the last load is older than ``refresh_interval``; a failure keeps the
        limits in force (logged) and is retried after another interval."""
        if not self.stale:
            return
        try:
            self.refresh()
        except BrokerError as exc:
            self.log.warning("could not reload limits, keeping the current ones: %s", exc)

    @property
    def waiting(self) -> bool:
        """Whether this worker skips a queue or owes waiters a return: it then keeps its view
        of the limits fresh even without dequeuing (a removed limit must reopen the queue)."""
        return bool(self._gates or self._due)

    # -- fetch path -------------------------------------------------------------------------
    def open_queues(self, order: list[str]) -> list[str]:
        if not self._gates:
            return order
        now = self.clock.now()
        with self._lock:
            self._gates = gates = [(lim, t) for lim, t in self._gates if t > now]
        if not gates:
            return order
        return [q for q in order if not any(lim.matches_queue(q) for lim, _ in gates)]

    def idle_wait(self, wait: float) -> float:
        if not self._gates and not self._due:
            return wait
        with self._lock:
            times = [t for _, t in self._gates] + ([self._due[0][0]] if self._due else [])
        if not times:
            return wait
        return max(0.002, min(wait, min(times) - self.clock.now()))

    def admit(self, got: list[Leased]) -> list[Leased]:
        """The dequeued tasks that may run now; the others are given back to Redis."""
        if not got:
            return got
        self.refresh_if_stale()  # busy workers reload here; idle ones send nothing
        rules = self.rules
        if not rules:
            return got
        plan: list[tuple[int, Any, list[tuple[Limit, str | None]]]] = []
        for i, leased in enumerate(got):
            msg, problem = leased.message()
            if problem:
                continue  # the processor archives it as unreadable
            applies: list[tuple[Limit, str | None]] = []
            for lim in rules:
                if not lim.matches(msg.queue, msg.type):
                    continue
                if lim.key:
                    value = lim.key_value(msg.headers, bytes(msg.payload))
                    if value is None:
                        continue
                    applies.append((lim, value))
                else:
                    applies.append((lim, None))
            if applies:
                plan.append((i, msg, applies))
        if not plan:
            return got
        now = self.clock.now()
        script_keys: list[str] = []
        index: dict[str, int] = {}

        def key_at(k: str) -> int:
            if k not in index:
                script_keys.append(k)
                index[k] = len(script_keys)
            return index[k]

        args: list[Any] = [f"{now:.3f}", f"{now + self.hold_lease:.3f}", int(now // 60 * 60)]
        with self._lock:
            releases, self._releases = self._releases, []
        args.append(len(releases))
        for holder, task_id in releases:
            args += (key_at(holder), task_id)
        args.append(len(plan))
        for _, msg, applies in plan:
            args += (msg.id, len(applies))
            for lim, value in applies:
                rate = lim.kind == "rate"
                state = (lkeys.rate_key if rate else lkeys.holders_key)(lim.name, value)
                args += (
                    "r" if rate else "c",
                    key_at(state),
                    key_at(lkeys.stats_key(lim.name)),
                    0 if lim.queue_level else key_at(lkeys.waiting_key(lim.name)),
                    key_at(lkeys.key_index(lim.name)) if value is not None else 0,
                    value or "",
                    lim.limit,
                    lim.period if rate else self.poll,
                    0 if lim.queue_level else key_at(lkeys.tail_key(lim.name)),
                )
        try:
            replies = self.broker.limit_acquire(script_keys, args)
        except Exception:
            with self._lock:  # not sent: the next call or tick sends them
                self._releases[:0] = releases
            self._give_back(got)
            raise
        refused: set[int] = set()
        moves: dict[str, list[tuple[str, str]]] = {}
        for (i, msg, applies), reply in zip(plan, replies, strict=True):
            if reply == "1":
                held = [
                    lkeys.holders_key(lim.name, value)
                    for lim, value in applies
                    if lim.kind == "concurrency"
                ]
                if held:
                    with self._lock:
                        self._holds[msg.id] = held
                continue
            _, retry_at, blocker, mode = reply.split()
            refused.add(i)
            lim = applies[int(blocker) - 1][0]
            when = float(retry_at)
            with self._lock:
                if mode == "p":
                    self._gates.append((lim, when))
                else:
                    heapq.heappush(self._due, (when, msg.queue))
            moves.setdefault(msg.queue, []).append((msg.id, "p" if mode == "p" else retry_at))
        self.admitted += len(plan) - len(refused)
        self.refused += len(refused)
        for queue, items in moves.items():
            # reversed: the oldest refused task is pushed back last, so it is dequeued first
            self.broker.limit_defer(queue, items[::-1])
        return [item for i, item in enumerate(got) if i not in refused]

    def _give_back(self, got: list[Leased]) -> None:
        """No decision could be made: put the whole batch back at the head of pending, in
        order, so no task waits for its lease to expire (best effort: Redis may be away)."""
        by_queue: dict[str, list[tuple[str, str]]] = {}
        for leased in got:
            if leased.message()[1]:
                continue  # unreadable: the recoverer archives it
            by_queue.setdefault(leased.queue, []).append((leased.task_id, "p"))
        for queue, items in by_queue.items():
            try:
                self.broker.limit_defer(queue, items[::-1])
            except Exception as exc:
                self.log.warning("could not give back %d tasks of %s: %s", len(items), queue, exc)

    # -- settle path ------------------------------------------------------------------------
    def release(self, task_id: str) -> None:
        """The task is settled: its slots go back with the next decision or tick (<= 50 ms),
        and this worker's queues waiting on a concurrency limit reopen now."""
        if not self._holds:
            return
        with self._lock:
            held = self._holds.pop(task_id, None)
            if not held:
                return
            self._releases.extend((k, task_id) for k in held)
            reopened = [g for g in self._gates if g[0].kind == "concurrency"]
            if reopened:
                self._gates = [g for g in self._gates if g[0].kind != "concurrency"]
        if reopened and self.on_open is not None:
            self.on_open(None)

    def flush_releases(self) -> int:
        """Send the releases no decision has carried yet (LimitsSync, every tick)."""
        if not self._releases:
            return 0
        with self._lock:
            releases, self._releases = self._releases, []
        try:
            return self.broker.limit_release(releases)
        except Exception:
            with self._lock:
                self._releases[:0] = releases
            raise

    # -- background duties (LimitsSync) -----------------------------------------------------
    def extend(self, now: float) -> int:
        """Renew the slot leases of this worker's running tasks."""
        with self._lock:
            holds = [(k, task_id) for task_id, ks in self._holds.items() for k in ks]
        return self.broker.limit_extend(holds, now + self.hold_lease) if holds else 0

    def forward_due(self, now: float) -> None:
        """Bring tasks this worker scheduled on a limit back to pending once their time came."""
        if not self._due or self._due[0][0] > now:
            return
        queues = set()
        with self._lock:
            while self._due and self._due[0][0] <= now:
                queues.add(heapq.heappop(self._due)[1])
        for q in sorted(queues):
            if self.broker.limit_forward(q, now) and self.on_open is not None:
                self.on_open(q)

    @property
    def holding(self) -> int:
        with self._lock:
            return len(self._holds)
