"""Forwarder alone: due scheduled and retry tasks move to pending when the clock says so."""

from __future__ import annotations

from pyasynq import Task
from pyasynq.broker import keys
from pyasynq.components.forwarder import Forwarder


def make(broker, clock, queues=("default",)):
    return Forwarder(broker, list(queues), interval=3600, clock=clock)


def test_scheduled_task_moves_only_once_due(broker, client, clock, r, running):
    info = client.enqueue(Task("t", b"x"), process_in=60)
    fwd = running(make(broker, clock))
    assert fwd.trigger(wait=5)
    assert r.zscore(keys.scheduled("default"), info.id) is not None  # not due yet
    assert r.llen(keys.pending("default")) == 0
    clock.advance(60)
    assert fwd.trigger(wait=5)
    assert r.lrange(keys.pending("default"), 0, -1) == [info.id.encode()]
    assert r.zcard(keys.scheduled("default")) == 0


def test_each_queue_is_served(broker, client, clock, r, running):
    a = client.enqueue(Task("t", b"a"), queue="a", process_in=5)
    b = client.enqueue(Task("t", b"b"), queue="b", process_in=500)
    fwd = running(make(broker, clock, ["a", "b"]))
    clock.advance(10)
    assert fwd.trigger(wait=5)
    assert r.lrange(keys.pending("a"), 0, -1) == [a.id.encode()]
    assert r.zscore(keys.scheduled("b"), b.id) is not None
    clock.advance(1000)
    assert fwd.trigger(wait=5)
    assert r.lrange(keys.pending("b"), 0, -1) == [b.id.encode()]


def test_retry_task_moves_once_its_retry_time_comes(broker, client, clock, r, running):
    info = client.enqueue(Task("t", b"x"))
    (leased,) = broker.dequeue_batch(["default"], 1)
    msg, problem = leased.message()
    assert problem == ""
    broker.retry(msg, clock.now() + 30, "boom", is_failure=True)
    fwd = running(make(broker, clock))
    clock.advance(29)
    assert fwd.trigger(wait=5)
    assert r.zscore(keys.retry("default"), info.id) is not None
    clock.advance(1)
    assert fwd.trigger(wait=5)
    assert r.lrange(keys.pending("default"), 0, -1) == [info.id.encode()]


def test_first_pass_waits_one_interval(broker, client, clock, r, running):
    client.enqueue(Task("t", b"x"), process_in=1)
    clock.advance(5)
    fwd = running(make(broker, clock))
    assert fwd.runs == 0  # Go's forwarder first runs after one interval, not at start
    assert fwd.trigger(wait=5)
    assert r.llen(keys.pending("default")) == 1
