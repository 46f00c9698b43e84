"""Scheduler against a real Redis with a ManualClock (spec §4.28–4.29, §7.1)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from pyasynq import Task
from pyasynq.broker.codec import GO_ZERO_TIME, decode, decode_task
from pyasynq.broker.proto import SchedulerEnqueueEvent, SchedulerEntry
from pyasynq.errors import BrokerError
from pyasynq.scheduler import Scheduler
from tests.support.worker_util import wait_for

NY = ZoneInfo("America/New_York")


@pytest.fixture
def sched(redis_url, clock):
    s = Scheduler(redis_url, clock=clock, poll_interval=0.02)
    yield s
    s.shutdown()


def history(r, entry_id):
    return [
        (decode(SchedulerEnqueueEvent, m), score)
        for m, score in r.zrange(f"asynq:scheduler_history:{entry_id}", 0, -1, withscores=True)
    ]


def entries_in_redis(r, scheduler_id):
    return [
        decode(SchedulerEntry, e) for e in r.lrange(f"asynq:schedulers:{{{scheduler_id}}}", 0, -1)
    ]


def test_scheduler_id_and_entry_ids(sched):
    host, pid, sid = sched.id.rsplit(":", 2)
    assert host and int(pid) > 0 and len(sid) == 36
    eid = sched.register("@every 30s", Task("t"))
    assert len(eid) == 36


def test_fires_at_due_instants_and_records_history(sched, clock, r):
    t0 = clock.now()  # 1.8e9 is a whole minute boundary
    eid = sched.register("* * * * *", Task("ping", b"x"), queue="critical", max_retry=3)
    entry = sched.entry(eid)
    assert entry.next_time == t0 + 60 and entry.prev_time is None
    assert sched.tick() == []
    clock.advance(59)
    assert sched.tick() == []
    clock.advance(1)
    (res,) = sched.tick()
    assert res.error is None and res.due == t0 + 60
    assert sched.tick() == []  # once per due instant
    msg = decode_task(r.hget(f"asynq:{{critical}}:t:{res.info.id}", "msg"))
    assert (msg.type, msg.payload, msg.retry, msg.queue) == ("ping", b"x", 3, "critical")
    assert r.lrange("asynq:{critical}:pending", 0, -1) == [res.info.id.encode()]
    ((event, score),) = history(r, eid)
    assert event.task_id == res.info.id
    assert event.enqueue_time.seconds == int(t0 + 60) and score == t0 + 60
    assert (entry.prev_time, entry.next_time) == (t0 + 60, t0 + 120)


def test_clock_jump_coalesces_missed_runs(sched, clock, r):
    eid = sched.register("* * * * *", Task("t"))
    clock.advance(3600 + 5)
    assert len(sched.tick()) == 1
    assert sched.entry(eid).next_time == 1_800_000_000 + 3660
    assert len(history(r, eid)) == 1


def test_every_and_multiple_entries(sched, clock):
    a = sched.register("@every 10s", Task("a"))
    b = sched.register("@every 25s", Task("b"))
    fired = []
    for _ in range(50):
        clock.advance(1)
        fired += [res.entry_id for res in sched.tick()]
    assert fired.count(a) == 5 and fired.count(b) == 2


def test_dst_runs_in_named_zone(redis_url):
    from pyasynq.clock import ManualClock

    clock = ManualClock(datetime(2026, 3, 7, 12, 0, tzinfo=NY))
    s = Scheduler(redis_url, clock=clock, location="America/New_York")
    try:
        eid = s.register("30 2 * * *", Task("nightly"))
        fired = []
        while clock.now() < datetime(2026, 3, 11, tzinfo=NY).timestamp():
            clock.advance(300)
            fired += [datetime.fromtimestamp(x.due, NY).strftime("%d %H:%M %Z") for x in s.tick()]
        assert fired == ["08 03:00 EDT", "09 02:30 EDT", "10 02:30 EDT"]
        clock.set(datetime(2026, 10, 31, 12, 0, tzinfo=NY))
        s.unregister(eid)
        nightly_id = s.register("30 1 * * *", Task("nightly"))
        hourly = s.register("0 * * * *", Task("hourly"))
        fired = []
        while clock.now() < datetime(2026, 11, 1, 4, 30, tzinfo=NY).timestamp():
            clock.advance(300)
            fired += [
                (x.entry_id == hourly, datetime.fromtimestamp(x.due, NY).strftime("%H:%M %Z"))
                for x in s.tick()
            ]
        assert s.entry(nightly_id).runs == 1
        nightly = [t for is_hourly, t in fired if not is_hourly]
        assert nightly == ["01:30 EDT"]  # 01:30 happens twice that night; it ran once
        hours = [t for is_hourly, t in fired if is_hourly]
        assert hours[-5:] == ["00:00 EDT", "01:00 EDT", "02:00 EST", "03:00 EST", "04:00 EST"]
        assert len(hours) == len(set(hours))
    finally:
        s.shutdown()


def test_heartbeat_writes_entries_as_spec(sched, clock, r):
    t0 = clock.now()
    eid = sched.register(
        "*/5 * * * *", Task("report", b"{}"), queue="low", timeout=1800, unique=3600
    )
    sched.heartbeat()
    key = f"asynq:schedulers:{{{sched.id}}}"
    assert r.zscore("asynq:schedulers", key) == t0 + 20
    assert 0 < r.ttl(key) <= 20
    (entry,) = entries_in_redis(r, sched.id)
    assert (entry.id, entry.spec, entry.task_type, entry.task_payload) == (
        eid,
        "*/5 * * * *",
        "report",
        b"{}",
    )
    assert list(entry.enqueue_options) == ['Queue("low")', "Timeout(30m0s)", "Unique(1h0m0s)"]
    assert entry.next_enqueue_time.seconds == int(t0) + 300
    assert entry.HasField("prev_enqueue_time")
    assert (entry.prev_enqueue_time.seconds, entry.prev_enqueue_time.nanos) == (GO_ZERO_TIME, 0)
    clock.advance(300)
    sched.tick()
    sched.heartbeat()
    (entry,) = entries_in_redis(r, sched.id)
    assert entry.prev_enqueue_time.seconds == int(t0) + 300
    assert entry.next_enqueue_time.seconds == int(t0) + 600


def test_entries_pushed_in_next_time_order(sched, r):
    late = sched.register("@every 1h", Task("late"))
    soon = sched.register("@every 1m", Task("soon"))
    sched.heartbeat()
    # LPUSH in next-time order: the list reads latest first, as Go's does
    assert [e.id for e in entries_in_redis(r, sched.id)] == [late, soon]


def test_unregister(sched, clock, r):
    eid = sched.register("@every 10s", Task("t"))
    sched.unregister(eid)
    with pytest.raises(KeyError):
        sched.unregister(eid)
    clock.advance(20)
    assert sched.tick() == []
    sched.heartbeat()
    assert entries_in_redis(r, sched.id) == []


def test_register_validates(sched):
    with pytest.raises(ValueError):
        sched.register("* * *", Task("t"))
    with pytest.raises(TypeError):
        sched.register("@daily", Task("t"), bogus=1)
    with pytest.raises(ValueError):
        sched.register("@daily", Task("t"), unique=0.5)


def test_enqueue_errors_go_to_hooks_and_never_crash(sched, clock, r, caplog):
    seen = {"pre": [], "post": [], "err": []}
    sched.pre_enqueue = lambda task, opts: seen["pre"].append((task.type, opts))
    sched.post_enqueue = lambda info, err: seen["post"].append((info, err))
    sched.error_handler = lambda task, opts, err: seen["err"].append(err)
    eid = sched.register("@every 10s", Task("t"), task_id="fixed-id")
    clock.advance(10)
    (ok,) = sched.tick()
    assert ok.error is None and ok.info.id == "fixed-id"
    clock.advance(10)
    with caplog.at_level(logging.ERROR, logger="pyasynq.scheduler"):
        (bad,) = sched.tick()
    assert bad.error is not None and bad.info is None  # task ID conflict
    assert "could not enqueue" in caplog.text
    assert seen["pre"] == [("t", {"task_id": "fixed-id"})] * 2
    assert seen["post"][0][1] is None and seen["post"][1] == (None, bad.error)
    assert seen["err"] == [bad.error]
    entry = sched.entry(eid)
    assert entry.errors == 1 and entry.last_error is bad.error and entry.runs == 2
    assert len(history(r, eid)) == 1  # failures are not written to the wire history (Go's rule)


def test_failing_hooks_are_contained(sched, clock):
    def explode(*args):
        raise RuntimeError("hook bug")

    sched.pre_enqueue = sched.post_enqueue = explode
    sched.register("@every 1s", Task("t"))
    clock.advance(1)
    (res,) = sched.tick()
    assert res.error is None


def test_redis_down_does_not_crash_tick(sched, clock, monkeypatch):
    def down(task, **opts):
        raise BrokerError("cannot reach Redis at 127.0.0.1:1: refused")

    monkeypatch.setattr(sched.client, "enqueue", down)
    errors = []
    sched.error_handler = lambda task, opts, err: errors.append(err)
    sched.register("@every 1s", Task("t"))
    clock.advance(1)
    (res,) = sched.tick()
    assert isinstance(res.error, BrokerError) and errors == [res.error]
    clock.advance(1)
    assert len(sched.tick()) == 1  # it keeps going


def test_history_trimmed_to_1000(sched, r):
    for i in range(1005):
        sched.broker.record_scheduler_enqueue_event("e1", f"ev{i}".encode(), 1000 + i)
    assert r.zcard("asynq:scheduler_history:e1") == 1000
    assert r.zrange("asynq:scheduler_history:e1", 0, 0) == [b"ev5"]


def test_run_loop_with_manual_clock_heartbeat_and_shutdown(redis_url, clock, r):
    s = Scheduler(redis_url, clock=clock, heartbeat_interval=10, poll_interval=0.01)
    eid = s.register("@every 5s", Task("t"))
    s.start()
    key = f"asynq:schedulers:{{{s.id}}}"
    try:
        clock.advance(5)
        wait_for(lambda: len(history(r, eid)) == 1, timeout=3)  # the loop ran at +5 s...
        assert not r.exists(key)  # ...and wrote no beat: the first is after one interval
        clock.advance(10)
        wait_for(lambda: r.exists(key) and len(history(r, eid)) >= 2, timeout=3)
        assert r.zscore("asynq:schedulers", key) is not None
        assert len(history(r, eid)) == 2  # 10 s and 15 s were both passed in one jump
    finally:
        s.shutdown()
    assert not r.exists(key)
    assert r.zscore("asynq:schedulers", key) is None
    assert not r.exists(f"asynq:scheduler_history:{eid}")
    assert not s.running


def test_run_blocks_until_stopped(redis_url, clock, r):
    import threading

    s = Scheduler(redis_url, clock=clock, poll_interval=0.01)
    s.register("@every 1s", Task("t"))
    t = threading.Thread(target=s.run)
    t.start()
    clock.advance(1)
    wait_for(lambda: r.llen("asynq:{default}:pending") == 1, timeout=3)  # run() is working...
    assert t.is_alive()  # ...and has not returned
    s.stop()
    t.join(2)
    assert not t.is_alive()


def test_entry_times_as_datetimes(sched, clock):
    eid = sched.register("@hourly", Task("t"))
    entry = sched.entry(eid)
    assert entry.next_enqueue_at == datetime.fromtimestamp(
        1_800_000_000 + 3600 - 1_800_000_000 % 3600, UTC
    )
    assert entry.prev_enqueue_at is None


def test_paused_entry_is_skipped_but_keeps_its_beat(sched, clock, r):
    """Paused from the console (pyasynq:scheduler:paused): no enqueue, next time still moves."""
    eid = sched.register("* * * * *", Task("ping"))
    other = sched.register("* * * * *", Task("pong"))
    r.sadd("pyasynq:scheduler:paused", eid)
    clock.advance(60)
    fired = sched.tick()
    assert [f.entry_id for f in fired] == [other]
    assert sched.entry(eid).next_time == clock.now() + 60 and sched.entry(eid).skipped == 1
    assert history(r, eid) == []
    r.srem("pyasynq:scheduler:paused", eid)
    clock.advance(60)
    assert {f.entry_id for f in sched.tick()} == {eid, other}
    assert len(history(r, eid)) == 1
