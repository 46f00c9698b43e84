"""Recoverer alone: tasks whose lease ran out (past the cutoff) are retried or archived."""

from __future__ import annotations

from pyasynq import Task
from pyasynq.broker import keys
from pyasynq.broker.codec import decode_task
from pyasynq.components.recoverer import Recoverer

LEASE = 30  # Asynq's lease


def make(broker, clock, *, cutoff=30, delay=7):
    return Recoverer(
        broker,
        ["default"],
        interval=3600,
        clock=clock,
        cutoff=cutoff,
        retry_delay_func=lambda n, err, task: delay,
        is_failure=lambda err: True,
    )


def lease_one(broker, client, **options):
    """A task taken by a worker that then died (its lease is never extended)."""
    info = client.enqueue(Task("t", b"x"), **options)
    (leased,) = broker.dequeue_batch(["default"], 1)
    assert leased.task_id == info.id
    return info.id


def stored(r, task_id):
    return decode_task(r.hget(keys.task_key("default", task_id), "msg"))


def test_expired_lease_within_cutoff_is_left_alone(broker, client, clock, r, running):
    task_id = lease_one(broker, client, max_retry=3)
    rec = running(make(broker, clock))
    clock.advance(LEASE + 29)  # lease over, but within the clock-skew allowance
    assert rec.trigger(wait=5)
    assert r.lrange(keys.active("default"), 0, -1) == [task_id.encode()]
    assert rec.recovered == 0


def test_expired_lease_past_cutoff_is_retried_with_the_delay(broker, client, clock, r, running):
    task_id = lease_one(broker, client, max_retry=3)
    rec = running(make(broker, clock, delay=7))
    clock.advance(LEASE + 31)
    assert rec.trigger(wait=5)
    assert r.llen(keys.active("default")) == 0 and r.zcard(keys.lease("default")) == 0
    assert r.zscore(keys.retry("default"), task_id) == int(clock.now()) + 7
    msg = stored(r, task_id)
    assert (msg.retried, msg.error_msg) == (1, "asynq: task lease expired")
    assert rec.recovered == 1


def test_expired_lease_without_retries_left_is_archived(broker, client, clock, r, running):
    task_id = lease_one(broker, client, max_retry=0)
    rec = running(make(broker, clock))
    clock.advance(LEASE + 31)
    assert rec.trigger(wait=5)
    assert r.zscore(keys.archived("default"), task_id) == int(clock.now())
    assert stored(r, task_id).error_msg == "asynq: task lease expired"


def test_a_task_without_its_hash_is_archived_as_unreadable(broker, client, clock, r, running):
    task_id = lease_one(broker, client, max_retry=3)
    r.delete(keys.task_key("default", task_id))  # lost data: it can never run
    rec = running(make(broker, clock))
    clock.advance(LEASE + 31)
    assert rec.trigger(wait=5)
    assert rec.archived_unreadable == 1
    assert r.llen(keys.active("default")) == 0 and r.zcard(keys.lease("default")) == 0
