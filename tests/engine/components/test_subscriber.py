"""Subscriber alone: ``asynq:cancel`` messages reach on_cancel and ``pyasynq:wake`` reaches
on_wake, on one connection; waits are on events, not sleeps."""

from __future__ import annotations

import threading

from pyasynq import Task
from pyasynq.components.subscriber import Subscriber


def test_cancel_and_wake_messages_are_delivered(broker, client, inspector, running):
    cancelled, woken = [], []
    got_cancel, got_wake = threading.Event(), threading.Event()

    def on_cancel(task_id):
        cancelled.append(task_id)
        got_cancel.set()

    def on_wake(queue):
        woken.append(queue)
        got_wake.set()

    sub = running(Subscriber(broker, on_cancel, on_wake=on_wake, poll=0.05))
    assert sub.ready.wait(5)
    inspector.cancel_processing("task-1")
    assert got_cancel.wait(5)
    assert cancelled == ["task-1"]
    client.enqueue(Task("t"), queue="q1")
    assert got_wake.wait(5)
    assert woken == ["q1"]


def test_stop_returns_promptly(broker):
    sub = Subscriber(broker, lambda task_id: None, poll=0.05)
    sub.start()
    assert sub.ready.wait(5)
    sub.stop()
    assert sub._thread is not None and not sub._thread.is_alive()
