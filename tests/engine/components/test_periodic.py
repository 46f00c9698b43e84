"""Periodic: ``trigger(wait=...)`` runs one pass on the component's thread and returns after it."""

from __future__ import annotations

import threading

from pyasynq.components.periodic import Periodic


class Counter(Periodic):
    name = "counter"

    def __init__(self, *, run_at_start: bool = False, block: threading.Event | None = None):
        super().__init__(3600, run_at_start=run_at_start)
        self.passes = 0
        self.block = block
        self.entered = threading.Event()

    def run_once(self) -> None:
        self.entered.set()
        if self.block is not None:
            self.block.wait(5)
        self.passes += 1


def test_trigger_wait_returns_after_the_pass(running):
    c = running(Counter())
    assert c.passes == 0  # the interval is an hour: nothing runs on its own
    assert c.trigger(wait=5) is True
    assert c.passes == 1 and c.runs == 1
    assert c.trigger(wait=5) is True
    assert c.passes == 2


def test_trigger_during_a_pass_waits_for_a_new_pass():
    block = threading.Event()
    c = Counter(run_at_start=True, block=block)
    c.start()
    try:
        assert c.entered.wait(5)  # the start pass is running and blocked
        done = []
        waiter = threading.Thread(target=lambda: done.append(c.trigger(wait=5)))
        waiter.start()
        block.set()  # the start pass ends; the waiter needs the pass after it
        waiter.join(10)
        assert done == [True] and c.passes == 2
    finally:
        c.stop()


def test_trigger_wait_on_a_stopped_component_times_out():
    c = Counter()
    c.start()
    c.stop()
    assert c.trigger(wait=0.05) is False
    assert c.passes == 0
