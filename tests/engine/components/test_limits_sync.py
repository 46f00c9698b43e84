"""LimitsSync alone: limits loaded before the first fetch, slot leases renewed, releases sent."""

from __future__ import annotations

from pyasynq import Limit, Limits, Task
from pyasynq.broker.extras import limits as lkeys
from pyasynq.components.limits_sync import LimitsSync
from pyasynq.extras.limiter import Limiter

HOLD = 9.0


def test_start_loads_limits_and_passes_renew_and_release_slots(broker, client, clock, r, running):
    Limits(broker).set_many([Limit("c", "concurrency", 1, queue="default")])
    lim = Limiter(broker, clock=clock, queues=["default"], hold_lease=HOLD)
    sync = running(LimitsSync(lim, refresh_interval=2, clock=clock, tick=3600))
    assert [x.name for x in lim.rules] == ["c"]  # loaded in start(), before any fetch
    ids = [client.enqueue(Task("t")).id for _ in range(2)]
    admitted = lim.admit(broker.dequeue_batch(["default"], 2))
    assert [x.task_id for x in admitted] == ids[:1]
    assert r.zscore(lkeys.holders_key("c"), ids[0]) == clock.now() + HOLD
    clock.advance(HOLD - 1)
    assert sync.trigger(wait=5)
    assert r.zscore(lkeys.holders_key("c"), ids[0]) == clock.now() + HOLD  # renewed
    lim.release(ids[0])
    assert r.zcard(lkeys.holders_key("c")) == 1  # not sent yet
    assert sync.trigger(wait=5)
    assert r.zcard(lkeys.holders_key("c")) == 0


def test_a_removed_limit_reaches_a_waiting_worker(broker, client, clock, running):
    Limits(broker).set_many([Limit("c", "concurrency", 1, queue="default")])
    lim = Limiter(broker, clock=clock, queues=["default"], hold_lease=HOLD)
    sync = running(LimitsSync(lim, refresh_interval=2, clock=clock, tick=3600))
    for _ in range(2):
        client.enqueue(Task("t"))
    lim.admit(broker.dequeue_batch(["default"], 2))
    assert lim.open_queues(["default"]) == []  # full: the queue is skipped
    assert Limits(broker).remove("c")
    clock.advance(2)
    assert sync.trigger(wait=5)  # a waiting worker refreshes on its own, without fetching
    assert lim.rules == [] and lim.open_queues(["default"]) == ["default"]
