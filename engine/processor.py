"""The processor: fetch loop, bounded concurrency, deadlines, and each outcome written back.

Design (why it looks like this):

* **One slot per in-flight task.** A semaphore of ``concurrency`` slots is taken before a
  dequeue and given back only when the task's bookkeeping (done/retry/archive/requeue) is over.
* **Batched dequeue.** The fetcher takes every free slot it can get (up to ``MAX_BATCH``) and
  dequeues that many tasks in one script call per queue (``dequeue_many``: per task exactly
  Go's §4.10), so a busy worker pays one round trip per batch instead of one per task.
* **A pool of handler threads, one monitor.** Handlers run on reusable threads (creating two
  threads per task cost more than a no-op task itself). A single *monitor* thread plays the
  part of Go's per-task ``select``: it settles a task whose context was cancelled (deadline,
  ``asynq:cancel``), whose local lease expired or that shutdown aborted, even when its
  synchronous handler never returns: that thread is **abandoned** (``abandoned_threads``
  counts it; its late result is ignored) and the pool grows a new thread on demand. Python
  cannot kill a thread, so a handler stuck forever keeps its OS thread, but it no longer holds
  a slot: the bound on tasks *being processed* holds, as in Go where a stuck goroutine leaks.
  Whoever settles a task first (handler thread or monitor) owns its outcome.
* **Batched acknowledgement, with refill.** A success without retention is queued to the
  *acker* thread, which writes all queued ones of a queue with one call (per task exactly Go's
  §4.11) and only then frees their slots. When that queue is the one the fetcher would try
  first, the same call also dequeues as many new tasks (``done_and_dequeue``): the finished
  jobs' slots become fetch tickets (``SlotGate.recycle``), so a busy worker makes one round
  trip per batch instead of two, which halves the Redis calls per task. While other jobs are
  still running the acker gathers acknowledgements for up to ``ACK_GATHER`` (1 ms) until half
  the slots' worth is queued: bigger batches cost Redis less per task; a lone task is written
  at once. Every other outcome is written at once.
* **Idle wake-up.** When every queue is empty the fetcher sleeps 0.5-1.5 s as Go does (so
  tasks from Go clients are still found), but ``notify()`` (our Client's ``pyasynq:wake``
  PUBLISH, via the subscriber) ends that sleep at once, and while the fetcher sleeps it
  dequeues right there in the subscriber's thread: a task enqueued into an idle worker
  reaches its handler one thread hop sooner. A busy worker only sets the event (no extra
  dequeue per wake-up message). Better still, an idle worker offers itself to our Clients'
  single enqueues (``pyasynq:{q}:idle``): the enqueue script leases the task to it and
  publishes it on the worker's own channel (``accept_handoff``), saving the dequeue round
  trip; one task per offer, renewed while idle (docs/protocol.md).
* **Async handlers** run as tasks on one long-lived event loop per process
  (``pyasynq.aio_runtime``), up to ``async_concurrency`` at once beside the ``concurrency``
  handler threads; the fetcher's slots are a ``SlotGate`` split by handler kind. Cancelling the
  context cancels the asyncio task, so ``await``-ing handlers really stop. With
  ``async_concurrency=0`` they run on a handler thread (awaited on that loop) as sync ones do.
* Time is read from the injected clock. Clock-driven conditions (deadline, lease expiry) are
  checked each time the monitor wakes, at most ``tick`` seconds apart (real time), so a
  test that moves a ``ManualClock`` sees the effect within one tick.
* Error text stored in ``error_msg``: ``str(exc)``, or the exception's class name when ``str``
  is empty; context errors use Go's texts (``context deadline exceeded``, ``context canceled``),
  a lost lease ``asynq: task lease expired`` and a missing route
  ``handler not found for task "<type>"``.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import queue as queue_mod
import random
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyasynq import completion, outcomes, worker_log
from pyasynq.aio_runtime import ASYNC, SYNC, HandlerKinds, LoopRuntime, SlotGate
from pyasynq.broker.worker import Leased, TaskNotActiveError
from pyasynq.clock import Clock, utc_day
from pyasynq.context import (
    CANCELED,
    DEADLINE_EXCEEDED,
    Context,
    ContextCancelledError,
    ResultWriter,
)
from pyasynq.errors import (
    BadDataError,
    BrokerError,
    LeaseExpiredError,
)
from pyasynq.mux import as_handler
from pyasynq.queue_faults import QueueFaults
from pyasynq.queues import QueueOrder
from pyasynq.task import Task

if TYPE_CHECKING:
    from pyasynq.broker.broker import Broker

DEFAULT_TIMEOUT = 1800.0
# Most tasks one fetch dequeues (one script call per queue tried).
MAX_BATCH = 100
# Longest the acker waits for more acknowledgements while other jobs still run (seconds).
ACK_GATHER = 0.001
# An idle worker's offer to take enqueues directly (hand-off) lasts this long (seconds) and is
# renewed this often while it stays idle; only workers of at most HANDOFF_MAX_QUEUES queues
# offer (the offer is one write per queue).
HANDOFF_TTL = 10.0
HANDOFF_RENEW = 5.0
HANDOFF_MAX_QUEUES = 32


def default_retry_delay(n: int, err: BaseException | None, task: Task | None) -> float:
    """Asynq's default: n^4 + 15 + rand[0,30) * (n + 1) seconds, n = retries so far."""
    return n**4 + 15 + random.randrange(30) * (n + 1)


def error_text(err: BaseException) -> str:
    """The ``error_msg`` stored for an exception: its text, or its class name if it has none."""
    return str(err) or type(err).__name__


def processing_deadline(msg: Any, now: float) -> float:
    """Spec §6.5: min(now + timeout, deadline); 30 min when neither is set."""
    if msg.timeout and msg.deadline:
        return min(now + float(msg.timeout), float(msg.deadline))
    if msg.timeout:
        return now + float(msg.timeout)
    if msg.deadline:
        return float(msg.deadline)
    return now + DEFAULT_TIMEOUT


class Job:
    """One dequeued task while it is in flight."""

    __slots__ = (
        "msg",
        "ctx",
        "task",
        "lease_expiry",
        "started",
        "deadline",
        "signal",
        "handler_done",
        "error",
        "aborted",
        "thread",
        "settled",
        "kind",
        "slotted",
    )

    def __init__(
        self,
        msg: Any,
        ctx: Context,
        task: Task,
        lease_expiry: float,
        started: float,
        signal: threading.Event,
    ) -> None:
        self.msg = msg
        self.ctx = ctx
        self.task = task
        self.lease_expiry = lease_expiry
        self.started = started
        self.deadline = ctx.deadline_ts
        self.signal = signal  # the processor's monitor event: set() to have the job re-checked
        self.handler_done = False
        self.error: BaseException | None = None
        self.aborted = False
        self.thread: threading.Thread | None = None
        self.settled = False
        self.kind = SYNC  # which slots it uses: the handler threads' or the event loop's
        self.slotted = False  # holds a slot (False while it waits for one of its kind)

    def lease_valid(self, now: float) -> bool:
        return now <= self.lease_expiry


class Processor:
    handoff_id: str = ""
    """Set by the Server (its server id): while idle, offer this worker to our Clients' single
    enqueues, which then hand it the task already leased (``accept_handoff``)."""
    limits: Any = None
    """A ``pyasynq.extras.limiter.Limiter`` (set by the Server): fleet-wide limits on fetch and settle."""

    def __init__(
        self,
        broker: Broker,
        handler: Any,
        *,
        concurrency: int,
        queue_order: QueueOrder,
        clock: Clock,
        retry_delay_func: Callable[[int, BaseException, Task], Any] = default_retry_delay,
        is_failure: Callable[[BaseException], bool] | None = None,
        error_handler: Any = None,
        syncer: Any = None,
        logger: logging.Logger | None = None,
        task_check_interval: float = 1.0,
        tick: float = 0.5,
        async_concurrency: int = 0,
    ) -> None:
        self.broker = broker
        self.handler = as_handler(handler)
        self.concurrency = concurrency
        self.queue_order = queue_order
        self.clock = clock
        self.retry_delay_func = retry_delay_func
        self.is_failure = is_failure or (lambda err: True)
        self.error_handler = error_handler
        self.syncer = syncer
        self.log = logger or logging.getLogger("pyasynq.processor")
        self.task_check_interval = task_check_interval
        self.tick = tick
        self.async_concurrency = max(0, int(async_concurrency))
        # kinds of handler by task type; None: every task runs on a handler thread
        self._kinds = HandlerKinds(self.handler, handler) if self.async_concurrency else None
        self._slots = SlotGate(
            concurrency,
            self.async_concurrency,
            self._kinds.kinds if self._kinds is not None else frozenset({SYNC}),
        )
        self._runtime = LoopRuntime(self)
        self._stopping = threading.Event()
        self._closing = threading.Event()  # set at the end of shutdown: helper threads exit
        self._wakeup = threading.Event()  # ends the fetcher's idle sleep
        self._idle = False  # the fetcher sleeps: a wake-up fetches in the caller's thread
        self._here = threading.local()  # .job, .hand_over: a hand-off run in its reader's thread
        self._offered_at = float("-inf")  # monotonic time of the last hand-off offer
        self._offers = 0
        self._wake_fetch = threading.Lock()  # one such fetch at a time
        self._monitor_event = threading.Event()
        self._fetcher: threading.Thread | None = None
        self._monitor: threading.Thread | None = None
        self._acker: threading.Thread | None = None
        self._lock = threading.Condition()
        self._active: dict[str, Job] = {}
        self._work: queue_mod.SimpleQueue[Job | None] = queue_mod.SimpleQueue()
        self._idle_threads = 0
        self._threads = 0
        self._acks: list[tuple[Job, float]] = []
        self._ack_cond = threading.Condition()
        self.abandoned_threads = 0
        self.queue_faults = QueueFaults(clock, self.log)

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        self._monitor = threading.Thread(
            target=self._monitor_loop, name="pyasynq-monitor", daemon=True
        )
        self._acker = threading.Thread(target=self._ack_loop, name="pyasynq-acker", daemon=True)
        self._fetcher = threading.Thread(
            target=self._fetch_loop, name="pyasynq-fetcher", daemon=True
        )
        self._monitor.start()
        self._acker.start()
        if self._kinds is not None and ASYNC in self._kinds.kinds:
            self._runtime.start()
        self._fetcher.start()

    def stop(self) -> None:
        """Stop fetching new tasks; in-flight tasks go on (Go's processor.stop)."""
        self._stopping.set()
        self._wakeup.set()
        if self.handoff_id and self._offers:
            # no more hand-offs (one arriving now is handed back by accept_handoff); if Redis
            # is away the offer runs out by itself within HANDOFF_TTL
            with contextlib.suppress(BrokerError):
                self.broker.unregister_idle(self.queue_order.names, self.handoff_id)
        if self._fetcher is not None and self._fetcher is not threading.current_thread():
            self._fetcher.join()

    def shutdown(self, timeout: float) -> None:
        """Stop fetching, wait up to ``timeout`` s for in-flight tasks, requeue the rest."""
        self.stop()
        end = time.monotonic() + timeout
        with self._lock:
            while self._active and time.monotonic() < end:
                self._lock.wait(min(0.05, max(0.0, end - time.monotonic())))
            left = list(self._active.values())
        for job in left:
            job.aborted = True  # the monitor requeues, then cancels the handler's context
        self._monitor_event.set()
        end = time.monotonic() + 30
        with self._lock:
            while self._active and time.monotonic() < end:
                self._lock.wait(min(0.05, max(0.0, end - time.monotonic())))
        self._closing.set()
        self._monitor_event.set()
        with self._ack_cond:
            self._ack_cond.notify_all()
        for t in (self._monitor, self._acker):
            if t is not None and t is not threading.current_thread():
                t.join(timeout=5)
        with self._lock:
            idle, self._idle_threads = self._idle_threads, 0
        for _ in range(idle):  # let idle pool threads end
            self._work.put(None)
        self._runtime.close()

    # -- queries used by the heartbeat and subscriber ---------------------------------------
    def active_jobs(self) -> list[Job]:
        with self._lock:
            return list(self._active.values())

    def cancel(self, task_id: str) -> bool:
        """Cancel a running task's context (``asynq:cancel``); False when it is not ours."""
        with self._lock:
            job = self._active.get(task_id)
        if job is None:
            return False
        job.ctx.cancel(CANCELED)
        self._monitor_event.set()
        return True

    def wake(self) -> None:
        """Have the monitor re-check clock-driven conditions now (tests, heartbeat)."""
        self._monitor_event.set()

    def notify(self, queue: str | None = None, hand_over: Callable[[], bool] | None = None) -> None:
        """A task became pending (``pyasynq:wake``): end the idle sleep if we serve ``queue``.

        While the fetcher sleeps idle, the tasks are dequeued right here; with ``hand_over``
        (the subscriber can let another of its threads listen, see ``accept_handoff``) the
        first of them runs here too, the others on the pool."""
        if queue is None or queue in self.queue_order.priorities:
            if not self._idle or self._stopping.is_set():
                self._wakeup.set()
                return
            must_wake, job = self._fetch_on_wake(hand_over)
            if must_wake:
                self._wakeup.set()
            if job is not None:
                self._run_here(job)

    # -- fetch loop -------------------------------------------------------------------------
    def _idle_wait(self) -> bool:
        """Sleep up to about ``task_check_interval``; True when a wake-up ended it early."""
        half = self.task_check_interval / 2
        wait = half + random.random() * self.task_check_interval
        if self.limits is not None:
            wait = self.limits.idle_wait(wait)
        self._offer_idle()
        self._idle = True
        woken = self._wakeup.wait(wait)
        self._idle = False
        self._wakeup.clear()
        return woken

    def _offer_idle(self) -> None:
        """Offer this idle worker to our Clients' enqueues (hand-off: the enqueue leases the
        task to it and publishes it on this worker's channel, saving the dequeue round trip).
        Not while fleet limits have rules (they must admit every task), nor for many queues."""
        if not self.handoff_id or self._stopping.is_set():
            return
        if self.limits is not None and self.limits.rules:
            return
        names = self.queue_order.names
        now = time.monotonic()
        if len(names) > HANDOFF_MAX_QUEUES or now - self._offered_at < HANDOFF_RENEW:
            return
        try:
            self.broker.register_idle(
                names,
                self.handoff_id,
                self.clock.now() + HANDOFF_TTL,
                prune=self._offers % 12 == 0,  # drop offers of workers gone, once a minute
            )
        except BrokerError:
            return  # the fetch loop reports connection trouble
        self._offered_at = now
        self._offers += 1

    def accept_handoff(self, leased: Leased, hand_over: Callable[[], bool] | None = None) -> None:
        """A task an enqueue handed to this worker, already leased to it (subscriber thread).
        It runs like a dequeued one; with no free slot (the worker got busy since its offer)
        or while stopping it goes back to pending (Go's requeue).

        ``hand_over``: the subscriber can let another of its threads listen; when it does, a
        sync handler runs right here, in the thread that read the hand-off (no wait for a pool
        thread to wake: idle latency), else on the pool as usual."""
        self._offered_at = float("-inf")  # the offer is used: renew it at the next idle wait
        if not leased.task_id:
            self.log.error("a handed-off task could not be decoded; its lease will expire")
            return
        if self._stopping.is_set() or not self._slots.acquire(blocking=False):
            try:
                self.broker.requeue(leased.queue, leased.task_id)
            except BrokerError as exc:  # its lease expires and the recoverer retries it
                self.log.warning("task %s: handing it back failed: %s", leased.task_id, exc)
            if not self._stopping.is_set():
                self._wakeup.set()
            return
        got = [leased]
        if self.limits is not None:
            # offered while no limit applied; one set since then decides this task as it
            # decides dequeued ones (admit reloads the limits when they are stale)
            try:
                got = self.limits.admit(got)
            except BrokerError as exc:  # admit gave the task back to pending
                worker_log.connection_health(self.broker).failed(exc, "hand-off", self.log)
                got = []
            except BaseException:  # not ours to handle (the subscriber logs it); the slot is
                self._slots.release()
                raise
            if not got:
                self._slots.release()
                self._wakeup.set()  # the fetcher looks again (a refused queue is gated)
                return
        job = self._begin_here(got, hand_over)  # the offer is renewed in _finish
        if job is not None:
            self._run_here(job)

    def _fetch_loop(self) -> None:
        failures = 0  # consecutive connection errors: Redis is down, back off instead of spinning
        polling = False  # the last idle wait ran out: look (LLEN) before dequeuing
        while not self._stopping.is_set():
            if not self._slots.acquire(timeout=0.1):
                continue
            taken = 1
            while taken < MAX_BATCH and self._slots.acquire(blocking=False):
                taken += 1
            if self._stopping.is_set():
                self._release(taken)
                break
            try:
                got = self._dequeue(taken, polling=polling)
            except BrokerError as exc:
                failures += 1
                worker_log.connection_health(self.broker).failed(exc, "fetcher", self.log)
                self._release(taken)
                self._stopping.wait(min(5.0, 0.1 * 2 ** min(failures, 6)))
                continue
            if failures:
                worker_log.connection_health(self.broker).ok("fetcher", self.log)
                failures = 0
            self._release(taken - len(got))
            self._begin_all(got)
            polling = False
            if not got:
                self.queue_faults.forget_recovered()
                polling = not self._idle_wait()

    def _dequeue(self, taken: int, *, polling: bool = False) -> list[Leased]:
        """Up to ``taken`` tasks from the open, usable queues in this fetch's order, admitted
        by the fleet limits. A queue holding bad data is benched on its own (queue_faults);
        connection errors raise ``BrokerError``. ``polling``: the idle worker's periodic look
        (no wake-up came: the queues are most likely still empty), so the queues' pending
        lengths are read first and only the non-empty ones dequeued from; an idle worker costs
        Redis one command per queue and second instead of a dequeue script's three."""
        queues = self.queue_faults.usable(self.queue_order.order())
        if self.limits is not None:
            queues = self.limits.open_queues(queues)
        if queues and polling:
            queues = self.broker.queues_with_pending(queues)
        if not queues:
            return []
        bad: dict[str, BadDataError] = {}
        got = self.broker.dequeue_batch(queues, taken, now=self.clock.now(), queue_errors=bad)
        for queue, problem in bad.items():
            self.queue_faults.failed(queue, problem)
        if self.limits is not None and got:
            got = self.limits.admit(got)
        return got

    def _fetch_on_wake(self, hand_over: Callable[[], bool] | None) -> tuple[bool, Job | None]:
        """Dequeue now, in the thread that heard the wake-up, while the fetcher sleeps idle:
        a new task reaches its handler one thread hop sooner (idle latency). Only one such
        fetch runs at a time. Returns (must the fetcher wake as well, a job for the caller to
        run itself). The fetcher must wake when the queues may hold more than was taken,
        nothing was taken, or the connection failed (the fetcher does the backing off). When
        it took fewer tasks than it asked for, the queues are drained and the fetcher sleeps
        on, leaving the CPU to the handler that just got its task. The job: the first task
        when ``hand_over`` let this thread run it (else every task went to the pool)."""
        if not self._wake_fetch.acquire(blocking=False):
            return True, None
        try:
            taken = 0
            while taken < MAX_BATCH and self._slots.acquire(blocking=False):
                taken += 1
            if not taken:
                return True, None
            try:
                got = self._dequeue(taken)
            except BrokerError:
                self._release(taken)
                return True, None
            self._release(taken - len(got))
            job = self._begin_here(got, hand_over)
            if 0 < len(got) < taken:  # drained: the fetcher sleeps on, the offer is renewed
                self._offer_idle()
                return False, job
            return True, job
        finally:
            self._wake_fetch.release()

    def _begin_here(self, got: list[Leased], hand_over: Callable[[], bool] | None) -> Job | None:
        """``_begin_all``, where ``hand_over`` may let the calling thread run the first sync
        job itself: that job is returned, not started (the caller runs it, ``_run_here``)."""
        self._here.job, self._here.hand_over = None, hand_over
        try:
            self._begin_all(got)
        finally:
            job, self._here.job, self._here.hand_over = self._here.job, None, None
        return job  # type: ignore[no-any-return]

    def _begin_all(self, got: list[Leased]) -> None:
        """Start each dequeued task; each holds one fetch ticket until it becomes a job."""
        for leased in got:
            try:
                self._begin(leased)
            except Exception:
                self.log.exception("could not start a dequeued task")
                self._slots.release()

    def _archive_unreadable(self, leased: Leased, problem: str, msg: Any) -> None:
        self.log.error(
            "task %s of queue %r cannot be run, archiving it: %s",
            leased.task_id,
            leased.queue,
            problem,
        )
        try:
            self.broker.archive_unreadable(
                leased.queue, leased.task_id, problem, msg, now=self.clock.now()
            )
        except BrokerError as exc:  # its lease expires and the recoverer archives it
            self.log.warning("task %s: archiving failed: %s", leased.task_id, exc)

    def _release(self, n: int) -> None:
        for _ in range(n):
            self._slots.release()

    def _begin(self, leased: Leased) -> None:
        msg, problem = leased.message()
        if problem:
            # Go logs and leaves it in active for ever; archive it with the reason instead
            self._archive_unreadable(leased, problem, msg)
            self._slots.release()
            return
        lease_expiry = leased.lease_expiry
        now = self.clock.now()
        ctx = Context(
            task_id=msg.id,
            queue=msg.queue,
            retry_count=msg.retried,
            max_retry=msg.retry,
            deadline=processing_deadline(msg, now),
            clock=self.clock,
        )
        task = Task(msg.type, bytes(msg.payload), headers=dict(msg.headers))
        task.id = msg.id
        task.queue = msg.queue
        task.result_writer = ResultWriter(self.broker, msg.queue, msg.id, ctx)
        job = Job(msg, ctx, task, lease_expiry, now, self._monitor_event)
        with self._lock:
            self._active[msg.id] = job
        self._dispatch(job)

    # -- handler execution ------------------------------------------------------------------
    def _dispatch(self, job: Job) -> None:
        """Give the job a slot of its handler's kind and start it, or leave it waiting."""
        if self._kinds is not None:
            job.kind = self._kinds.kind(job.msg.type)
        if self._slots.assign(job, job.kind):
            self._start(job)

    def _start(self, job: Job) -> None:
        if job.kind == ASYNC:
            self._runtime.submit(job)  # batched: one loop wake-up per fetch
            return
        hand_over = getattr(self._here, "hand_over", None)
        if hand_over is not None and self._here.job is None and hand_over():
            self._here.job = job  # _begin_here's caller runs it in this thread
            return
        with self._lock:
            if self._idle_threads:
                self._idle_threads -= 1
                spawn = False
            else:
                self._threads += 1
                spawn = True
        self._work.put(job)
        if spawn:
            threading.Thread(target=self._worker_loop, name="pyasynq-worker", daemon=True).start()

    def _release_slot(self, job: Job) -> None:
        nxt = self._slots.finish(job)
        if nxt is not None:  # a job that waited for a slot of this kind takes it
            self._start(nxt)

    # -- handler threads --------------------------------------------------------------------
    def _run_here(self, job: Job) -> None:
        try:
            self._run_job(job)
        except Exception:
            self.log.exception("task %s: bookkeeping failed", job.msg.id)
            self._finish(job)

    def _worker_loop(self) -> None:
        while True:
            job = self._work.get()
            if job is None:
                break
            self._run_here(job)
            with self._lock:
                if self._closing.is_set():
                    self._threads -= 1
                    break
                self._idle_threads += 1

    def _claim(self, job: Job) -> bool:
        """The first caller decides the task's outcome; later ones must leave it alone."""
        with self._lock:
            if job.settled:
                return False
            job.settled = True
            return True

    def _skip_before_start(self, job: Job) -> bool:
        """True when the handler must not be called: already settled, past its deadline or
        its context already done (then the outcome is written here, as Go does)."""
        if job.settled:
            return True  # the monitor settled it while it waited to start
        if self.clock.now() >= job.deadline:
            # Go checks the context before calling the handler: an expired task never runs.
            job.ctx.cancel(DEADLINE_EXCEEDED)
            if self._claim(job):
                self._settle_off_loop(job, "cancel")
            return True
        if job.aborted or job.ctx.cancelled:
            # Like Go, a context already done never reaches the handler.
            if self._claim(job):
                self._settle_off_loop(job, "abort" if job.aborted else "cancel")
            return True
        return False

    def _settle_off_loop(self, job: Job, reason: str) -> None:
        if job.kind == ASYNC:
            self._runtime.settle_elsewhere(job, reason)
        else:
            self._settle(job, reason)

    def _run_job(self, job: Job) -> None:
        if self._skip_before_start(job):
            return
        job.thread = threading.current_thread()
        try:
            result = self.handler(job.ctx, job.task)
            if inspect.isawaitable(result):
                self._runtime.run_blocking(result, job)
        except BaseException as exc:  # Go recovers panics; a handler must never kill the worker
            job.error = exc
        job.handler_done = True
        if self._claim(job):
            self._settle(job, "handler")

    # -- monitor ----------------------------------------------------------------------------
    def _monitor_loop(self) -> None:
        while not self._closing.is_set():
            self._monitor_event.wait(self.tick)
            self._monitor_event.clear()
            now = self.clock.now()
            for job in self.active_jobs():
                if job.settled or job.handler_done:
                    continue
                if job.aborted:
                    reason = "abort"
                elif not job.lease_valid(now):
                    reason = "lease"
                elif job.ctx.cancelled:
                    reason = "cancel"
                elif now >= job.deadline:
                    job.ctx.cancel(DEADLINE_EXCEEDED)
                    reason = "cancel"
                else:
                    continue
                if not self._claim(job):
                    continue
                if job.thread is not None and not job.handler_done:
                    self.abandoned_threads += 1
                    self.log.warning(
                        "task %s: handler still running after its task was settled; thread abandoned",
                        job.msg.id,
                    )
                threading.Thread(
                    target=self._settle_guarded,
                    args=(job, reason),
                    name="pyasynq-settle",
                    daemon=True,
                ).start()

    def _settle_guarded(self, job: Job, reason: str) -> None:
        try:
            self._settle(job, reason)
        except Exception:
            self.log.exception("task %s: bookkeeping failed", job.msg.id)
            self._finish(job)

    def _finish(self, job: Job) -> None:
        """The task's bookkeeping is over: forget it and give its slot back."""
        with self._lock:
            if self._active.pop(job.msg.id, None) is None:
                return
            self._lock.notify_all()
        if self.limits is not None:
            self.limits.release(job.msg.id)
        self._release_slot(job)
        if self._idle and self._offered_at == float("-inf"):
            self._offer_idle()  # a hand-off used the offer and the worker is idle again

    # -- outcomes ---------------------------------------------------------------------------
    def _settle(self, job: Job, reason: str) -> None:
        """Write the outcome the first event decided; a handler finishing later is ignored.
        Frees the slot when done (for a batched ack, once the acker wrote it)."""
        try:
            if self._settle_outcome(job, reason):
                return  # handed to the acker, which finishes the job
        except BaseException:
            self._finish(job)
            raise
        self._finish(job)

    def _settle_outcome(self, job: Job, reason: str) -> bool:
        now = self.clock.now()
        msg = job.msg
        if reason == "abort":
            # Shutdown timeout: push back to pending, then cancel the handler (Go's exec returns
            # and its deferred cancel fires).
            if job.lease_valid(now):
                try:
                    self.broker.requeue(msg.queue, msg.id)
                except BrokerError as exc:  # the recoverer will handle it
                    self.log.warning("task %s: requeue failed: %s", msg.id, exc)
            job.ctx.cancel(CANCELED)
            return False
        if reason == "handler" and job.error is None:
            job.ctx.cancel(CANCELED)  # Go cancels the task context once exec returns
            if not job.lease_valid(now):
                self.log.warning(
                    "task %s succeeded but its lease expired; not acknowledged", msg.id
                )
                return False
            if msg.retention <= 0 and not self._closing.is_set():
                with self._ack_cond:
                    self._acks.append((job, now))
                    self._ack_cond.notify()
                return True
            self._write(job, "done", lambda: self._ack_success(msg, now))
            return False
        if reason == "handler":
            assert job.error is not None
            err: BaseException = job.error
            if job.ctx.err is not None and isinstance(
                err, asyncio.CancelledError | ContextCancelledError
            ):
                # the handler stopped because its context was cancelled (deadline, cancel,
                # shutdown): store the context's reason, as Go stores ctx.Err()
                err = ContextCancelledError(job.ctx.err)
        elif reason == "lease":
            err = LeaseExpiredError()
        else:
            err = ContextCancelledError(job.ctx.err or CANCELED)
        job.ctx.cancel(CANCELED)
        self._call_error_handler(job, err)
        if not job.lease_valid(now):
            self.log.warning("task %s: lease expired; leaving it to the recoverer", msg.id)
            return False
        self._write(job, "failure", lambda: self._ack_failure(msg, err, job.task, now))
        return False

    # -- batched acknowledgement ------------------------------------------------------------
    def _ack_loop(self) -> None:
        while True:
            with self._ack_cond:
                while not self._acks and not self._closing.is_set():
                    self._ack_cond.wait(0.5)
                end = time.monotonic() + ACK_GATHER
                while (
                    self._acks
                    and len(self._acks) < min(self.concurrency // 2, len(self._active))
                    and not self._closing.is_set()
                ):
                    left = end - time.monotonic()
                    if left <= 0:
                        break
                    self._ack_cond.wait(left)
                batch, self._acks = self._acks, []
            if batch:
                self._flush_acks(batch)
            elif self._closing.is_set():
                return

    def _flush_acks(self, batch: list[tuple[Job, float]]) -> None:
        groups: dict[tuple[str, str], list[tuple[Job, float]]] = {}
        for job, now in batch:
            groups.setdefault((job.msg.queue, utc_day(now)), []).append((job, now))
        for (queue, _day), items in groups.items():
            tickets = self._refill_tickets(queue, [job for job, _ in items])
            pairs = [(j.msg.id, j.msg.unique_key) for j, _ in items]
            leased: list[Leased] = []
            try:
                if tickets:
                    oks, leased, problem = self.broker.done_and_dequeue(
                        queue, pairs, tickets, now=items[-1][1]
                    )
                    if problem is not None:
                        self.queue_faults.failed(queue, problem)
                else:
                    oks = self.broker.done_many(queue, pairs, now=items[-1][1])
            except BrokerError as exc:
                worker_log.connection_health(self.broker).failed(exc, "acker", self.log)
                self._release(tickets)
                for job, now in items:
                    if self.syncer is not None:
                        msg = job.msg
                        self.syncer.add(
                            f"done {msg.id}",
                            lambda msg=msg, now=now: self._ack_success(msg, now),
                            job.lease_expiry,
                        )
                    self._finish(job)
                continue
            except Exception:
                self.log.exception("done write of %d tasks failed", len(items))
                oks = [True] * len(items)
                self._release(tickets)
                tickets = 0
            for (job, _), ok in zip(items, oks, strict=True):
                if not ok:
                    self.log.warning(
                        "task %s: done write skipped, task is no longer active", job.msg.id
                    )
                self._finish(job)
            if self.limits is not None and leased:
                try:  # the acknowledgements are written whatever the limits decide
                    leased = self.limits.admit(leased)
                except BrokerError as exc:  # admit gave the batch back to pending
                    worker_log.connection_health(self.broker).failed(exc, "acker", self.log)
                    leased = []
            self._release(tickets - len(leased))
            self._begin_all(leased)

    def _refill_tickets(self, queue: str, jobs: list[Job]) -> int:
        """How many tasks the acknowledgement of ``jobs`` may dequeue in the same call: their
        slots, turned into fetch tickets, when ``queue`` is the one the fetcher would try
        first now (so strict and weighted priorities hold) and is open: none while stopping,
        while a fleet limit closes the queue or while it is benched for bad data. Fleet limits
        admit what it dequeues as they admit the fetcher's dequeues."""
        if self._stopping.is_set():
            return 0
        order = self.queue_order.order()
        if not order or order[0] != queue or not self.queue_faults.usable([queue]):
            return 0
        if self.limits is not None and not self.limits.open_queues([queue]):
            return 0
        return sum(1 for job in jobs if self._slots.recycle(job))

    def _ack_success(self, msg: Any, now: float) -> None:
        if msg.retention > 0:
            completion.complete(self.broker, msg, now)  # workflow continuation, waiters
        else:
            self.broker.done(msg.queue, msg.id, msg.unique_key, now=now)

    def _ack_failure(self, msg: Any, err: BaseException, task: Task, now: float) -> None:
        outcomes.settle_failure(
            self.broker,
            msg,
            err,
            error_text(err),
            now,
            retry_delay_func=self.retry_delay_func,
            is_failure=self.is_failure,
            log=self.log,
            task=task,
        )

    def _call_error_handler(self, job: Job, err: BaseException) -> None:
        if self.error_handler is None:
            return
        fn = getattr(self.error_handler, "handle_error", self.error_handler)
        try:
            fn(job.ctx, job.task, err)
        except Exception:
            self.log.exception("error handler raised for task %s", job.msg.id)

    def _write(self, job: Job, what: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except TaskNotActiveError as exc:
            self.log.warning(
                "task %s: %s write skipped, task is no longer active: %s", job.msg.id, what, exc
            )
        except BrokerError as exc:
            worker_log.connection_health(self.broker).failed(exc, f"{what} write", self.log)
            if self.syncer is not None:
                self.syncer.add(f"{what} {job.msg.id}", fn, job.lease_expiry)
