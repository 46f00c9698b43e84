"""``queue_info.lua`` and the pipelined ``Inspector.get_queue_infos``/``histories`` (spec §5.2, §5.3).

The combined script must give exactly what the two separate scripts it replaced give
(``queue_stats.lua`` for the counts, ``memory_usage.lua`` for Go's memory estimate; both kept as
oracles in tests/support/reference_lua), on every shape of queue, including the odd ones: missing task
hashes, empty groups, more groups than the group sample, long lists.
"""

from __future__ import annotations

import pytest

from pyasynq import Client, Inspector, QueueNotFoundError, Task
from pyasynq.broker.broker import Broker
from tests.engine.test_inspector import NOW, put
from tests.support import reference_lua


@pytest.fixture
def insp(redis_url, clock):
    i = Inspector(redis_url, clock=clock)
    yield i
    i.close()


@pytest.fixture
def broker(redis_url, clock):
    b = Broker(redis_url, clock=clock)
    yield b
    b.close()


def fill(r, redis_url, clock) -> list[str]:
    """Several queues covering every state and the memory estimate's edge cases."""
    with Client(redis_url, clock=clock) as c:
        c.enqueue_many([(Task("t", b"x" * (i % 7 * 30)), {"queue": "big"}) for i in range(60)])
        c.enqueue(Task("t"), queue="big", process_in=60)
        for g in range(7):  # more groups than GROUP_SAMPLE (5)
            for _ in range(g + 1):
                c.enqueue(Task("t", b"y" * g * 10), queue="big", group=f"g{g}")
        c.enqueue(Task("t"), queue="paused")
    for i in range(25):
        put(r, "big", f"act{i}", "active")
        put(r, "big", f"arc{i}", "archived", score=NOW - i)
    put(r, "big", "ret", "retry", score=NOW + 100)
    put(r, "big", "com", "completed", score=NOW + 3600)
    r.set("asynq:{paused}:paused", NOW)
    r.set("asynq:{paused}:processed:2027-01-15", 3)
    r.set("asynq:{paused}:failed", 9)
    # ghosts: ids without a task hash (skipped by MEMORY USAGE), an empty group
    put(r, "ghosty", "real", "pending")
    r.lpush("asynq:{ghosty}:pending", "ghost")
    r.zadd("asynq:{ghosty}:scheduled", {"ghost2": NOW})
    r.sadd("asynq:{ghosty}:groups", "empty")
    r.sadd("asynq:queues", "empty")  # registered, no keys at all
    return ["big", "empty", "ghosty", "paused"]


def test_queue_info_script_equals_stats_plus_memory_scripts(broker, r, redis_url, clock):
    queues = fill(r, redis_url, clock)
    combined = broker.queue_infos(queues, clock.now())
    for q, got in zip(queues, combined, strict=True):
        stats = reference_lua.queue_stats(r, q, clock.now())
        assert got[:14] == stats, q
        assert got[14] == reference_lua.memory_usage(r, q), q
    assert combined[0][14] > 0 and combined[1][14] == 0


def test_get_queue_infos_equals_get_queue_info(insp, r, redis_url, clock):
    queues = fill(r, redis_url, clock)
    assert insp.get_queue_infos(queues) == [insp.get_queue_info(q) for q in queues]
    assert insp.get_queue_infos([]) == []
    assert [i.queue for i in insp.get_queue_infos(["paused", "big", "paused"])] == [
        "paused",
        "big",
        "paused",
    ]


def test_get_queue_infos_unknown_queue(insp, r, redis_url, clock):
    fill(r, redis_url, clock)
    with pytest.raises(QueueNotFoundError):
        insp.get_queue_infos(["big", "nope"])
    with pytest.raises(QueueNotFoundError):
        insp.get_queue_infos(["nope"])
    assert [i.queue for i in insp.get_queue_infos(["big", "nope"], skip_missing=True)] == ["big"]
    with pytest.raises(ValueError):
        insp.get_queue_infos(["  "])


def test_get_queue_infos_is_one_round_trip(insp, r, redis_url, clock, monkeypatch):
    """Not one script call per queue in turn: one pipeline for all queues (outside a cluster)."""
    queues = fill(r, redis_url, clock)
    calls = []
    real = insp.broker.run_many
    monkeypatch.setattr(insp.broker, "run_many", lambda c: calls.append(len(c)) or real(c))
    monkeypatch.setattr(insp.broker, "run", lambda *a, **k: pytest.fail("no single script call"))
    insp.get_queue_infos(queues)
    assert calls == [1]  # one pipeline, and outside a cluster one queue_info.lua call for them all


def test_histories_equal_history(insp, r, redis_url, clock):
    queues = fill(r, redis_url, clock)
    r.set("asynq:{big}:processed:2027-01-13", 7)
    r.set("asynq:{big}:failed:2027-01-14", 2)
    for days in (1, 3, 90):
        got = insp.histories(queues, days)
        assert list(got) == queues
        assert got == {q: insp.history(q, days) for q in queues}
    assert [(d.processed, d.failed) for d in insp.histories(["big"], 3)["big"]] == [
        (0, 0),
        (0, 2),
        (7, 0),
    ]
    assert insp.histories([], 7) == {}
    with pytest.raises(ValueError):
        insp.histories(queues, 0)
