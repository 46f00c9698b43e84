"""Heartbeat alone: server state written with a TTL, leases of running tasks extended, state
cleared on stop. The processor is a real one (its handler blocks on an event)."""

from __future__ import annotations

import threading

import pytest

from pyasynq import Task
from pyasynq.broker import keys
from pyasynq.components.heartbeat import Heartbeat
from pyasynq.processor import Processor
from pyasynq.queues import QueueOrder
from tests.support.worker_util import wait_for


@pytest.fixture
def release():
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def processor(broker, clock, release):
    def handler(ctx, task):
        release.wait(10)

    p = Processor(
        broker,
        handler,
        concurrency=2,
        queue_order=QueueOrder({"default": 1}, False),
        clock=clock,
        task_check_interval=0.05,
        tick=0.02,
    )
    yield p
    release.set()
    if p._fetcher is not None:
        p.shutdown(2)


def make(broker, processor, clock, status):
    return Heartbeat(
        broker,
        processor,
        host="host-1",
        pid=4242,
        server_id="srv-1",
        concurrency=2,
        queues={"default": 1},
        strict_priority=False,
        status=lambda: status[0],
        interval=3600,
        clock=clock,
    )


def test_server_state_is_written_then_cleared_on_stop(broker, processor, clock, inspector, r):
    status = ["active"]
    hb = make(broker, processor, clock, status)
    hb.start()
    try:
        assert hb.trigger(wait=5)
        (info,) = inspector.servers()
        assert (info.host, info.pid, info.id, info.status) == ("host-1", 4242, "srv-1", "active")
        assert (info.concurrency, info.queues) == (2, {"default": 1})
        key = keys.server_info("host-1", 4242, "srv-1")
        assert 0 < r.ttl(key) <= 2 * 3600  # expires on its own if the process dies
        status[0] = "stopped"
        assert hb.trigger(wait=5)
        assert inspector.servers()[0].status == "stopped"
    finally:
        hb.stop()
    assert inspector.servers() == []


def test_running_tasks_have_their_lease_extended(
    broker, client, processor, clock, inspector, r, running
):
    info = client.enqueue(Task("t", b"x"))
    processor.start()
    wait_for(lambda: processor.active_jobs(), what="the task is running")
    first = r.zscore(keys.lease("default"), info.id)
    assert first == int(clock.now()) + 30
    hb = running(make(broker, processor, clock, ["active"]))
    clock.advance(20)
    assert hb.trigger(wait=5)
    assert r.zscore(keys.lease("default"), info.id) == int(clock.now()) + 30
    (worker,) = inspector.servers()[0].active_workers
    assert (worker.task_id, worker.queue) == (info.id, "default")
