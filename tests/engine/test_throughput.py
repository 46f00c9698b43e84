"""Per-minute throughput: recorded by ThroughputRecorder from Go's counters, read back as rates."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from pyasynq import Client, Inspector, ServeMux, Server, Task
from pyasynq.broker.broker import Broker
from pyasynq.clock import ManualClock
from pyasynq.components.throughput import ThroughputRecorder
from pyasynq.inspector_metrics import minute_points

T0 = 1_800_000_000 - 1_800_000_000 % 60  # a minute boundary


@pytest.fixture
def mclock() -> ManualClock:
    return ManualClock(T0 + 5)


def _setup(redis_url, mclock, queues=("default",)):
    broker = Broker(redis_url, clock=mclock)
    with Client(redis_url) as client:
        for q in queues:
            client.enqueue(Task("t"), queue=q)
    return broker, ThroughputRecorder(broker, clock=mclock), Inspector(redis_url, clock=mclock)


def test_samples_become_per_minute_counts(redis_url, r, mclock):
    broker, rec, insp = _setup(redis_url, mclock)
    totals = [(0, 0), (10, 1), (25, 3), (25, 3), (40, 4)]
    for p, f in totals:
        r.set("asynq:{default}:processed", p)
        r.set("asynq:{default}:failed", f)
        assert rec.record() == 1
        assert rec.record() == 0  # once per minute, however often it runs
        mclock.advance(60)
    points = insp.throughput("default", minutes=10)
    assert [(p.processed, p.failed) for p in points] == [(10, 1), (15, 2), (0, 0), (15, 1)]
    assert points[0].minute == datetime.fromtimestamp(T0, UTC)
    assert points[1].succeeded == 13
    # bounded key outside Go's namespace, in the queue's slot
    assert r.zcard("pyasynq:{default}:throughput") == 5
    assert r.ttl("pyasynq:{default}:throughput") > 0
    insp.close()
    broker.close()


def test_counter_reset_and_gaps(redis_url, r, mclock):
    broker, rec, insp = _setup(redis_url, mclock)
    for p in (100, 130):
        r.set("asynq:{default}:processed", p)
        rec.record()
        mclock.advance(60)
    r.set("asynq:{default}:processed", 7)  # queue re-created: the counter restarted
    rec.record()
    mclock.advance(180)  # no recorder for two minutes
    r.set("asynq:{default}:processed", 17)
    rec.record()
    mclock.advance(60)
    points = insp.throughput("default", minutes=10)
    assert [p.processed for p in points] == [30, 7, 4, 3, 3]
    assert sum(p.processed for p in points) == 30 + 7 + 10
    insp.close()
    broker.close()


def test_two_recorders_write_one_sample_per_minute(redis_url, r, mclock):
    broker, rec, insp = _setup(redis_url, mclock, queues=("a", "b"))
    other = ThroughputRecorder(Broker(redis_url, clock=mclock), clock=mclock)
    assert rec.record() == 2
    assert other.record() == 0
    assert r.zcard("pyasynq:{a}:throughput") == 1
    insp.close()


def test_series_is_trimmed_to_a_day(redis_url, r, mclock):
    broker, _, insp = _setup(redis_url, mclock)
    rec = ThroughputRecorder(broker, clock=mclock, keep_minutes=3)
    for _ in range(6):
        rec.record()
        mclock.advance(60)
    assert r.zcard("pyasynq:{default}:throughput") == 4
    insp.close()


def test_bad_arguments_and_unknown_queue(redis_url, mclock):
    _, _, insp = _setup(redis_url, mclock)
    with pytest.raises(ValueError):
        insp.throughput("default", minutes=0)
    with pytest.raises(ValueError):
        insp.throughput("default", minutes=100_000)
    from pyasynq.errors import QueueNotFoundError

    with pytest.raises(QueueNotFoundError):
        insp.throughput("nope")
    insp.close()


def test_minute_points_pure():
    s = [(0, 0, 0), (60, 5, 1), (240, 11, 1)]
    pts = minute_points(s, 0, 300)
    assert [(int(p.minute.timestamp()), p.processed, p.failed) for p in pts] == [
        (0, 5, 1),
        (60, 2, 0),
        (120, 2, 0),
        (180, 2, 0),
    ]
    assert minute_points(s, 120, 180)[0].processed == 2


def test_redis_down_is_logged_once(caplog):
    from tests.support.redis_server import free_port

    rec = ThroughputRecorder(
        Broker(f"redis://127.0.0.1:{free_port()}/0"), clock=ManualClock(T0), interval=1
    )
    rec._safe_run()
    rec._safe_run()
    assert sum("Redis unreachable" in m for m in caplog.messages) == 1


def test_a_running_server_records_throughput(redis_url, r):
    mux = ServeMux()
    mux.handle_func("ok", lambda ctx, task: None)
    server = Server(
        redis_url,
        concurrency=2,
        queues={"default": 1},
        heartbeat_interval=1,
        throughput_interval=0.2,
    )
    with Client(redis_url) as client:
        client.enqueue(Task("ok"), queue="default")
    server.start(mux)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not r.exists("pyasynq:{default}:throughput"):
            time.sleep(0.05)
        assert r.zcard("pyasynq:{default}:throughput") == 1
    finally:
        server.shutdown()
    assert not any(k.startswith(b"asynq:") and b"throughput" in k for k in r.scan_iter())
