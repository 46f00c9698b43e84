"""WorkerOps against a real Redis: every script's keys, fields and counters (spec §4.10–4.27)."""

from __future__ import annotations

import time

import pytest

from pyasynq import Client, Task
from pyasynq.broker import keys
from pyasynq.broker.base import MAX_INT64, STATS_TTL
from pyasynq.broker.broker import Broker
from pyasynq.broker.codec import decode, decode_task
from pyasynq.broker.proto import ServerInfo
from pyasynq.broker.worker import TaskNotActiveError
from pyasynq.clock import utc_day

Q = "default"


@pytest.fixture
def broker(redis_url, clock):
    b = Broker(redis_url, clock=clock)
    yield b
    b.close()


@pytest.fixture
def client(broker):
    return Client(broker)


def dequeue(broker, queues=(Q,)):
    got = broker.dequeue(list(queues))
    assert got is not None
    return decode_task(got[0]), got[1]


def test_dequeue_moves_oldest_to_active_with_lease(broker, client, r, clock):
    first = client.enqueue(Task("a", b"1"))
    client.enqueue(Task("a", b"2"))
    msg, expiry = dequeue(broker)
    assert msg.id == first.id
    assert expiry == int(clock.now()) + 30
    assert r.lrange(keys.active(Q), 0, -1) == [first.id.encode()]
    assert r.zscore(keys.lease(Q), first.id) == int(clock.now()) + 30
    h = r.hgetall(keys.task_key(Q, first.id))
    assert h[b"state"] == b"active" and b"pending_since" not in h


def test_dequeue_skips_paused_and_tries_in_order(broker, client, r):
    client.enqueue(Task("a"), queue="low")
    hi = client.enqueue(Task("a"), queue="high")
    r.set(keys.paused("high"), 1)
    msg, _ = dequeue(broker, ["high", "low"])
    assert msg.queue == "low"
    assert broker.dequeue(["high", "low"]) is None
    r.delete(keys.paused("high"))
    msg, _ = dequeue(broker, ["low", "high"])
    assert msg.id == hi.id


def test_done_deletes_counts_and_releases_unique_lock(broker, client, r, clock):
    info = client.enqueue(Task("a", b"p"), unique=60)
    msg, _ = dequeue(broker)
    broker.done(Q, msg.id, msg.unique_key)
    day = keys.processed_daily(Q, utc_day(clock.now()))
    assert not r.exists(keys.task_key(Q, info.id), msg.unique_key)
    assert r.get(day) == b"1" and r.get(keys.processed_total(Q)) == b"1"
    assert r.ttl(day) == pytest.approx(int(clock.now()) + STATS_TTL - int(time.time()), abs=5)
    assert r.llen(keys.active(Q)) == 0 and r.zcard(keys.lease(Q)) == 0
    with pytest.raises(TaskNotActiveError):
        broker.done(Q, msg.id)


def test_total_counter_wraps_at_max_int64(broker, client, r):
    client.enqueue(Task("a"))
    client.enqueue(Task("a"))
    r.set(keys.processed_total(Q), MAX_INT64)
    msg, _ = dequeue(broker)
    broker.done(Q, msg.id)
    assert r.get(keys.processed_total(Q)) == b"1"
    r.set(keys.processed_total(Q), MAX_INT64)
    r.set(keys.failed_total(Q), 7)
    msg, _ = dequeue(broker)
    broker.retry(msg, 0, "x")
    assert r.get(keys.processed_total(Q)) == b"1" and r.get(keys.failed_total(Q)) == b"1"


def test_mark_complete_keeps_task_until_retention(broker, client, r, clock):
    info = client.enqueue(Task("a", b"p"), retention=100, unique=60)
    msg, _ = dequeue(broker)
    broker.write_result(Q, msg.id, b"out")
    broker.mark_complete(msg)
    now = int(clock.now())
    assert r.zscore(keys.completed(Q), info.id) == now + 100
    h = r.hgetall(keys.task_key(Q, info.id))
    assert h[b"state"] == b"completed" and h[b"result"] == b"out"
    assert decode_task(h[b"msg"]).completed_at == now
    assert not r.exists(msg.unique_key)
    assert r.get(keys.processed_total(Q)) == b"1" and r.get(keys.failed_total(Q)) is None
    clock.advance(101)
    assert broker.delete_expired_completed(Q) == 1
    assert not r.exists(keys.task_key(Q, info.id)) and r.zcard(keys.completed(Q)) == 0


def test_requeue_puts_task_next_without_pending_since(broker, client, r):
    a = client.enqueue(Task("a"))
    client.enqueue(Task("a"))
    msg, _ = dequeue(broker)
    broker.requeue(Q, msg.id)
    assert r.lindex(keys.pending(Q), -1) == a.id.encode()
    h = r.hgetall(keys.task_key(Q, a.id))
    assert h[b"state"] == b"pending" and b"pending_since" not in h
    assert r.get(keys.processed_total(Q)) is None


@pytest.mark.parametrize("is_failure", [True, False])
def test_retry(broker, client, r, clock, is_failure):
    info = client.enqueue(Task("a"), unique=60)
    msg, _ = dequeue(broker)
    now = int(clock.now())
    broker.retry(msg, now + 40, "boom", is_failure=is_failure)
    assert r.zscore(keys.retry(Q), info.id) == now + 40
    h = r.hgetall(keys.task_key(Q, info.id))
    stored = decode_task(h[b"msg"])
    assert h[b"state"] == b"retry"
    assert (stored.retried, stored.error_msg, stored.last_failed_at) == (
        int(is_failure),
        "boom",
        now,
    )
    assert msg.retried == 0  # the caller's message is untouched
    assert r.exists(msg.unique_key)  # retry keeps the lock
    day = utc_day(now)
    expected = b"1" if is_failure else None
    for key in (
        keys.processed_daily(Q, day),
        keys.failed_daily(Q, day),
        keys.processed_total(Q),
        keys.failed_total(Q),
    ):
        assert r.get(key) == expected


def test_archive_and_trim(broker, client, r, clock):
    old = "old-one"
    r.zadd(keys.archived(Q), {old: int(clock.now()) - 91 * 86400})
    r.hset(keys.task_key(Q, old), "state", "archived")
    info = client.enqueue(Task("a"))
    msg, _ = dequeue(broker)
    broker.archive(msg, "gave up")
    assert r.zrange(keys.archived(Q), 0, -1) == [info.id.encode()]
    assert not r.exists(keys.task_key(Q, old))
    h = r.hgetall(keys.task_key(Q, info.id))
    assert h[b"state"] == b"archived" and decode_task(h[b"msg"]).error_msg == "gave up"
    assert decode_task(h[b"msg"]).retried == 0
    assert r.get(keys.failed_total(Q)) == b"1" and r.get(keys.processed_total(Q)) == b"1"


def test_archive_size_trim_keeps_9999(broker, client, r, clock):
    now = int(clock.now())
    pipe = r.pipeline()
    for i in range(10000):
        pipe.zadd(keys.archived(Q), {f"x{i}": now - 10 - i})
    pipe.execute()
    client.enqueue(Task("a"))
    msg, _ = dequeue(broker)
    broker.archive(msg, "e")
    assert r.zcard(keys.archived(Q)) == 9999
    assert r.zscore(keys.archived(Q), msg.id) == now


def test_forward_scheduled_and_retry_and_group(broker, client, r, clock):
    s = client.enqueue(Task("a"), process_in=10)
    t = client.enqueue(Task("a"))
    msg, _ = dequeue(broker)
    broker.retry(msg, clock.now() + 20, "e")
    r.hset(keys.task_key(Q, t.id), "group", "g1")
    assert broker.forward_if_ready(Q) == 0
    clock.advance(30)
    assert broker.forward_if_ready(Q) == 2
    assert r.lrange(keys.pending(Q), 0, -1) == [s.id.encode()]
    h = r.hgetall(keys.task_key(Q, s.id))
    assert h[b"state"] == b"pending" and int(h[b"pending_since"]) == int(clock.now() * 1e9)
    assert r.zscore(keys.group(Q, "g1"), t.id) == int(clock.now())
    assert r.hget(keys.task_key(Q, t.id), "state") == b"aggregating"


def test_forward_loops_over_batches(broker, client, clock):
    for _ in range(230):
        client.enqueue(Task("a"), process_in=5)
    clock.advance(6)
    assert broker.forward_if_ready(Q) == 230


def test_extend_lease_and_list_expired(broker, client, r, clock):
    client.enqueue(Task("a"))
    msg, expiry = dequeue(broker)
    clock.advance(10)
    new = broker.extend_lease(Q, [msg.id, "not-there"])
    assert new == expiry + 10 and r.zscore(keys.lease(Q), msg.id) == new
    assert r.zscore(keys.lease(Q), "not-there") is None  # XX: no new member
    assert broker.list_lease_expired(Q, new - 1) == []
    found = broker.list_lease_expired(Q, new)
    assert [decode_task(m).id for m in found] == [msg.id]


def test_write_and_clear_server_state(broker, r, clock):
    info = ServerInfo(host="h", pid=1, server_id="sid", status="active")
    broker.write_server_state("h", 1, "sid", info.SerializeToString(), {"t1": b"w1"}, 10)
    skey, wkey = keys.server_info("h", 1, "sid"), keys.workers("h", 1, "sid")
    assert r.zscore(keys.ALL_SERVERS, skey) == int(clock.now()) + 10
    assert r.zscore(keys.ALL_WORKERS, wkey) == int(clock.now()) + 10
    assert decode(ServerInfo, r.get(skey)).status == "active"
    assert 0 < r.ttl(skey) <= 10 and r.hgetall(wkey) == {b"t1": b"w1"} and 0 < r.ttl(wkey) <= 10
    broker.write_server_state("h", 1, "sid", info.SerializeToString(), {}, 10)
    assert not r.exists(wkey)
    broker.clear_server_state("h", 1, "sid")
    assert not r.exists(skey) and r.zcard(keys.ALL_SERVERS) == 0 and r.zcard(keys.ALL_WORKERS) == 0


def test_cancel_pubsub(broker):
    sub = broker.subscribe_cancel()
    try:
        assert broker.publish_cancel("abc") == 1
        got = None
        for _ in range(20):
            got = got or sub.get(0.1)
        assert got == "abc"
    finally:
        sub.close()
