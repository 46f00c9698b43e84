"""Aggregator as a component: passes on its thread (``trigger(wait=...)``) aggregate a group
only once the ManualClock says it is ready. The group rules themselves are tested in
tests/engine/test_aggregation.py through ``tick()``."""

from __future__ import annotations

from pyasynq import Task
from pyasynq.broker import keys
from pyasynq.broker.codec import decode_task
from pyasynq.components.aggregator import Aggregator


def join(group, tasks):
    return Task("batch:" + group, b",".join(t.payload for t in tasks))


def test_group_aggregated_after_its_grace_period(broker, client, clock, r, running):
    for i in range(3):
        client.enqueue(Task("email", f"m{i}".encode()), group="g")
        clock.advance(1)  # the group keeps its tasks in the order they came
    agg = running(
        Aggregator(
            broker,
            ["default"],
            grace_period=10,
            max_delay=0,
            max_size=0,
            aggregate=join,
            clock=clock,
            interval=3600,
        )
    )
    clock.advance(7)  # 8 s after the last task: still within the grace period
    assert agg.trigger(wait=5)
    assert r.llen(keys.pending("default")) == 0 and r.zcard(keys.group("default", "g")) == 3
    clock.advance(2)  # 10 s after the last task
    assert agg.trigger(wait=5)
    (task_id,) = r.lrange(keys.pending("default"), 0, -1)
    msg = decode_task(r.hget(keys.task_key("default", task_id.decode()), "msg"))
    assert (msg.type, msg.payload) == ("batch:g", b"m0,m1,m2")
    assert r.zcard(keys.group("default", "g")) == 0


def test_a_failing_aggregate_function_does_not_stop_the_component(
    broker, client, clock, r, running
):
    calls = []

    def aggregate(group, tasks):
        calls.append(len(tasks))
        if len(calls) == 1:
            raise RuntimeError("user code failed")
        return join(group, tasks)

    client.enqueue(Task("email", b"x"), group="g")
    agg = running(
        Aggregator(
            broker,
            ["default"],
            grace_period=1,
            max_delay=0,
            max_size=1,
            aggregate=aggregate,
            clock=clock,
            interval=3600,
        )
    )
    assert agg.trigger(wait=5)
    assert r.llen(keys.pending("default")) == 0  # the set stays for the recoverer
    client.enqueue(Task("email", b"y"), group="g")
    assert agg.trigger(wait=5)
    assert calls == [1, 1] and r.llen(keys.pending("default")) == 1
