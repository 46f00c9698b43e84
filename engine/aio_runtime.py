"""The event-loop runtime for ``async def`` handlers, and the slots the fetcher takes for both kinds.

Why it exists: running each async handler through ``asyncio.run`` on a handler thread cost a
new event loop per task and capped I/O-bound work at the thread count. Here a worker process
has **one long-lived event loop** (a daemon thread, ``pyasynq-aio``) on which async handlers
run as tasks, up to ``async_concurrency`` at once, beside the thread pool that runs sync
handlers (up to ``concurrency``).

* **Feeding the loop.** The fetcher hands dequeued jobs over with ``submit``: they go into a
  list and one ``call_soon_threadsafe`` wakes the loop for the whole batch (not one per task).
* **Outcomes.** When a handler's coroutine ends, the processor's own ``_claim``/``_settle`` run:
  a success without retention only appends to the acker's list (no Redis call on the loop),
  the acker writes it with ``done_many`` like any sync success; every other outcome (retry,
  archive, revoke, completion with retention) is written by a small pool of settle threads
  with the same code as for sync handlers, so the loop never blocks on Redis.
* **Cancellation.** The context's done-callback cancels the handler's asyncio task, so a
  deadline, a timeout, ``Inspector.cancel_processing`` and shutdown all raise ``CancelledError``
  inside the handler; the monitor thread settles the task as it does for sync handlers.

``SlotGate`` replaces the single semaphore: a fetch takes *tickets* while some kind (sync or
async) has a free slot; each dequeued task then turns its ticket into a slot of its own kind.
The handler's kind is known from the route (``ServeMux``) before it is called. When a task's
kind is full it waits in the process for a slot (at most one fetch batch can wait: the fetcher
takes no ticket while any task waits), so a saturated thread pool slows, but never stops,
async work, and the number of tasks being processed never exceeds either bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from pyasynq.mux import not_found

if TYPE_CHECKING:
    from pyasynq.processor import Job, Processor

SYNC = "sync"
ASYNC = "async"
# Threads that write non-ack outcomes of async handlers (retry, archive, ...): Redis calls
# that must not run on the loop.
SETTLE_THREADS = 8


def _is_async_callable(fn: Any) -> bool:
    if inspect.iscoroutinefunction(fn):
        return True
    call = getattr(fn, "__call__", None)  # noqa: B004 - an object with an async __call__
    return call is not None and inspect.iscoroutinefunction(call)


class HandlerKinds:
    """Which kind (sync or async) of handler a task type goes to, decided from its route.

    A ``ServeMux`` routes each type to one registered handler: ``async def`` handlers (or
    objects whose ``process_task`` is ``async def``) are async, the rest sync. Middleware runs
    with the handler it wraps (on the loop for async routes). A plain handler has one kind.
    """

    def __init__(self, handler: Any, raw: Any) -> None:
        self._lookup: Callable[[str], Any] | None = None
        routes = getattr(raw, "_routes", None)
        lookup = getattr(raw, "handler", None)
        if isinstance(routes, dict) and callable(lookup):
            self._lookup = lookup
            route_kinds = {ASYNC if _is_async_callable(h) else SYNC for h in routes.values()}
            # the not-found handler only raises: run it where most handlers run
            self._default = ASYNC if route_kinds == {ASYNC} else SYNC
            self.kinds = frozenset(route_kinds or {SYNC})
        else:
            self._default = ASYNC if _is_async_callable(handler) else SYNC
            self.kinds = frozenset({self._default})
        self._cache: dict[str, str] = {}

    def kind(self, task_type: str) -> str:
        if self._lookup is None:
            return self._default
        found = self._cache.get(task_type)
        if found is None:
            fn, _ = self._lookup(task_type)
            found = (
                self._default if fn is not_found else (ASYNC if _is_async_callable(fn) else SYNC)
            )
            if len(self._cache) < 4096:
                self._cache[task_type] = found
        return found


class SlotGate:
    """The fetcher's slots: ``concurrency`` for sync handlers, ``async_concurrency`` for async.

    It offers the calls the fetch loop makes on a semaphore (``acquire``/``release`` of a
    ticket), plus ``assign`` (a dequeued job turns its ticket into a slot of its kind, or
    waits) and ``release_slot`` (a finished job frees its slot, or passes it to a waiting job).
    With one kind of handler it behaves exactly as a semaphore of that kind's size.
    """

    def __init__(self, sync_slots: int, async_slots: int, kinds: frozenset[str]) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._cap = {SYNC: sync_slots, ASYNC: async_slots}
        self._used = {SYNC: 0, ASYNC: 0}
        self._kinds = tuple(k for k in (SYNC, ASYNC) if k in kinds and self._cap[k] > 0)
        self._tickets = 0
        self._waiting: dict[str, deque[Job]] = {SYNC: deque(), ASYNC: deque()}
        self._n_waiting = 0

    def _room(self) -> bool:
        if self._n_waiting:
            return False
        t = self._tickets
        return any(self._used[k] + t < self._cap[k] for k in self._kinds)

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        with self._cond:
            if not self._room() and (not blocking or not self._cond.wait_for(self._room, timeout)):
                return False
            self._tickets += 1
            return True

    def release(self) -> None:
        """Give back a ticket that did not become a job (nothing dequeued, bad message)."""
        with self._cond:
            self._tickets -= 1
            self._cond.notify()

    def assign(self, job: Job, kind: str) -> bool:
        """Turn the job's ticket into a slot of ``kind``: True to start it now, False when it
        waits (``finish`` of a job of that kind hands it the slot)."""
        with self._cond:
            self._tickets -= 1
            if self._used[kind] < self._cap[kind]:
                self._used[kind] += 1
                job.slotted = True
                return True
            self._waiting[kind].append(job)
            self._n_waiting += 1
            return False

    def recycle(self, job: Job) -> bool:
        """Turn a finished job's slot into a ticket, for a dequeue in the same call as its
        acknowledgement (the acker's refill). False, and nothing changed, when a job waits for
        a slot of its kind: that job must get the slot first."""
        with self._cond:
            if not job.slotted or self._waiting[job.kind]:
                return False
            self._used[job.kind] -= 1
            self._tickets += 1
            job.slotted = False
            return True

    def finish(self, job: Job) -> Job | None:
        """``job`` is over: free its slot, or pass it to the next job waiting for that kind
        (returned, to be started). A job settled while still waiting just stops waiting."""
        with self._cond:
            if not job.slotted:
                waiting = self._waiting[job.kind]
                if job in waiting:
                    waiting.remove(job)
                    self._n_waiting -= 1
                    self._cond.notify()
                return None
            waiting = self._waiting[job.kind]
            if waiting:
                self._n_waiting -= 1
                nxt = waiting.popleft()
                nxt.slotted = True
                if not self._n_waiting:
                    self._cond.notify()
                return nxt
            self._used[job.kind] -= 1
            self._cond.notify()
            return None


class LoopRuntime:
    """One event loop on a daemon thread that runs async handlers as tasks."""

    def __init__(self, processor: Processor) -> None:
        self.processor = processor
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._thread_id = 0
        self._incoming: list[Job] = []
        self._lock = threading.Lock()
        self._started = threading.Event()
        self._settlers: ThreadPoolExecutor | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._settlers = ThreadPoolExecutor(SETTLE_THREADS, thread_name_prefix="pyasynq-settle")
            self._thread = threading.Thread(target=self._run, name="pyasynq-aio", daemon=True)
            self._thread.start()
        self._started.wait()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self.loop = loop
        self._thread_id = threading.get_ident()
        self._started.set()
        try:
            loop.run_forever()
        finally:
            for task in list(self._tasks):  # handlers that ignored their cancellation
                task.cancel()
            if self._tasks:
                loop.run_until_complete(asyncio.wait(list(self._tasks), timeout=1.0))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the loop (after shutdown settled every task) and the settle threads."""
        thread, loop = self._thread, self.loop
        if thread is None or loop is None:
            return
        with contextlib.suppress(RuntimeError):  # already closed
            loop.call_soon_threadsafe(loop.stop)
        if thread is not threading.current_thread():
            thread.join(timeout)
        if self._settlers is not None:
            self._settlers.shutdown(wait=False)

    # -- feeding ----------------------------------------------------------------------------
    def submit(self, job: Job) -> None:
        """Start ``job`` on the loop; one wake-up of the loop per batch of submissions."""
        if self._thread is None:
            self.start()
        with self._lock:
            self._incoming.append(job)
            first = len(self._incoming) == 1
        if first:
            assert self.loop is not None
            self.loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        with self._lock:
            jobs, self._incoming = self._incoming, []
        loop = self.loop
        assert loop is not None
        for job in jobs:
            task = loop.create_task(self._run_job(job))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    # -- one task ---------------------------------------------------------------------------
    async def _run_job(self, job: Job) -> None:
        p = self.processor
        if p._skip_before_start(job):
            return
        current = asyncio.current_task()
        assert current is not None and self.loop is not None
        loop, loop_thread = self.loop, self._thread_id

        def on_cancel(_ctx: Any) -> None:
            if job.handler_done:
                return
            if threading.get_ident() == loop_thread:
                current.cancel()
            else:
                loop.call_soon_threadsafe(current.cancel)

        job.ctx.add_done_callback(on_cancel)
        try:
            result = p.handler(job.ctx, job.task)
            if inspect.isawaitable(result):
                await result
        except BaseException as exc:  # CancelledError too: the outcome is written like any other
            job.error = exc
        job.handler_done = True
        if not p._claim(job):
            return  # the monitor settled it first (deadline, cancel, lease, shutdown)
        if job.error is None and job.msg.retention <= 0:
            p._settle(job, "handler")  # only queues the ack for the acker thread
        else:
            self.settle_elsewhere(job, "handler")

    def settle_elsewhere(self, job: Job, reason: str) -> None:
        """Write an outcome on a settle thread (Redis calls never run on the loop)."""
        assert self._settlers is not None
        try:
            self._settlers.submit(self.processor._settle_guarded, job, reason)
        except RuntimeError:  # shut down: settle here rather than lose the slot
            self.processor._settle_guarded(job, reason)

    # -- sync handlers that returned an awaitable -------------------------------------------
    def run_blocking(self, awaitable: Any, job: Job) -> Any:
        """Run an awaitable a sync-routed handler returned (async middleware, a sync function
        returning a coroutine) on the loop, waiting on the handler thread; cancelling the
        context cancels it."""
        if self._thread is None:
            self.start()
        assert self.loop is not None

        async def wrapped() -> tuple[Any, BaseException | None]:
            current = asyncio.current_task()
            assert current is not None and self.loop is not None
            loop = self.loop
            job.ctx.add_done_callback(lambda _c: loop.call_soon_threadsafe(current.cancel))
            try:
                return await awaitable, None
            except asyncio.CancelledError as exc:  # hand it over as is (the future would turn
                return None, exc  # it into concurrent.futures.CancelledError)

        value, cancelled = asyncio.run_coroutine_threadsafe(wrapped(), self.loop).result()
        if cancelled is not None:
            raise cancelled
        return value
