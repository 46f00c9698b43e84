"""The processor: fetch loop, bounded concurrency, deadlines, and each outcome written back.

Design (why it looks like this):

* **One slot per in-flight task.** A semaphore of ``concurrency`` slots is taken before a
  dequeue and given back only when the task's bookkeeping (done/retry/archive/requeue) is over.
* **Two threads per task.** A *handler thread* (daemon) runs the user's handler; a
  *controller thread* waits for the first of: the handler returned, the context was cancelled
  (deadline, ``asynq:cancel``), the local lease expired, or shutdown aborted the task. This is
  Go's ``select`` in ``processor.exec``. The controller then writes the outcome and frees the
  slot, even when a synchronous handler never returns: that thread is **abandoned** (it is a
  daemon, its late result is ignored, ``abandoned_threads`` counts it). Python cannot kill a
  thread, so a handler stuck forever keeps its OS thread, but it no longer holds a slot: the
  bound on tasks *being processed* holds, as in Go where a stuck goroutine also leaks.
* **Async handlers** run with ``asyncio.run`` on their handler thread; cancelling the context
  cancels the asyncio task, so ``await``-ing handlers really stop.
* Time is read from the injected clock. Clock-driven conditions (deadline, lease expiry) are
  checked each time the controller wakes, at most ``tick`` seconds apart (real time), so a
  test that moves a ``ManualClock`` sees the effect within one tick.
* Error text stored in ``error_msg``: ``str(exc)``, or the exception's class name when ``str``
  is empty; context errors use Go's texts (``context deadline exceeded``, ``context canceled``),
  a lost lease ``asynq: task lease expired`` and a missing route
  ``handler not found for task "<type>"``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from .broker.codec import CorruptMessageError, decode_task
from .broker.worker import TaskNotActiveError
from .clock import Clock
from .context import CANCELED, DEADLINE_EXCEEDED, Context, ContextCancelledError, ResultWriter
from .errors import BrokerError, LeaseExpiredError, RevokeTask, SkipRetry, wraps
from .mux import as_handler
from .queues import QueueOrder
from .task import Task

DEFAULT_TIMEOUT = 1800.0


def default_retry_delay(n: int, err: BaseException | None, task: Task | None) -> float:
    """Asynq's default: n^4 + 15 + rand[0,30) * (n + 1) seconds, n = retries so far."""
    return n**4 + 15 + random.randrange(30) * (n + 1)


def error_text(err: BaseException) -> str:
    """The ``error_msg`` stored for an exception: its text, or its class name if it has none."""
    return str(err) or type(err).__name__


def processing_deadline(msg: Any, now: float) -> float:
    """Spec §6.5: min(now + timeout, deadline); 30 min when neither is set."""
    if msg.timeout and msg.deadline:
        return min(now + msg.timeout, float(msg.deadline))
    if msg.timeout:
        return now + msg.timeout
    if msg.deadline:
        return float(msg.deadline)
    return now + DEFAULT_TIMEOUT


def _delay_seconds(value: Any) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


class Job:
    """One dequeued task while it is in flight."""

    __slots__ = (
        "msg", "ctx", "task", "lease_expiry", "started", "deadline", "signal",
        "handler_done", "error", "aborted", "thread",
    )

    def __init__(self, msg: Any, ctx: Context, task: Task, lease_expiry: float, started: float) -> None:
        self.msg = msg
        self.ctx = ctx
        self.task = task
        self.lease_expiry = lease_expiry
        self.started = started
        self.deadline = ctx.deadline_ts
        self.signal = threading.Event()
        self.handler_done = False
        self.error: BaseException | None = None
        self.aborted = False
        self.thread: threading.Thread | None = None

    def lease_valid(self, now: float) -> bool:
        return now <= self.lease_expiry


class Processor:
    def __init__(
        self,
        broker: Any,
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
        self._slots = threading.BoundedSemaphore(concurrency)
        self._stopping = threading.Event()
        self._fetcher: threading.Thread | None = None
        self._lock = threading.Condition()
        self._active: dict[str, Job] = {}
        self._controllers: set[threading.Thread] = set()
        self.abandoned_threads = 0

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        self._fetcher = threading.Thread(target=self._fetch_loop, name="pyasynq-fetcher", daemon=True)
        self._fetcher.start()

    def stop(self) -> None:
        """Stop fetching new tasks; in-flight tasks go on (Go's processor.stop)."""
        self._stopping.set()
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
            job.aborted = True  # the controller requeues, then cancels the handler's context
            job.signal.set()
        with self._lock:
            controllers = list(self._controllers)
        for t in controllers:
            t.join(timeout=30)

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
        job.signal.set()
        return True

    def wake(self) -> None:
        """Nudge every controller to re-check clock-driven conditions now (tests, heartbeat)."""
        for job in self.active_jobs():
            job.signal.set()

    # -- fetch loop -------------------------------------------------------------------------
    def _idle_wait(self) -> None:
        half = self.task_check_interval / 2
        self._stopping.wait(half + random.random() * self.task_check_interval)

    def _fetch_loop(self) -> None:
        while not self._stopping.is_set():
            if not self._slots.acquire(timeout=0.1):
                continue
            if self._stopping.is_set():
                self._slots.release()
                break
            try:
                got = self.broker.dequeue(self.queue_order.order(), now=self.clock.now())
            except BrokerError as exc:
                self.log.error("dequeue failed: %s", exc)
                self._slots.release()
                self._idle_wait()
                continue
            if got is None:
                self._slots.release()
                self._idle_wait()
                continue
            data, lease_expiry = got
            try:
                self._begin(data, lease_expiry)
            except Exception:
                self.log.exception("could not start a dequeued task")
                self._slots.release()

    def _begin(self, data: bytes, lease_expiry: float) -> None:
        try:
            msg = decode_task(data)
        except CorruptMessageError as exc:
            # Go logs and leaves it: the lease expires and the recoverer deals with it.
            self.log.error("dequeued an undecodable task message: %s", exc)
            self._slots.release()
            return
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
        job = Job(msg, ctx, task, lease_expiry, now)
        controller = threading.Thread(
            target=self._control, args=(job,), name=f"pyasynq-task-{msg.id}", daemon=True
        )
        with self._lock:
            self._active[msg.id] = job
            self._controllers.add(controller)
        controller.start()

    # -- one task ---------------------------------------------------------------------------
    def _run_handler(self, job: Job) -> None:
        try:
            result = self.handler(job.ctx, job.task)
            if inspect.isawaitable(result):
                asyncio.run(self._run_async(result, job.ctx))
        except BaseException as exc:  # Go recovers panics; a handler must never kill the worker
            job.error = exc
        finally:
            job.handler_done = True
            job.signal.set()

    @staticmethod
    async def _run_async(awaitable: Any, ctx: Context) -> Any:
        current = asyncio.current_task()
        loop = asyncio.get_running_loop()
        if current is not None:
            ctx.add_done_callback(lambda _c: loop.call_soon_threadsafe(current.cancel))
        return await awaitable

    def _control(self, job: Job) -> None:
        try:
            self._decide(job)
        except Exception:
            self.log.exception("task %s: bookkeeping failed", job.msg.id)
        finally:
            if job.thread is not None and job.thread.is_alive():
                self.abandoned_threads += 1
                self.log.warning(
                    "task %s: handler still running after its task was settled; thread abandoned",
                    job.msg.id,
                )
            with self._lock:
                self._active.pop(job.msg.id, None)
                self._controllers.discard(threading.current_thread())
                self._lock.notify_all()
            self._slots.release()

    def _decide(self, job: Job) -> None:
        now = self.clock.now()
        if now >= job.deadline:
            # Go checks the context before calling the handler: an expired task never runs.
            job.ctx.cancel(DEADLINE_EXCEEDED)
        else:
            job.thread = threading.Thread(
                target=self._run_handler, args=(job,), name=f"pyasynq-handler-{job.msg.id}", daemon=True
            )
            job.thread.start()
        while True:
            now = self.clock.now()
            if job.handler_done:
                reason = "handler"
            elif job.aborted:
                reason = "abort"
            elif not job.lease_valid(now):
                reason = "lease"
            elif job.ctx.cancelled:
                reason = "cancel"
            elif now >= job.deadline:
                job.ctx.cancel(DEADLINE_EXCEEDED)
                reason = "cancel"
            else:
                wait = min(job.deadline, job.lease_expiry + 0.001) - now
                job.signal.wait(max(0.0, min(self.tick, wait)))
                job.signal.clear()
                continue
            break
        self._settle(job, reason)

    def _settle(self, job: Job, reason: str) -> None:
        """Write the outcome the first event decided; a handler finishing later is ignored."""
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
            return
        if reason == "handler" and job.error is None:
            job.ctx.cancel(CANCELED)  # Go cancels the task context once exec returns
            if not job.lease_valid(now):
                self.log.warning("task %s succeeded but its lease expired; not acknowledged", msg.id)
                return
            self._write(job, "done", lambda: self._ack_success(msg, now))
            return
        if reason == "handler":
            assert job.error is not None
            err: BaseException = job.error
        elif reason == "lease":
            err = LeaseExpiredError()
        else:
            err = ContextCancelledError(job.ctx.err or CANCELED)
        job.ctx.cancel(CANCELED)
        self._call_error_handler(job, err)
        if not job.lease_valid(now):
            self.log.warning("task %s: lease expired; leaving it to the recoverer", msg.id)
            return
        self._write(job, "failure", lambda: self._ack_failure(msg, err, job.task, now))

    def _ack_success(self, msg: Any, now: float) -> None:
        if msg.retention > 0:
            self.broker.mark_complete(msg, now=now)
        else:
            self.broker.done(msg.queue, msg.id, msg.unique_key, now=now)

    def _ack_failure(self, msg: Any, err: BaseException, task: Task, now: float) -> None:
        text = error_text(err)
        if wraps(err, RevokeTask):
            self.broker.done(msg.queue, msg.id, msg.unique_key, now=now)
        elif msg.retried >= msg.retry or wraps(err, SkipRetry):
            self.broker.archive(msg, text, now=now)
        else:
            delay = _delay_seconds(self.retry_delay_func(msg.retried, err, task))
            self.broker.retry(msg, now + delay, text, is_failure=bool(self.is_failure(err)), now=now)

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
            self.log.warning("task %s: %s write skipped, task is no longer active: %s", job.msg.id, what, exc)
        except BrokerError as exc:
            self.log.warning("task %s: %s write failed, handing it to the syncer: %s", job.msg.id, what, exc)
            if self.syncer is not None:
                self.syncer.add(f"{what} {job.msg.id}", fn, job.lease_expiry)
