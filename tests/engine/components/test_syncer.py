"""Syncer alone: failed post-processing writes are retried each pass until they succeed or
their task's lease deadline passes; a task no longer active drops its write."""

from __future__ import annotations

from pyasynq import Task
from pyasynq.broker import keys
from pyasynq.broker.worker import TaskNotActiveError
from pyasynq.components.syncer import Syncer
from pyasynq.errors import RedisUnavailableError


def test_a_write_is_retried_until_it_succeeds(broker, client, clock, r, running):
    info = client.enqueue(Task("t", b"x"))
    broker.dequeue_batch(["default"], 1)
    failures = [RedisUnavailableError("redis away")]

    def write():
        if failures:
            raise failures.pop()
        broker.done("default", info.id)

    syncer = running(Syncer(interval=3600, clock=clock))
    syncer.add("done for t", write, deadline=clock.now() + 30)
    assert syncer.trigger(wait=5)
    assert syncer.pending == 1 and r.llen(keys.active("default")) == 1
    assert syncer.trigger(wait=5)
    assert syncer.pending == 0 and r.llen(keys.active("default")) == 0
    assert r.get(keys.processed_total("default")) == b"1"


def test_a_write_past_its_deadline_is_dropped(clock, running):
    ran = []
    syncer = running(Syncer(interval=3600, clock=clock))
    syncer.add("late", lambda: ran.append(1), deadline=clock.now() + 5)
    clock.advance(6)
    assert syncer.trigger(wait=5)
    assert ran == [] and syncer.pending == 0


def test_a_task_no_longer_active_drops_its_write(broker, clock, running):
    def write():
        raise TaskNotActiveError("gone")

    syncer = running(Syncer(interval=3600, clock=clock))
    syncer.add("gone", write, deadline=clock.now() + 30)
    assert syncer.trigger(wait=5)
    assert syncer.pending == 0


def test_stop_tries_once_more(clock):
    ran = []
    syncer = Syncer(interval=3600, clock=clock)
    syncer.start()
    syncer.add("final", lambda: ran.append(1), deadline=clock.now() + 30)
    syncer.stop()
    assert ran == [1] and syncer.pending == 0
