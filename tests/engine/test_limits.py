"""Fleet-wide limits, decision by decision: the Limiter and its scripts on a real Redis, with a
ManualClock deciding what "now" is (no sleeps). Server-level proofs are in test_limits_server.py.
"""

from __future__ import annotations

import json

import pytest

from pyasynq import Client, Limit, LimitError, Limits, Task
from pyasynq.broker import keys
from pyasynq.broker.broker import Broker
from pyasynq.broker.codec import decode_task
from pyasynq.broker.extras import limits as lkeys
from pyasynq.extras.limiter import Limiter

Q = "default"


@pytest.fixture
def broker(redis_url, clock):
    b = Broker(redis_url, clock=clock)
    yield b
    b.close()


@pytest.fixture
def client(redis_url):
    c = Client(redis_url)
    yield c
    c.close()


def limiter(broker, clock, *limits, queues=(Q,), lease=10.0):
    """A worker's Limiter after the given limits were stored in Redis and loaded."""
    Limits(broker).set_many(limits)
    lim = Limiter(broker, clock=clock, queues=queues, hold_lease=lease, poll=0.25)
    lim.refresh()
    return lim


def fetch(broker, lim, n=100, queues=(Q,)):
    """One fetch as the processor does it: open queues, dequeue, admit. Returns task ids."""
    got = broker.dequeue_batch(lim.open_queues(list(queues)), n)
    return [leased.task_id for leased in lim.admit(got)]


def ids_in(r, key):
    return [x.decode() for x in r.lrange(key, 0, -1)]


def msg_of(r, task_id, q=Q):
    return decode_task(r.hget(keys.task_key(q, task_id), "msg"))


# -- definitions ------------------------------------------------------------------------------
def test_definitions_are_validated_and_round_trip():
    lim = Limit("api", "rate", 50, "1m", queue="q*", task_type="email:*", key="header:cust")
    assert Limit.from_json(lim.to_json()) == lim
    assert lim.period == 60.0 and lim.describe() == "50 per 1m"
    assert not lim.queue_level and Limit("q", "concurrency", 3, queue="a").queue_level
    for bad in (
        dict(name="bad name", kind="rate", limit=1, period=1),
        dict(name="x", kind="speed", limit=1),
        dict(name="x", kind="rate", limit=0, period=1),
        dict(name="x", kind="rate", limit=5, period="fortnight"),
        dict(name="x", kind="concurrency", limit=2, key="cookie:a"),
    ):
        with pytest.raises(LimitError):
            Limit(**bad)


def test_key_values_come_from_headers_or_json_paths():
    by_json = Limit("k", "concurrency", 1, key="json:customer.id")
    assert by_json.key_value({}, b'{"customer": {"id": 42}}') == "42"
    assert by_json.key_value({}, b'{"customer": {}}') is None  # no key: not limited
    assert by_json.key_value({}, b"not json") is None
    by_header = Limit("h", "concurrency", 1, key="header:tenant")
    assert by_header.key_value({"tenant": "acme"}, b"") == "acme"
    long = by_header.key_value({"tenant": "x" * 500}, b"")
    assert long is not None and long.startswith("sha1-") and len(long) < 50


def test_limits_api_sets_lists_reports_and_removes(redis_url, clock, r):
    api = Limits(redis_url, clock=clock)
    api.set_rate("api", 5, per="10s", queue=Q)
    api.set_concurrency("pdf", 2, task_type="pdf:*")
    assert [x.name for x in api.list()] == ["api", "pdf"]
    assert api.get("pdf").limit == 2 and api.get("nope") is None
    r.hset(lkeys.CONFIG, "broken", "{not json")  # a bad stored definition is skipped
    assert [x.name for x in api.list()] == ["api", "pdf"]
    assert api.remove("api") is True and api.remove("api") is False
    assert [u.limit.name for u in api.usage()] == ["pdf"]
    api.close()


# -- rate limits ------------------------------------------------------------------------------
def test_queue_rate_limit_admits_exactly_n_per_window_and_keeps_order(broker, clock, client, r):
    ids = [client.enqueue(Task("t", b"%d" % i), queue=Q, max_retry=3).id for i in range(10)]
    lim = limiter(broker, clock, Limit("q", "rate", 3, 1.0, queue=Q))
    assert fetch(broker, lim) == ids[:3]
    # the 7 others are back in pending, oldest at the dequeue end, untouched
    assert ids_in(r, keys.pending(Q))[::-1] == ids[3:]
    assert r.llen(keys.active(Q)) == 3 and r.zcard(keys.lease(Q)) == 3
    assert {msg_of(r, i).retried for i in ids[3:]} == {0}
    assert r.hget(keys.task_key(Q, ids[3]), "state") == b"pending"
    # the queue is gated until the window frees: no dequeue at all meanwhile
    assert lim.open_queues([Q]) == []
    assert lim.idle_wait(1.5) == pytest.approx(1.0, abs=0.01)
    clock.advance(0.999)
    assert lim.open_queues([Q]) == []
    clock.advance(0.001)
    assert fetch(broker, lim) == ids[3:6]
    clock.advance(1.0)
    assert fetch(broker, lim, n=2) == ids[6:8]
    assert fetch(broker, lim, n=5) == ids[8:9]  # the window holds 3: one place left


def test_type_rate_limit_schedules_refused_tasks_in_a_fair_line(broker, clock, client, r):
    now = clock.now()
    slow = [client.enqueue(Task("report", b""), queue=Q).id for _ in range(4)]
    other = [client.enqueue(Task("email", b""), queue=Q).id for _ in range(3)]
    lim = limiter(broker, clock, Limit("reports", "rate", 2, 1.0, task_type="report"))
    # other types keep flowing; two reports run, two wait in Asynq's scheduled zset
    assert fetch(broker, lim) == slow[:2] + other
    scheduled = dict(r.zrange(keys.scheduled(Q), 0, -1, withscores=True))
    assert {k.decode(): v for k, v in scheduled.items()} == {
        slow[2]: pytest.approx(now + 1.0),
        slow[3]: pytest.approx(now + 1.5),  # behind the first waiter, at the limit's pace
    }
    for task_id in slow[2:]:
        assert r.hget(keys.task_key(Q, task_id), "state") == b"scheduled"
        assert msg_of(r, task_id).retried == 0
    assert r.zcard(lkeys.waiting_key("reports")) == 2
    assert Limits(broker).waiting_among(slow + other) == {s: "reports" for s in slow[2:]}
    # the limiter brings them back on time, sub-second
    clock.advance(1.0)
    lim.forward_due(clock.now())
    assert fetch(broker, lim) == slow[2:3]
    clock.advance(0.5)
    lim.forward_due(clock.now())
    assert fetch(broker, lim) == slow[3:]
    assert r.zcard(lkeys.waiting_key("reports")) == 0
    usage = Limits(broker).usage()[0]
    assert (usage.admitted_total, usage.held_total, usage.last_minute) == (4, 2, 4)


# -- concurrency limits -----------------------------------------------------------------------
def test_concurrency_slots_are_released_on_settle_and_expire_with_their_lease(
    broker, clock, client, r
):
    ids = [client.enqueue(Task("t"), queue=Q).id for _ in range(5)]
    lim = limiter(broker, clock, Limit("c", "concurrency", 2, queue=Q), lease=10.0)
    assert fetch(broker, lim) == ids[:2]
    assert lim.open_queues([Q]) == []  # full: skip the queue for a poll interval
    lim.release(ids[0])
    assert lim.open_queues([Q]) == [Q]  # our own release reopens it at once
    assert fetch(broker, lim) == ids[2:3]
    # a worker that dies never releases nor renews: its slots come back after the lease
    other = limiter(broker, clock, Limit("c", "concurrency", 2, queue=Q), lease=10.0)
    lim._holds.pop(ids[1])  # ids[1]'s worker "dies": nobody renews or releases it any more
    clock.advance(9.0)
    lim.extend(clock.now())  # ids[2] (a live worker's) is renewed
    assert fetch(broker, other) == []  # ids[1]'s lease has not run out yet
    clock.advance(1.5)
    lim.extend(clock.now())
    assert fetch(broker, other, n=5) == ids[3:4]
    assert set(r.zrange(lkeys.holders_key("c"), 0, -1)) == {ids[2].encode(), ids[3].encode()}


def test_per_key_limits_hold_independently_for_100_keys(broker, clock, client, r):
    for _round in range(2):
        for k in range(100):
            client.enqueue(Task("job", json.dumps({"customer": f"c{k}"}).encode()), queue=Q)
    lim = limiter(broker, clock, Limit("per-cust", "concurrency", 1, key="json:customer"))
    admitted = fetch(broker, lim, n=100) + fetch(broker, lim, n=100)
    customers = [json.loads(msg_of(r, i).payload)["customer"] for i in admitted]
    assert sorted(customers) == sorted(f"c{k}" for k in range(100))  # one each, all keys
    usage = Limits(broker).usage()[0]
    assert usage.running == 100 and usage.keys == 100 and usage.waiting == 100
    assert set(usage.by_key.values()) == {1}
    lim.release(admitted[0])
    clock.advance(0.25)
    lim.forward_due(clock.now())
    again = fetch(broker, lim, n=100)
    assert [json.loads(msg_of(r, i).payload)["customer"] for i in again] == [customers[0]]


def test_no_redis_command_without_an_applicable_limit(broker, clock, client, r):
    client.enqueue(Task("t"), queue=Q)
    lim = limiter(broker, clock)  # no limits at all
    other = limiter(broker, clock, Limit("elsewhere", "rate", 1, 1.0, queue="low"))
    got = broker.dequeue_batch([Q], 10)
    r.config_resetstat()
    assert lim.admit(got) == got and other.admit(got) == got
    assert lim.open_queues([Q]) == [Q] and other.rules == []
    lim.release("x")
    stats = r.info("commandstats")
    assert all(name.startswith("cmdstat_config") for name in stats), stats


# -- Go interop -------------------------------------------------------------------------------
def go_dequeue(broker, q=Q):
    """A Go worker's dequeue: Go's dequeue.lua (our dequeue script is its exact copy)."""
    return broker.dequeue([q])


def test_go_worker_ignores_limits_and_deferred_tasks_stay_valid_for_go(broker, clock, client, r):
    ids = [client.enqueue(Task("t"), queue=Q, max_retry=2).id for _ in range(6)]
    lim = limiter(broker, clock, Limit("c", "concurrency", 1, queue=Q))
    assert fetch(broker, lim) == ids[:1]  # pyasynq: one, the rest pushed back in order
    # a Go worker on the same queue takes the next tasks regardless of the limit...
    for expected in ids[1:4]:
        data, _ = go_dequeue(broker)
        msg = decode_task(data)
        assert (msg.id, msg.retried, msg.retry) == (expected, 0, 2)
        broker.done(Q, msg.id, msg.unique_key)  # Go's done.lua
    # ...while pyasynq workers still admit exactly one at a time among themselves
    second = limiter(broker, clock, Limit("c", "concurrency", 1, queue=Q))
    assert fetch(broker, second) == []
    lim.release(ids[0])
    assert r.zcard(lkeys.holders_key("c")) == 1  # not sent yet: carried by the next call
    assert lim.flush_releases() == 1  # LimitsSync's tick
    assert r.zcard(lkeys.holders_key("c")) == 0
    clock.advance(0.25)  # another worker's release is seen at its next poll
    assert fetch(broker, second) == ids[4:5]
    assert r.zcard(lkeys.holders_key("c")) == 1


# -- configuration reaches every worker -------------------------------------------------------
def test_workers_pick_up_a_change_within_the_refresh_interval(broker, clock, client, r):
    from pyasynq.components.limits_sync import LimitsSync

    ids = [client.enqueue(Task("t"), queue=Q).id for _ in range(6)]
    lim = Limiter(broker, clock=clock, queues=[Q], hold_lease=10)
    sync = LimitsSync(lim, refresh_interval=2.0, clock=clock)
    lim.refresh()  # what LimitsSync.start does
    Limits(broker).set_concurrency("new", 1, queue=Q)
    clock.advance(1.9)
    assert fetch(broker, lim, n=2) == ids[:2]  # loaded 1.9 s ago: still trusted
    clock.advance(0.1)
    assert fetch(broker, lim, n=2) == ids[2:3]  # the fetch path reloads: now limited
    # a worker skipping its queue reloads on its own (LimitsSync), so removing the limit
    # reopens the queue within the interval even though nothing is dequeued meanwhile
    Limits(broker).remove("new")
    lim.poll = 60.0
    assert fetch(broker, lim, n=2) == [] and lim.open_queues([Q]) == []
    clock.advance(2.0)
    sync.run_once()
    assert lim.rules == [] and lim.open_queues([Q]) == [Q]
    assert fetch(broker, lim, n=5) == ids[3:6]  # in their order, none lost


def test_an_idle_worker_sends_no_command_for_limits(broker, clock, r):
    from pyasynq.components.limits_sync import LimitsSync

    Limits(broker).set_concurrency("c", 1, queue=Q)
    lim = Limiter(broker, clock=clock, queues=[Q], hold_lease=10)
    sync = LimitsSync(lim, refresh_interval=2.0, clock=clock)
    lim.refresh()
    r.config_resetstat()
    for _ in range(5):
        clock.advance(3.0)
        sync.run_once()
        assert lim.open_queues([Q]) == [Q] and lim.admit([]) == []
    stats = r.info("commandstats")
    assert all(name.startswith("cmdstat_config") for name in stats), stats


def test_server_stores_its_limits_and_refuses_bad_ones(redis_url, clock):
    from pyasynq import Server

    with pytest.raises(TypeError, match="pyasynq.Limit"):
        Server(redis_url, limits=[{"name": "x"}])
    server = Server(redis_url, clock=clock, limits=[Limit("mine", "rate", 5, 1.0, queue=Q)])
    server.start(lambda ctx, task: None)
    try:
        assert [x.name for x in Limits(redis_url).list()] == ["mine"]
        assert [x.name for x in server.processor.limits.rules] == ["mine"]
    finally:
        server.shutdown()


def test_a_failed_decision_gives_the_batch_back_in_order(broker, clock, client, r):
    from pyasynq.errors import BrokerError

    ids = [client.enqueue(Task("t"), queue=Q).id for _ in range(3)]
    lim = limiter(broker, clock, Limit("c", "concurrency", 5, queue=Q))
    r.set(lkeys.holders_key("c"), "not a zset")  # a damaged key: the script fails in Redis
    with pytest.raises(BrokerError, match="WRONGTYPE"):
        fetch(broker, lim)
    assert ids_in(r, keys.pending(Q))[::-1] == ids and r.llen(keys.active(Q)) == 0
    assert {msg_of(r, i).retried for i in ids} == {0}


@pytest.fixture
def idle_server(redis_url, r):
    """A Server with a ManualClock, idle and offering itself to enqueues (hand-off) because no
    limit applied when it started; handlers record task ids in ``started`` and block until
    ``release`` is set."""
    import threading
    import time

    from pyasynq import Server
    from pyasynq.clock import ManualClock
    from tests.support.worker_util import FAST, wait_for

    clock = ManualClock(time.time())
    started: list[str] = []
    release = threading.Event()

    def handle(ctx, task):
        started.append(task.id)
        release.wait(10)

    server = Server(redis_url, clock=clock, concurrency=4, **FAST)
    server.start(handle)
    try:
        wait_for(lambda: r.zcard(keys.idle(Q)), what="the idle worker's offer")
        yield clock, started
    finally:
        release.set()
        server.shutdown()


def test_a_task_handed_to_an_idle_worker_is_admitted_by_a_limit_set_meanwhile(
    idle_server, client, redis_url, r
):
    """A limit set after a worker's offer decides the tasks handed to it, as it decides
    dequeued ones: the handed-off task is counted, the next one refused."""
    from tests.support.worker_util import wait_for

    clock, started = idle_server
    Limits(redis_url).set_rate("after-offer", 1, per="60s", queue=Q)
    clock.advance(3.0)  # the worker's view of the limits (none) is now stale
    first = client.enqueue(Task("t"), queue=Q).id  # handed off to the offer
    wait_for(lambda: started, what="the first task")
    client.enqueue(Task("t"), queue=Q)  # dequeued: the limit refuses it
    held = lambda: int(r.hget(lkeys.stats_key("after-offer"), "held") or 0)  # noqa: E731
    wait_for(lambda: held() or len(started) > 1, what="a refusal or a second start")
    assert started == [first]
    assert r.zcard(lkeys.rate_key("after-offer")) == 1  # the handed-off task was admitted
    wait_for(lambda: r.llen(keys.pending(Q)) == 1, what="the refused task back in pending")
    assert started == [first]


def test_a_handed_off_task_a_full_limit_refuses_waits_in_pending_and_runs_when_it_frees(
    idle_server, client, redis_url, r
):
    from tests.support.worker_util import wait_for

    clock, started = idle_server
    Limits(redis_url).set_concurrency("full", 1, queue=Q)
    r.zadd(lkeys.holders_key("full"), {"another-worker's-task": clock.now() + 60})
    clock.advance(3.0)
    task_id = client.enqueue(Task("t"), queue=Q).id  # handed off, then refused
    wait_for(lambda: r.lrange(keys.pending(Q), 0, -1) == [task_id.encode()], what="given back")
    assert started == [] and r.llen(keys.active(Q)) == 0
    assert decode_task(r.hget(keys.task_key(Q, task_id), "msg")).retried == 0
    r.zrem(lkeys.holders_key("full"), "another-worker's-task")  # the other task finished
    clock.advance(0.3)  # past the worker's next look at the limit
    wait_for(lambda: started == [task_id], what="the task once the slot freed")
