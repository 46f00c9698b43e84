"""Janitor alone: completed tasks are deleted once their retention ends, not before."""

from __future__ import annotations

from pyasynq import Task
from pyasynq.broker import keys
from pyasynq.components.janitor import Janitor


def complete(broker, client, queue="default", retention=60):
    """A task completed with ``retention`` seconds, as the processor leaves it."""
    info = client.enqueue(Task("t", b"x"), queue=queue, retention=retention)
    (leased,) = broker.dequeue_batch([queue], 1)
    msg, problem = leased.message()
    assert problem == ""
    broker.mark_complete(msg)
    return info.id


def test_deletes_completed_tasks_only_after_retention(broker, client, clock, r, running):
    task_id = complete(broker, client, retention=60)
    jan = running(Janitor(broker, ["default"], interval=3600, clock=clock))
    assert jan.trigger(wait=5)
    assert r.zscore(keys.completed("default"), task_id) is not None
    assert r.exists(keys.task_key("default", task_id))
    clock.advance(61)
    assert jan.trigger(wait=5)
    assert r.zcard(keys.completed("default")) == 0
    assert not r.exists(keys.task_key("default", task_id))


def test_batches_cover_every_expired_task(broker, client, clock, r, running):
    ids = [complete(broker, client, retention=10) for _ in range(7)]
    jan = running(Janitor(broker, ["default"], interval=3600, clock=clock, batch_size=3))
    clock.advance(11)
    assert jan.trigger(wait=5)
    assert r.zcard(keys.completed("default")) == 0
    assert not any(r.exists(keys.task_key("default", i)) for i in ids)


def test_a_queue_with_bad_data_does_not_stop_the_others(broker, client, clock, r, running):
    r.set(keys.completed("bad"), "not a sorted set")  # another program's damage
    good = complete(broker, client, queue="good", retention=10)
    jan = running(Janitor(broker, ["bad", "good"], interval=3600, clock=clock))
    clock.advance(11)
    assert jan.trigger(wait=5)
    assert not r.exists(keys.task_key("good", good))
    assert r.get(keys.completed("bad")) == b"not a sorted set"
