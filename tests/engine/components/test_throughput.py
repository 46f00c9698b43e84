"""ThroughputRecorder alone: one sample per queue per minute, whatever the number of passes."""

from __future__ import annotations

from pyasynq import Task
from pyasynq.components.throughput import ThroughputRecorder

KEY = "pyasynq:{default}:throughput"


def test_one_sample_per_minute(broker, client, clock, r, running):
    client.enqueue(Task("t"))
    rec = running(ThroughputRecorder(broker, clock=clock, interval=3600))
    assert rec.trigger(wait=5)  # (the start pass may or may not have sampled already)
    assert r.zcard(KEY) == 1
    assert rec.trigger(wait=5)
    assert r.zcard(KEY) == 1  # same minute: nothing more written
    clock.advance(60)
    assert rec.trigger(wait=5)
    assert r.zcard(KEY) == 2


def test_new_queues_are_picked_up(broker, client, clock, r, running):
    client.enqueue(Task("t"))
    rec = running(ThroughputRecorder(broker, clock=clock, interval=3600))
    assert rec.trigger(wait=5)
    client.enqueue(Task("t"), queue="later")
    assert rec.trigger(wait=5)
    assert r.zcard("pyasynq:{later}:throughput") == 1
