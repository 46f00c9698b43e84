"""Inspector.reschedule_task on a real Redis: each allowed state, refusals, Go-valid layout."""

from __future__ import annotations

import pytest

from pyasynq.errors import TaskNotFoundError, TaskStateError
from pyasynq.inspector import Inspector
from tests.support.states import seed_task, state_of

AT = 1_900_000_000


@pytest.fixture
def insp(redis_url):
    i = Inspector(redis_url)
    yield i
    i.close()


@pytest.mark.parametrize("state", ["scheduled", "retry"])
def test_zset_states_get_a_new_score(insp, r, state):
    tid = seed_task(r, "q", state)
    info = insp.reschedule_task("q", tid, AT)
    assert str(info.state) == state
    assert r.zscore(f"asynq:{{q}}:{state}", tid) == AT
    assert int(info.next_process_at.timestamp()) == AT


@pytest.mark.parametrize("state", ["pending", "archived"])
def test_pending_and_archived_become_scheduled(insp, r, state):
    tid = seed_task(r, "q", state)
    other = seed_task(r, "q", state)
    info = insp.reschedule_task("q", tid, AT)
    assert str(info.state) == "scheduled" and state_of(r, "q", tid) == "scheduled"
    assert r.zscore("asynq:{q}:scheduled", tid) == AT
    assert not r.hexists(f"asynq:{{q}}:t:{tid}", "pending_since")
    key = f"asynq:{{q}}:{state}"
    members = r.lrange(key, 0, -1) if state == "pending" else r.zrange(key, 0, -1)
    assert members == [other.encode()]


@pytest.mark.parametrize("state", ["active", "completed"])
def test_other_states_are_refused(insp, r, state):
    tid = seed_task(r, "q", state)
    with pytest.raises(TaskStateError, match=f"{state} state"):
        insp.reschedule_task("q", tid, AT)
    assert state_of(r, "q", tid) == state


def test_missing_task(insp, r):
    seed_task(r, "q", "pending")
    with pytest.raises(TaskNotFoundError):
        insp.reschedule_task("q", "nope", AT)


def test_rescheduled_task_is_forwarded_by_the_server_logic(insp, r, redis_url):
    """After the move, the forwarder (our broker op, same as Go's) makes it pending at its time."""
    from pyasynq.broker.broker import Broker

    tid = seed_task(r, "q", "archived")
    insp.reschedule_task("q", tid, 1000)  # in the past: due now
    b = Broker(redis_url)
    try:
        assert b.forward_if_ready("q") == 1
    finally:
        b.close()
    assert state_of(r, "q", tid) == "pending"
    assert r.lrange("asynq:{q}:pending", 0, -1) == [tid.encode()]
