"""The event-loop runtime: async handlers as tasks on one loop, beside the sync thread pool.

Real Redis, real Server; handlers block on events the test controls (no sleeps tuned to pass).
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from pyasynq import Client, Inspector, ServeMux, Server, SkipRetry, Task
from pyasynq.aio_runtime import ASYNC, SYNC, HandlerKinds, SlotGate
from pyasynq.broker import keys
from pyasynq.broker.codec import decode_task
from tests.support.worker_util import fast_server, wait_for

Q = "default"


@pytest.fixture
def client(redis_url, clock):
    c = Client(redis_url, clock=clock)
    yield c
    c.close()


@pytest.fixture
def servers():
    started: list[Server] = []
    yield started
    for s in started:
        s.shutdown()


def start(servers, redis_url, clock, handler, **kw) -> Server:
    s = fast_server(redis_url, clock=clock, **kw)
    s.start(handler)
    servers.append(s)
    return s


def msg_of(r, tid, q=Q):
    return decode_task(r.hget(keys.task_key(q, tid), "msg"))


class Gate:
    """Async handlers wait here until the test opens it (thread-safe)."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.threads: set[str] = set()
        self.loops: set[int] = set()

    async def hold(self) -> None:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.threads.add(threading.current_thread().name)
            self.loops.add(id(asyncio.get_running_loop()))
        try:
            while not self.opened.is_set():
                await asyncio.sleep(0.005)
        finally:
            with self.lock:
                self.running -= 1


def test_many_async_handlers_in_flight_on_one_loop_beside_one_thread(
    redis_url, r, clock, client, servers
):
    gate = Gate()

    async def handler(ctx, task):
        await gate.hold()

    ids = [i.id for i in client.enqueue_many([Task("io")] * 60)]
    start(servers, redis_url, clock, handler, concurrency=1, async_concurrency=60)
    wait_for(lambda: gate.running == 60, what="60 async handlers running at once")
    assert gate.threads == {"pyasynq-aio"} and len(gate.loops) == 1
    gate.opened.set()
    wait_for(lambda: r.llen(keys.active(Q)) == 0 and r.llen(keys.pending(Q)) == 0)
    assert r.get(keys.processed_total(Q)) == b"60"
    assert not any(r.exists(keys.task_key(Q, i)) for i in ids)  # acked with done_many


def test_async_concurrency_bounds_tasks_in_flight(redis_url, r, clock, client, servers):
    gate = Gate()

    async def handler(ctx, task):
        await gate.hold()

    client.enqueue_many([Task("io")] * 20)
    start(servers, redis_url, clock, handler, concurrency=4, async_concurrency=5)
    wait_for(lambda: gate.running == 5)
    time.sleep(0.3)  # give a broken bound the chance to dequeue more
    assert gate.peak == 5 and r.llen(keys.active(Q)) == 5 and r.llen(keys.pending(Q)) == 15
    gate.opened.set()
    wait_for(lambda: r.get(keys.processed_total(Q)) == b"20")
    assert gate.peak == 5


def test_sync_and_async_handlers_in_one_server(redis_url, r, clock, client, servers):
    where: dict[str, str] = {}
    mux = ServeMux()

    @mux.handle("sync")
    def sync_handler(ctx, task):
        where["sync"] = threading.current_thread().name

    @mux.handle("async")
    async def async_handler(ctx, task):
        await asyncio.sleep(0)
        where["async"] = threading.current_thread().name
        task.result_writer.write(b"kept")

    client.enqueue(Task("sync"))
    a = client.enqueue(Task("async"), retention=60)
    start(servers, redis_url, clock, mux, concurrency=2, async_concurrency=10)
    wait_for(lambda: len(where) == 2 and r.zscore(keys.completed(Q), a.id))
    assert where == {"sync": "pyasynq-worker", "async": "pyasynq-aio"}
    assert r.hget(keys.task_key(Q, a.id), "result") == b"kept"


def test_async_failures_retry_archive_and_reach_the_error_handler(
    redis_url, r, clock, client, servers
):
    seen = []

    async def handler(ctx, task):
        await asyncio.sleep(0)
        if task.type == "skip":
            raise SkipRetry("bad input")
        raise RuntimeError("upstream down")

    retry = client.enqueue(Task("boom"))
    skip = client.enqueue(Task("skip"))
    start(
        servers,
        redis_url,
        clock,
        handler,
        retry_delay_func=lambda n, e, t: 100,
        error_handler=lambda ctx, task, err: seen.append((task.type, str(err))),
    )
    wait_for(lambda: r.zscore(keys.retry(Q), retry.id) and r.zscore(keys.archived(Q), skip.id))
    assert r.zscore(keys.retry(Q), retry.id) == pytest.approx(clock.now() + 100, abs=1)
    assert msg_of(r, retry.id).error_msg == "upstream down"
    assert msg_of(r, skip.id).error_msg == "bad input"
    assert sorted(seen) == [("boom", "upstream down"), ("skip", "bad input")]


def test_inspector_cancel_raises_cancelled_error_inside_the_coroutine(
    redis_url, r, clock, client, servers
):
    started, cancelled = threading.Event(), threading.Event()

    async def handler(ctx, task):
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    t = client.enqueue(Task("a"))
    s = start(servers, redis_url, clock, handler, retry_delay_func=lambda n, e, t: 100)
    assert s.subscriber.ready.wait(5) and started.wait(10)
    Inspector(redis_url, clock=clock).cancel_processing(t.id)
    wait_for(lambda: r.zscore(keys.retry(Q), t.id))
    assert cancelled.is_set()
    assert msg_of(r, t.id).error_msg == "context canceled"


def test_shutdown_cancels_the_coroutine_and_requeues(redis_url, r, clock, client, servers):
    started, cancelled = threading.Event(), threading.Event()

    async def handler(ctx, task):
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    t = client.enqueue(Task("a"))
    s = fast_server(redis_url, clock=clock, shutdown_timeout=0.2)
    s.start(handler)
    assert started.wait(10)
    s.shutdown()
    assert cancelled.is_set()
    assert r.lrange(keys.pending(Q), 0, -1) == [t.id.encode()]
    assert r.llen(keys.active(Q)) == 0 and r.get(keys.processed_total(Q)) is None


def test_async_concurrency_zero_runs_async_handlers_on_threads(
    redis_url, r, clock, client, servers
):
    where = []

    async def handler(ctx, task):
        await asyncio.sleep(0)
        where.append(threading.current_thread().name)

    client.enqueue(Task("a"))
    start(servers, redis_url, clock, handler, async_concurrency=0)
    wait_for(lambda: r.get(keys.processed_total(Q)) == b"1")
    assert where == ["pyasynq-aio"]  # awaited on the shared loop, from a handler thread


def test_async_concurrency_must_not_be_negative(redis_url):
    with pytest.raises(ValueError, match="async_concurrency"):
        Server(redis_url, async_concurrency=-1)


# -- the pieces, without Redis ----------------------------------------------------------------
class FakeJob:
    """Only what the gate reads and writes."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.slotted = False


def test_slot_gate_with_one_kind_is_a_semaphore():
    gate = SlotGate(2, 100, frozenset({SYNC}))
    assert gate.acquire(blocking=False) and gate.acquire(blocking=False)
    assert not gate.acquire(blocking=False)
    jobs = [FakeJob(SYNC), FakeJob(SYNC)]
    assert all(gate.assign(j, SYNC) for j in jobs)
    assert not gate.acquire(blocking=False)
    assert gate.finish(jobs[0]) is None
    assert gate.acquire(timeout=0.01)


def test_slot_gate_mixed_kinds_wait_for_their_own_slots():
    gate = SlotGate(1, 2, frozenset({SYNC, ASYNC}))
    tickets = 0
    while gate.acquire(blocking=False):
        tickets += 1
    assert tickets == 2  # room for a fetch of two (the async side's free slots)
    a, b = FakeJob(SYNC), FakeJob(SYNC)
    assert gate.assign(a, SYNC)
    assert not gate.assign(b, SYNC)  # no sync slot: it waits, holding no slot
    assert not gate.acquire(blocking=False)  # nothing more is fetched while a job waits
    assert gate.finish(a) is b and b.slotted  # the freed slot goes straight to the waiter
    assert gate.acquire(blocking=False)  # async room again
    c = FakeJob(SYNC)
    assert not gate.assign(c, SYNC)
    assert gate.finish(c) is None  # settled while waiting: it just stops waiting
    assert gate.acquire(blocking=False)


def test_slot_gate_recycle_turns_a_finished_slot_into_a_ticket():
    """The acker's refill: a finished job's slot becomes a fetch ticket without ever being
    free, so the fetcher cannot take it in between; refused while a job waits for a slot."""
    gate = SlotGate(1, 0, frozenset({SYNC}))
    assert gate.acquire(blocking=False)
    done = FakeJob(SYNC)
    assert gate.assign(done, SYNC)
    assert gate.recycle(done) and not done.slotted
    assert not gate.acquire(blocking=False)  # the slot is the recycled ticket's
    assert gate.finish(done) is None  # finishing it frees nothing twice
    assert not gate.acquire(blocking=False)
    nxt = FakeJob(SYNC)
    assert gate.assign(nxt, SYNC)  # the ticket becomes the next job's slot
    waiting = FakeJob(SYNC)
    gate._tickets += 1  # a ticket taken before the slot filled up (mixed kinds do this)
    assert not gate.assign(waiting, SYNC)
    assert not gate.recycle(nxt)  # the waiting job gets the slot, not a new dequeue
    assert gate.finish(nxt) is waiting


def test_handler_kinds_from_the_mux_routes():
    mux = ServeMux()

    async def a(ctx, task): ...

    def s(ctx, task): ...

    class Obj:
        async def process_task(self, ctx, task): ...

    mux.handle("a:", a)
    mux.handle("s:", s)
    mux.handle("o", Obj())
    kinds = HandlerKinds(mux, mux)
    assert kinds.kinds == {ASYNC, SYNC}
    assert [kinds.kind(t) for t in ("a:x", "s:x", "o", "missing")] == [ASYNC, SYNC, ASYNC, SYNC]
    assert HandlerKinds(a, a).kinds == {ASYNC}


def test_a_busy_thread_pool_does_not_stop_async_work(redis_url, r, clock, client, servers):
    release = threading.Event()
    done = []
    mux = ServeMux()

    @mux.handle("stuck")
    def stuck(ctx, task):
        release.wait(30)

    @mux.handle("io")
    async def io(ctx, task):
        await asyncio.sleep(0)
        done.append(task.id)

    client.enqueue(Task("stuck"))
    client.enqueue_many([Task("io")] * 5)
    try:
        start(servers, redis_url, clock, mux, concurrency=1, async_concurrency=10)
        wait_for(lambda: len(done) == 5, what="async tasks done while the only thread is busy")
        assert r.llen(keys.active(Q)) == 1
    finally:
        release.set()
    wait_for(lambda: r.get(keys.processed_total(Q)) == b"6")


def test_async_on_threads_deadline_stores_the_context_reason(redis_url, r, clock, client, servers):
    started = threading.Event()

    async def handler(ctx, task):
        started.set()
        await asyncio.sleep(30)

    t = client.enqueue(Task("a"), timeout=3)
    start(servers, redis_url, clock, handler, async_concurrency=0, retry_delay_func=lambda *a: 100)
    assert started.wait(10)
    clock.advance(3)
    wait_for(lambda: r.zscore(keys.retry(Q), t.id))
    assert msg_of(r, t.id).error_msg == "context deadline exceeded"
