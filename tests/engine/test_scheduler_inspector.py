"""What a Scheduler writes is what the Inspector (and so `pyasynq cron ls`) reads (spec §5.15)."""

from __future__ import annotations

from datetime import UTC, datetime

import pyasynq.inspector as inspector_mod
from pyasynq import Task
from pyasynq.scheduler import Scheduler


def test_inspector_lists_entries_and_history(redis_url, clock):
    s = Scheduler(redis_url, clock=clock)
    insp = inspector_mod.Inspector(redis_url, clock=clock)
    try:
        t0 = clock.now()
        eid = s.register("@every 1m", Task("report", b"{}"), queue="low", max_retry=2)
        s.heartbeat()
        (entry,) = insp.scheduler_entries()
        assert (entry.id, entry.spec, entry.task_type, entry.task_payload) == (
            eid,
            "@every 1m",
            "report",
            b"{}",
        )
        assert entry.options == ['Queue("low")', "MaxRetry(2)"]
        assert entry.next_enqueue_at == datetime.fromtimestamp(t0 + 60, UTC)
        assert entry.prev_enqueue_at is None  # Go's zero time reads as "never"
        assert entry.scheduler_id == s.id

        ids = []
        for _ in range(3):
            clock.advance(60)
            ids += [res.info.id for res in s.tick()]
        s.heartbeat()
        (entry,) = insp.scheduler_entries()
        assert entry.prev_enqueue_at == datetime.fromtimestamp(t0 + 180, UTC)
        assert entry.next_enqueue_at == datetime.fromtimestamp(t0 + 240, UTC)
        events = insp.list_scheduler_enqueue_events(eid)
        assert [e.task_id for e in events] == ids[::-1]  # newest first
        assert events[0].enqueued_at == datetime.fromtimestamp(t0 + 180, UTC)
        assert [
            e.task_id for e in insp.list_scheduler_enqueue_events(eid, page_size=2, page=2)
        ] == [ids[0]]
    finally:
        s.shutdown()
    assert insp.scheduler_entries() == []
    assert insp.list_scheduler_enqueue_events(eid) == []
    insp.close()


def test_stale_scheduler_disappears_after_ttl(redis_url, clock):
    s = Scheduler(redis_url, clock=clock)
    insp = inspector_mod.Inspector(redis_url, clock=clock)
    s.register("@daily", Task("t"))
    s.heartbeat()
    assert len(insp.scheduler_entries()) == 1
    clock.advance(21)  # TTL 20 s: readers prune it by score
    assert insp.scheduler_entries() == []
    s.shutdown()
    insp.close()
