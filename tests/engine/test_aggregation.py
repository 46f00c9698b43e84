"""Aggregation groups (spec §4.21–4.24, §6.8) against a real Redis with a ManualClock."""

from __future__ import annotations

import uuid

import pytest

from pyasynq import Client, Task
from pyasynq.broker.broker import Broker
from pyasynq.broker.codec import decode_task
from pyasynq.components.aggregator import Aggregator


@pytest.fixture
def broker(redis_url, clock):
    b = Broker(redis_url, clock=clock)
    yield b
    b.close()


@pytest.fixture
def client(broker):
    return Client(broker)


def join(group: str, tasks: list[Task]) -> Task:
    return Task(
        "batch:" + group, b",".join(t.payload or b"" for t in tasks), headers={"n": str(len(tasks))}
    )


def add(client, clock, n, *, group="g", queue="default", step=1.0):
    ids = []
    for i in range(n):
        ids.append(
            client.enqueue(Task("email", f"p{len(ids)}-{i}".encode()), group=group, queue=queue).id
        )
        clock.advance(step)
    return ids


def aggregator(broker, clock, **kw):
    params = {"grace_period": 60, "max_delay": 0, "max_size": 0, "aggregate": join, "clock": clock}
    params.update(kw)
    return Aggregator(broker, ["default"], **params)


def pending_messages(r, queue="default"):
    ids = [i.decode() for i in r.lrange(f"asynq:{{{queue}}}:pending", 0, -1)]
    return [decode_task(r.hget(f"asynq:{{{queue}}}:t:{i}", "msg")) for i in ids]


def test_nothing_ready_within_grace(broker, client, clock, r):
    add(client, clock, 3)
    agg = aggregator(broker, clock)
    assert agg.tick() == []
    assert r.zcard("asynq:{default}:g:g") == 3
    assert r.smembers("asynq:{default}:groups") == {b"g"}
    assert not r.exists("asynq:{default}:aggregation_sets")


def test_by_size(broker, client, clock, r):
    ids = add(client, clock, 5)
    agg = aggregator(broker, clock, max_size=3)
    infos = agg.tick()
    assert len(infos) == 1
    (msg,) = pending_messages(r)
    assert msg.type == "batch:g" and msg.queue == "default"
    assert msg.payload == b"p0-0,p1-1,p2-2"  # the three oldest, oldest first
    assert dict(msg.headers) == {"n": "3"}
    for tid in ids[:3]:
        assert not r.exists(f"asynq:{{default}}:t:{tid}")
    assert [m.decode() for m in r.zrange("asynq:{default}:g:g", 0, -1)] == ids[3:]
    # size 5 > 3: the group still has tasks, so it stays in the groups set
    assert r.smembers("asynq:{default}:groups") == {b"g"}
    assert r.zcard("asynq:{default}:aggregation_sets") == 0
    assert r.hget(f"asynq:{{default}}:t:{infos[0].id}", "state") == b"pending"


def test_by_size_exact_removes_group(broker, client, clock, r):
    add(client, clock, 3)
    assert len(aggregator(broker, clock, max_size=3).tick()) == 1
    assert not r.exists("asynq:{default}:groups")
    assert not r.exists("asynq:{default}:g:g")


def test_by_grace_period(broker, client, clock, r):
    add(client, clock, 2, step=10)  # newest added at t0+10, clock now t0+20
    agg = aggregator(broker, clock, grace_period=60)
    clock.advance(49)  # newest is 59 s old
    assert agg.tick() == []
    clock.advance(1)  # newest is 60 s old: grace elapsed
    assert len(agg.tick()) == 1
    (msg,) = pending_messages(r)
    assert msg.payload == b"p0-0,p1-1"
    assert not r.exists("asynq:{default}:groups")
    assert not r.exists("asynq:{default}:g:g")


def test_by_max_delay(broker, client, clock, r):
    agg = aggregator(broker, clock, grace_period=60, max_delay=100)
    for _ in range(12):  # a task every 10 s: grace never elapses
        add(client, clock, 1, step=10)
        if agg.tick():
            break
    (msg,) = pending_messages(r)
    assert msg.payload.count(b",") == 9  # 10 tasks: the oldest is 100 s old at the 10th tick
    assert not r.exists("asynq:{default}:g:g")


def test_group_in_other_queue_forced_into_its_queue(broker, client, clock, r):
    add(client, clock, 2, queue="low")

    def elsewhere(group, tasks):
        return Task("agg", b"x", queue="critical")

    agg = Aggregator(
        broker, ["low"], grace_period=1, max_delay=0, max_size=2, aggregate=elsewhere, clock=clock
    )
    (info,) = agg.tick()
    assert info.queue == "low"
    assert [m.type for m in pending_messages(r, "low")] == ["agg"]


def test_failing_aggregator_leaves_set_then_reclaimed(broker, client, clock, r):
    ids = add(client, clock, 3)

    def boom(group, tasks):
        raise RuntimeError("nope")

    agg = aggregator(broker, clock, max_size=3, aggregate=boom)
    assert agg.tick() == []
    (set_key,) = r.zrange("asynq:{default}:aggregation_sets", 0, -1)
    assert set_key.startswith(b"asynq:{default}:g:g:")
    assert r.zscore("asynq:{default}:aggregation_sets", set_key) == int(clock.now()) + 120
    assert r.zcard(set_key) == 3 and not r.exists("asynq:{default}:g:g")
    # before the deadline nothing is reclaimed
    assert broker.reclaim_stale_aggregation_sets("default", clock.now() + 119) == 0
    clock.advance(120)
    assert broker.reclaim_stale_aggregation_sets("default", clock.now()) == 1
    assert not r.exists(set_key)
    assert not r.exists("asynq:{default}:aggregation_sets")
    assert [m.decode() for m in r.zrange("asynq:{default}:g:g", 0, -1)] == ids
    # as in Go, the groups set is not re-populated by a reclaim (spec §4.24, §15.14)
    assert not r.exists("asynq:{default}:groups")
    for tid in ids:
        assert r.hget(f"asynq:{{default}}:t:{tid}", "state") == b"aggregating"


def test_broker_ops_directly(broker, client, clock, r):
    ids = add(client, clock, 4, step=0)
    set_id = str(uuid.uuid4())
    now = clock.now()
    assert not broker.aggregation_check("default", "g", set_id, 0, 0, 60, now)
    assert broker.aggregation_check("default", "g", set_id, 0, 0, 60, now + 60)
    msgs, deadline = broker.read_aggregation_set("default", "g", set_id)
    assert deadline == int(now + 60) + 120
    assert sorted(decode_task(m).id for m in msgs) == sorted(ids)
    broker.delete_aggregation_set("default", "g", set_id)
    assert not r.exists(f"asynq:{{default}}:g:g:{set_id}")
    for tid in ids:
        assert not r.exists(f"asynq:{{default}}:t:{tid}")
    assert broker.list_groups_raw("default") == []


def test_aggregator_thread_runs(broker, client, clock, r):
    add(client, clock, 2)
    agg = aggregator(broker, clock, max_size=2, interval=3600)
    agg.start()
    try:
        assert agg.trigger(wait=5)  # one pass on the aggregator's own thread
    finally:
        agg.stop()
    assert r.llen("asynq:{default}:pending") == 1


def test_grace_period_minimum():
    with pytest.raises(ValueError):
        Aggregator(object(), ["default"], grace_period=0.5, max_delay=0, max_size=0, aggregate=join)


def test_slow_aggregator_past_deadline_does_not_enqueue(broker, client, clock, r):
    add(client, clock, 2)

    def slow(group, tasks):
        clock.advance(121)  # the set deadline (check time + 120 s) passes meanwhile
        return join(group, tasks)

    agg = aggregator(broker, clock, max_size=2, aggregate=slow)
    assert agg.tick() == []
    assert r.llen("asynq:{default}:pending") == 0
    assert broker.reclaim_stale_aggregation_sets("default", clock.now()) == 1
    assert r.zcard("asynq:{default}:g:g") == 2
