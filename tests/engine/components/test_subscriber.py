"""Subscriber alone: ``asynq:cancel`` messages reach on_cancel and ``pyasynq:wake`` reaches
on_wake, on one connection; waits are on events, not sleeps."""

from __future__ import annotations

import threading
import time

from pyasynq import Task
from pyasynq.broker import keys
from pyasynq.components.subscriber import Subscriber


def test_cancel_and_wake_messages_are_delivered(broker, client, inspector, running):
    cancelled, woken = [], []
    got_cancel, got_wake = threading.Event(), threading.Event()

    def on_cancel(task_id):
        cancelled.append(task_id)
        got_cancel.set()

    def on_wake(queue, hand_over):
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


def test_a_hand_off_runs_in_its_reader_while_the_standby_listens_and_stop_does_not_wait(
    broker, redis_url, inspector, running
):
    """on_handoff gets hand_over: calling it gives the connection to the standby thread, so a
    cancel published while the handed-off work runs in the reading thread is still heard; a
    second hand-off meanwhile finds no thread standing by (False: run it elsewhere); stop()
    returns without waiting for the thread still running the work."""
    import redis as redis_py

    from pyasynq.broker.proto import TaskMessage

    release, started = threading.Event(), threading.Event()
    answers, cancelled = [], []

    def on_handoff(leased, hand_over):
        answers.append((leased.task_id, hand_over(), threading.current_thread().name))
        if leased.task_id == "first":
            started.set()
            release.wait(30)  # the "handler" runs here, in the thread that read it

    sub = Subscriber(broker, cancelled.append, on_handoff=on_handoff, handoff_id="W", poll=0.05)
    sub.start()
    r = redis_py.Redis.from_url(redis_url)
    try:
        assert sub.ready.wait(5)
        channel = keys.HANDOFF_PREFIX + "W"
        for task_id in ("first", "second"):
            msg = TaskMessage(type="t", id=task_id, queue="default").SerializeToString()
            r.publish(channel, b"99 " + msg)
            if task_id == "first":
                assert started.wait(5)
        deadline = time.monotonic() + 5
        while len(answers) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [(a[0], a[1]) for a in answers] == [("first", True), ("second", False)]
        assert answers[0][2] != answers[1][2]  # the standby read the second one
        inspector.cancel_processing("first")
        deadline = time.monotonic() + 5
        while not cancelled and time.monotonic() < deadline:
            time.sleep(0.01)
        assert cancelled == ["first"]
        t0 = time.monotonic()
        sub.stop()
        assert time.monotonic() - t0 < 2  # not held by the thread still in on_handoff
    finally:
        release.set()
        r.close()
