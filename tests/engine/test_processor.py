"""The Processor on its own (no Server): fetch, run, and each outcome written back to Redis.

Time is a ManualClock: deadlines and leases move only when the test advances it (the monitor
re-checks at once after ``processor.wake()``). Handlers block on events, never on sleeps.
"""

from __future__ import annotations

import threading

import pytest

from pyasynq import Client, RevokeTask, SkipRetry, Task
from pyasynq.broker import keys
from pyasynq.broker.broker import Broker
from pyasynq.broker.codec import decode_task
from pyasynq.broker.worker import handed_off
from pyasynq.components.subscriber import Subscriber
from pyasynq.processor import Processor
from pyasynq.queues import QueueOrder
from tests.support.worker_util import wait_for

Q = "default"


@pytest.fixture
def broker(redis_url, clock):
    b = Broker(redis_url, clock=clock)
    yield b
    b.close()


@pytest.fixture
def client(broker):
    return Client(broker)


@pytest.fixture
def release():
    """Set at teardown too, so no handler thread outlives its test."""
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def start(broker, clock, release):
    """``start(handler, **options)``: a started Processor, shut down at the end of the test."""
    started: list[Processor] = []

    def make(handler, **options):
        options.setdefault("concurrency", 2)
        options.setdefault("retry_delay_func", lambda n, err, task: 42)
        p = Processor(
            broker,
            handler,
            queue_order=QueueOrder(options.pop("queues", {Q: 1}), False),
            clock=clock,
            task_check_interval=0.05,
            tick=0.02,
            **options,
        )
        p.start()
        started.append(p)
        return p

    yield make
    release.set()
    for p in started:
        p.shutdown(2)


@pytest.fixture
def subscribe(broker):
    """``subscribe(p)``: a ready Subscriber wired to processor ``p`` as the Server wires it
    (cancels, wake-ups, hand-offs to server id "W"), stopped at the end of the test."""
    subs: list[Subscriber] = []

    def make(p):
        sub = Subscriber(
            broker,
            p.cancel,
            on_wake=p.notify,
            on_handoff=p.accept_handoff,
            handoff_id="W",
            poll=0.05,
        )
        sub.start()
        subs.append(sub)
        assert sub.ready.wait(10)
        return sub

    yield make
    for sub in subs:
        sub.stop()


def stored(r, task_id, queue=Q):
    return decode_task(r.hget(keys.task_key(queue, task_id), "msg"))


def settled(p, r, queue=Q):
    """Nothing running in the processor and nothing active in Redis."""
    return not p.active_jobs() and r.llen(keys.active(queue)) == 0


# -- success --------------------------------------------------------------------------------
def test_success_without_retention_deletes_and_counts(client, start, r):
    seen = []
    p = start(lambda ctx, task: seen.append((task.type, task.payload)))
    info = client.enqueue(Task("email", b"hi"))
    wait_for(lambda: settled(p, r) and not r.exists(keys.task_key(Q, info.id)))
    assert seen == [("email", b"hi")]
    assert r.get(keys.processed_total(Q)) == b"1" and r.get(keys.failed_total(Q)) is None


def test_success_with_retention_keeps_the_task_and_its_result(client, clock, start, r):
    p = start(lambda ctx, task: task.result_writer.write(b"done!"))
    info = client.enqueue(Task("t", b"x"), retention=600)
    wait_for(lambda: settled(p, r) and r.zcard(keys.completed(Q)) == 1)

    assert r.zscore(keys.completed(Q), info.id) == int(clock.now()) + 600
    assert r.hget(keys.task_key(Q, info.id), "result") == b"done!"
    assert stored(r, info.id).completed_at == int(clock.now())


# -- failures -------------------------------------------------------------------------------
def test_error_with_retries_left_is_retried_after_the_delay(client, clock, start, r):
    errors = []

    def handler(ctx, task):
        raise ValueError("boom")

    p = start(handler, error_handler=lambda ctx, task, err: errors.append(str(err)))
    info = client.enqueue(Task("t"), max_retry=3)
    wait_for(lambda: settled(p, r) and r.zcard(keys.retry(Q)) == 1)

    assert r.zscore(keys.retry(Q), info.id) == int(clock.now()) + 42
    msg = stored(r, info.id)
    assert (msg.retried, msg.error_msg, msg.last_failed_at) == (1, "boom", int(clock.now()))
    assert errors == ["boom"] and r.get(keys.failed_total(Q)) == b"1"


def test_not_a_failure_retries_without_counting(client, start, r):
    def handler(ctx, task):
        raise ConnectionError("rate limited upstream")

    p = start(handler, is_failure=lambda err: not isinstance(err, ConnectionError))
    info = client.enqueue(Task("t"), max_retry=3)
    wait_for(lambda: settled(p, r) and r.zcard(keys.retry(Q)) == 1)

    assert stored(r, info.id).retried == 0 and r.get(keys.failed_total(Q)) is None


def test_last_retry_is_archived(client, clock, start, r):
    def handler(ctx, task):
        raise ValueError("still broken")

    p = start(handler)
    info = client.enqueue(Task("t"), max_retry=0)
    wait_for(lambda: settled(p, r) and r.zcard(keys.archived(Q)) == 1)

    assert r.zscore(keys.archived(Q), info.id) == int(clock.now())
    assert stored(r, info.id).error_msg == "still broken"


def test_skip_retry_archives_with_retries_left(client, start, r):
    def handler(ctx, task):
        raise SkipRetry("bad input")

    p = start(handler)
    info = client.enqueue(Task("t"), max_retry=5)
    wait_for(lambda: settled(p, r) and r.zcard(keys.archived(Q)) == 1)
    assert r.zcard(keys.retry(Q)) == 0
    assert stored(r, info.id).error_msg == "bad input"


def test_revoke_task_drops_it_as_processed(client, start, r):
    def handler(ctx, task):
        raise RevokeTask()

    p = start(handler)
    info = client.enqueue(Task("t"), max_retry=5, retention=600)
    wait_for(lambda: settled(p, r) and not r.exists(keys.task_key(Q, info.id)))
    assert r.zcard(keys.archived(Q)) == r.zcard(keys.retry(Q)) == r.zcard(keys.completed(Q)) == 0
    assert r.get(keys.processed_total(Q)) == b"1"


# -- context: deadline, cancel --------------------------------------------------------------
def test_timeout_cancels_the_context_and_retries(client, clock, start, r):
    running = threading.Event()

    def handler(ctx, task):
        running.set()
        ctx.wait(10)  # a handler that honours its context
        ctx.check()

    p = start(handler)
    info = client.enqueue(Task("t"), timeout=30, max_retry=3)
    assert running.wait(5)
    clock.advance(30)
    p.wake()
    wait_for(lambda: settled(p, r) and r.zcard(keys.retry(Q)) == 1)

    assert stored(r, info.id).error_msg == "context deadline exceeded"


def test_a_task_past_its_deadline_never_runs(client, clock, start, r):
    from datetime import UTC, datetime

    ran = []
    deadline = datetime.fromtimestamp(clock.now() + 5, UTC)
    info = client.enqueue(Task("t"), deadline=deadline, max_retry=3)
    clock.advance(10)
    p = start(lambda ctx, task: ran.append(1))
    wait_for(lambda: settled(p, r) and r.zcard(keys.retry(Q)) == 1)
    assert ran == []
    assert stored(r, info.id).error_msg == "context deadline exceeded"


def test_cancel_stops_a_running_task(client, start, r):
    running = threading.Event()

    def handler(ctx, task):
        running.set()
        ctx.wait(10)
        ctx.check()

    p = start(handler)
    info = client.enqueue(Task("t"), max_retry=3)
    assert running.wait(5)
    assert p.cancel("not-ours") is False
    assert p.cancel(info.id) is True
    wait_for(lambda: settled(p, r) and r.zcard(keys.retry(Q)) == 1)

    assert stored(r, info.id).error_msg == "context canceled"


def test_lost_lease_is_left_to_the_recoverer(client, clock, start, r):
    running = threading.Event()
    p = start(lambda ctx, task: (running.set(), ctx.wait(10)))
    info = client.enqueue(Task("t"), max_retry=3)
    assert running.wait(5)
    clock.advance(31)  # no heartbeat extended the 30 s lease
    p.wake()
    wait_for(lambda: not p.active_jobs())
    assert r.lrange(keys.active(Q), 0, -1) == [info.id.encode()]  # untouched: recoverer's job
    assert r.zcard(keys.retry(Q)) == r.zcard(keys.archived(Q)) == 0


# -- fetch: concurrency, queues, shutdown ---------------------------------------------------
def test_no_more_than_concurrency_tasks_run(client, start, r, release):
    running = []
    lock = threading.Lock()

    def handler(ctx, task):
        with lock:
            running.append(task.payload)
        release.wait(10)

    p = start(handler, concurrency=2)
    for i in range(5):
        client.enqueue(Task("t", str(i).encode()))
    wait_for(lambda: len(running) == 2)
    assert len(p.active_jobs()) == 2 and r.llen(keys.active(Q)) == 2
    assert r.llen(keys.pending(Q)) == 3
    release.set()
    wait_for(lambda: settled(p, r) and r.llen(keys.pending(Q)) == 0)
    assert sorted(running) == [str(i).encode() for i in range(5)]


def test_acknowledgements_refill_in_the_same_call_within_the_bound(client, start, r, broker):
    """A busy worker acknowledges and dequeues in one call (``done_and_dequeue``): every task
    runs once, never more than ``concurrency`` at once, and the refills really happen."""
    running, peak, seen = [0], [0], []
    lock = threading.Lock()

    def handler(ctx, task):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
            seen.append(task.payload)
        with lock:
            running[0] -= 1

    refilled = []
    real = broker.done_and_dequeue

    def counted(queue, tasks, count, now=None):  # the real call, counted
        out = real(queue, tasks, count, now)
        refilled.append(len(out[1]))
        return out

    broker.done_and_dequeue = counted
    client.enqueue_many([Task("t", str(i).encode()) for i in range(300)])
    p = start(handler, concurrency=3)
    wait_for(lambda: len(seen) == 300 and settled(p, r))
    assert sorted(seen) == sorted(str(i).encode() for i in range(300))
    assert peak[0] <= 3
    assert r.get(keys.processed_total(Q)) == b"300"
    assert sum(refilled) > 150  # most tasks came with an acknowledgement's call


def test_a_paused_queue_is_not_refilled_and_its_slots_come_back(client, start, r, broker, clock):
    seen = []
    gate = threading.Event()

    def handler(ctx, task):
        gate.wait(10)
        seen.append(task.payload)

    client.enqueue_many([Task("t", str(i).encode()) for i in range(4)])
    p = start(handler, concurrency=2)
    wait_for(lambda: len(p.active_jobs()) == 2)
    broker.pause(Q, clock.now())
    gate.set()
    wait_for(lambda: len(seen) == 2 and settled(p, r))
    assert r.llen(keys.pending(Q)) == 2  # nothing dequeued from the paused queue
    broker.unpause(Q)
    p.notify(Q)
    wait_for(lambda: len(seen) == 4 and settled(p, r))


def test_a_wake_up_while_idle_dequeues_in_the_notifying_thread(client, start, r, broker):
    """The subscriber's thread fetches at once for an idle fetcher (one thread hop less for
    idle latency): the dequeue that takes the task runs in the thread that called ``notify``,
    and the fetcher, which sleeps for a minute, is not woken for a drained queue."""
    seen = []
    takers = []
    real = broker.dequeue_batch

    def recorded(*args, **kwargs):  # the real dequeue, noting which thread took what
        got = real(*args, **kwargs)
        takers.extend(threading.current_thread().name for _ in got)
        return got

    broker.dequeue_batch = recorded
    p = start(lambda ctx, task: seen.append(task.payload))
    p.task_check_interval = 60.0
    p._wakeup.set()  # end its short first sleep: the next one lasts 30-90 s
    wait_for(lambda: p._idle and not p._wakeup.is_set())
    client.enqueue(Task("t", b"now"))  # no subscriber runs here: only notify wakes anyone
    p.notify(Q)
    assert takers == [threading.current_thread().name]
    assert not p._wakeup.is_set()  # drained: the fetcher sleeps on
    wait_for(lambda: seen == [b"now"] and settled(p, r))


def test_an_idle_workers_periodic_look_reads_lengths_before_dequeuing(client, start, r, broker):
    """No wake-up came (a Go producer publishes none): each time the idle wait runs out, the
    fetcher reads the pending lengths (one LLEN per queue) and runs the dequeue script only
    for a queue that has something; a task enqueued without a wake-up is still found."""
    seen = []
    dequeues = []
    real = broker.dequeue_batch

    def recorded(queues, *args, **kwargs):  # the real dequeue, noting the queues it tried
        dequeues.append(list(queues))
        return real(queues, *args, **kwargs)

    broker.dequeue_batch = recorded
    p = start(lambda ctx, task: seen.append(task.payload))
    p.task_check_interval = 0.02

    def looks():
        return int(r.info("commandstats").get("cmdstat_llen", {}).get("calls", 0))

    before = looks()
    wait_for(lambda: looks() >= before + 5)
    first_looks = len(dequeues)
    assert first_looks <= 1  # at most the fetch before the first idle wait ran the script
    client.enqueue(Task("t", b"found by looking"))  # nobody hears its wake-up here
    wait_for(lambda: seen == [b"found by looking"] and settled(p, r))
    assert dequeues[first_looks:][:1] == [[Q]]


def test_an_idle_worker_gets_a_single_enqueue_handed_over(broker, client, start, r):
    """Idle, the worker offers itself (pyasynq:{q}:idle); our Client's enqueue then hands it
    the task already leased, on its own channel, and it runs without a dequeue. Once idle
    again the worker renews its offer; stopping withdraws it."""
    seen, handed, threads = [], [], []

    def handler(ctx, task):
        seen.append(task.payload)
        threads.append(threading.current_thread().name)

    p = start(handler)

    def spy(leased, hand_over):  # the real accept_handoff, noting what came this way
        handed.append(leased.task_id)
        p.accept_handoff(leased, hand_over)

    sub = Subscriber(broker, p.cancel, on_wake=p.notify, on_handoff=spy, handoff_id="W")
    sub.start()
    try:
        assert sub.ready.wait(10)
        p.handoff_id = "W"  # listening first: an offer is only made by a worker that hears
        wait_for(lambda: r.zcard(keys.idle(Q)) == 1)
        info = client.enqueue(Task("t", b"direct"))
        wait_for(lambda: seen == [b"direct"] and settled(p, r))
        assert handed == [info.id]
        assert threads[0].startswith("pyasynq-subscriber")  # run by the thread that read it
        wait_for(lambda: r.zcard(keys.idle(Q)) == 1)
        p.stop()
        assert r.zcard(keys.idle(Q)) == 0
    finally:
        sub.stop()


def test_while_a_handed_off_task_runs_in_the_reader_the_other_thread_listens(
    client, start, subscribe, r
):
    """The handed-off task runs in the subscriber thread that read it; the standby thread
    listens meanwhile: a cancel for that very task is heard and honoured, and a wake-up for a
    new task still starts it at once (on the pool, the standby being the listener now)."""
    started, threads, cancelled = threading.Event(), {}, threading.Event()

    def handler(ctx, task):
        threads[task.payload] = threading.current_thread().name
        if task.payload == b"long":
            started.set()
            if ctx.wait(10):
                cancelled.set()
                raise RuntimeError("cancelled")

    p = start(handler)
    sub = subscribe(p)
    p.handoff_id = "W"
    p.task_check_interval = 60.0  # only the subscriber's messages start tasks quickly
    p._wakeup.set()
    wait_for(lambda: r.zcard(keys.idle(Q)) == 1)
    info = client.enqueue(Task("t", b"long"))
    assert started.wait(10)
    assert threads[b"long"].startswith("pyasynq-subscriber")
    client.enqueue(Task("t", b"short"))
    wait_for(lambda: b"short" in threads)
    assert not threads[b"short"].startswith("pyasynq-subscriber")
    r.publish(keys.CANCEL_CHANNEL, info.id)  # what Inspector.cancel_processing sends
    assert cancelled.wait(10)
    wait_for(lambda: settled(p, r))
    sub.stop()
    assert not any(t.is_alive() for t in sub._threads)


def test_a_wake_up_runs_the_first_task_in_the_reader_when_there_is_no_offer(
    client, start, subscribe, r
):
    """With no hand-off offer (here: the worker makes none), a wake-up dequeues in the
    subscriber's thread and the first task runs there too, the standby thread listening
    meanwhile; the second task of the same wake-up goes to the pool."""
    gate, threads = threading.Event(), {}

    def handler(ctx, task):
        threads[task.payload] = threading.current_thread().name
        gate.wait(10)

    p = start(handler)
    subscribe(p)
    try:
        p.task_check_interval = 60.0  # only the wake-up starts tasks quickly
        p._wakeup.set()
        wait_for(lambda: p._idle and not p._wakeup.is_set())
        client.enqueue_many([Task("t", b"one"), Task("t", b"two")])  # one wake-up for both
        wait_for(lambda: len(threads) == 2)
        assert threads[b"one"].startswith("pyasynq-subscriber")
        assert not threads[b"two"].startswith("pyasynq-subscriber")
        gate.set()
        wait_for(lambda: settled(p, r))
    finally:
        gate.set()


def test_a_hand_off_without_a_free_slot_goes_back_to_pending(broker, clock, client, start, r):
    """The worker got busy after its offer: the task it was handed goes back to pending (Go's
    requeue) and runs when a slot frees."""
    gate = threading.Event()
    seen = []

    def handler(ctx, task):
        gate.wait(10)
        seen.append(task.payload)

    p = start(handler, concurrency=1)
    client.enqueue(Task("t", b"busy"))
    wait_for(lambda: len(p.active_jobs()) == 1)
    listener = r.pubsub(ignore_subscribe_messages=True)
    listener.subscribe(keys.HANDOFF_PREFIX + "W")
    r.zadd(keys.idle(Q), {"30 W": int((clock.now() + 10) * 1000)})  # its offer from before
    info = client.enqueue(Task("t", b"late"))
    assert r.lrange(keys.active(Q), 0, 0) == [info.id.encode()]  # handed over, leased
    payload = None
    for _ in range(20):
        got = listener.get_message(timeout=0.5)
        if got:
            payload = got["data"]
            break
    listener.close()
    assert payload is not None
    p.accept_handoff(handed_off(payload))
    assert r.lrange(keys.pending(Q), 0, -1) == [info.id.encode()]
    assert r.hget(keys.task_key(Q, info.id), "state") == b"pending"
    gate.set()
    wait_for(lambda: sorted(seen) == [b"busy", b"late"] and settled(p, r))


def test_only_configured_queues_are_served(client, start, r):
    seen = []
    p = start(lambda ctx, task: seen.append(task.payload), queues={"a": 1})
    client.enqueue(Task("t", b"other"), queue="b")
    client.enqueue(Task("t", b"mine"), queue="a")
    wait_for(lambda: seen == [b"mine"] and settled(p, r, "a"))
    p.stop()  # no more fetching: b's task cannot be taken after this point
    assert r.llen(keys.pending("b")) == 1 and seen == [b"mine"]


def test_shutdown_requeues_tasks_still_running(broker, clock, client, r):
    running = threading.Event()

    def handler(ctx, task):
        running.set()
        ctx.wait(10)  # returns once shutdown cancels the context

    p = Processor(
        broker,
        handler,
        concurrency=1,
        queue_order=QueueOrder({Q: 1}, False),
        clock=clock,
        task_check_interval=0.05,
        tick=0.02,
    )
    p.start()
    info = client.enqueue(Task("t"), max_retry=3)
    assert running.wait(5)
    p.shutdown(0.05)
    assert r.lrange(keys.pending(Q), 0, -1) == [info.id.encode()]
    assert r.llen(keys.active(Q)) == 0 and r.zcard(keys.lease(Q)) == 0
    assert stored(r, info.id).retried == 0  # a requeue is not a failure
    assert p.active_jobs() == []
