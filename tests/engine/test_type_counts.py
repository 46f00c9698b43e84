"""Tasks per type in one state, with bounded work: only a sample of N tasks is read."""

from __future__ import annotations

import pytest

from pyasynq import Client, Inspector, Task
from pyasynq.broker import keys
from tests.support.states import seed_task


def test_exact_counts_when_the_state_fits_the_sample(redis_url, r):
    with Client(redis_url) as client:
        for _ in range(5):
            client.enqueue(Task("email:send", b"{}"), queue="q")
        for _ in range(3):
            client.enqueue(Task("report", b"x" * 5000), queue="q")
        client.enqueue(Task("later"), queue="q", process_in=60)
        client.enqueue(Task("agg"), queue="q", group="g1")
    seed_task(r, "q", "archived", type="broken")
    with Inspector(redis_url) as insp:
        tc = insp.task_type_counts("q", "pending")
        assert tc.counts == {"email:send": 5, "report": 3}
        assert list(tc.counts) == ["email:send", "report"]  # most frequent first
        assert (tc.sampled, tc.total, tc.exact) == (8, 8, True)
        assert insp.task_type_counts("q", "scheduled").counts == {"later": 1}
        assert insp.task_type_counts("q", "archived").counts == {"broken": 1}
        assert insp.task_type_counts("q", "aggregating", group="g1").counts == {"agg": 1}
        assert insp.task_type_counts("q", "retry").counts == {}
        with pytest.raises(ValueError):
            insp.task_type_counts("q", "aggregating")
        with pytest.raises(ValueError):
            insp.task_type_counts("q", "bogus")
        with pytest.raises(ValueError):
            insp.task_type_counts("q", "pending", sample=0)


def test_large_state_is_sampled_and_says_so(redis_url, r):
    with Client(redis_url) as client:
        client.enqueue_many([(Task("a" if i % 4 else "b"), {"queue": "big"}) for i in range(400)])
    with Inspector(redis_url) as insp:
        tc = insp.task_type_counts("big", "pending", sample=100)
        assert (tc.sampled, tc.total, tc.exact) == (100, 400, False)
        assert sum(tc.counts.values()) == 100
        assert sum(tc.scaled().values()) == pytest.approx(400, abs=2)


def test_missing_hash_and_fields_before_type(redis_url, r):
    from pyasynq.broker.codec import encode
    from pyasynq.broker.proto import TaskMessage

    r.sadd(keys.ALL_QUEUES, "q")
    r.lpush(keys.pending("q"), "ghost")  # id without a task hash
    # a hand-made message with the payload (field 2) before the type (field 1)
    msg = TaskMessage(type="t1", payload=b"p", id="x1", queue="q")
    raw = encode(TaskMessage(payload=b"p", id="x1", queue="q"))
    raw = raw + b"\x0a\x02t1"
    assert TaskMessage.FromString(raw).type == msg.type
    r.hset(keys.task_key("q", "x1"), mapping={"msg": raw, "state": "pending"})
    r.lpush(keys.pending("q"), "x1")
    with Inspector(redis_url) as insp:
        assert insp.task_type_counts("q", "pending").counts == {"(unreadable)": 1, "t1": 1}
