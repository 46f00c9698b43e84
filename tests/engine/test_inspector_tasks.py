"""Inspector task listings and actions against a real Redis (spec §5.4–5.9, §5.17)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pyasynq import (
    Client,
    Inspector,
    QueueNotFoundError,
    Task,
    TaskAlreadyArchivedError,
    TaskNotFoundError,
    TaskState,
    TaskStateError,
)
from pyasynq.broker.codec import CorruptMessageError, decode_task
from tests.engine.test_inspector import NOW, put

H = "asynq:{default}:t:"


@pytest.fixture
def client(redis_url, clock):
    c = Client(redis_url, clock=clock)
    yield c
    c.close()


@pytest.fixture
def insp(redis_url, clock):
    i = Inspector(redis_url, clock=clock)
    yield i
    i.close()


def state_of(r, task_id, queue="default"):
    return r.hget(f"asynq:{{{queue}}}:t:{task_id}", "state")


# -- listings -----------------------------------------------------------------------------------


def test_pending_lists_next_to_dequeue_first_and_pages(insp, client):
    ids = [client.enqueue(Task("t", str(i).encode())).id for i in range(5)]
    page1 = insp.list_pending_tasks("default", page_size=2)
    page3 = insp.list_pending_tasks("default", page_size=2, page=3)
    assert [t.id for t in page1] == ids[:2] and [t.id for t in page3] == ids[4:]
    assert insp.list_pending_tasks("default", page_size=2, page=4) == []
    t = page1[0]
    assert t.state is TaskState.PENDING and t.payload == b"0"
    assert t.next_process_at == datetime.fromtimestamp(NOW, UTC)


@pytest.mark.parametrize("kw", [{"page": 0}, {"page_size": 0}, {"page_size": 10_001}, {"page": -1}])
def test_bad_paging_raises(insp, client, kw):
    client.enqueue(Task("t"))
    with pytest.raises(ValueError, match="page"):
        insp.list_pending_tasks("default", **kw)


def test_active_orphaned_by_lease(insp, r):
    put(r, "default", "a1", "active", lease=NOW - 1)
    put(r, "default", "a2", "active", lease=NOW + 30)
    put(r, "default", "a3", "active", lease=NOW)
    tasks = insp.list_active_tasks("default")
    assert [(t.id, t.is_orphaned) for t in tasks] == [("a1", True), ("a2", False), ("a3", True)]
    assert all(t.next_process_at is None for t in tasks)
    assert insp.get_task_info("default", "a1").is_orphaned
    assert not insp.get_task_info("default", "a2").is_orphaned


def test_zset_listings_ascending_with_scores(insp, r):
    put(r, "default", "s2", "scheduled", score=NOW + 200)
    put(r, "default", "s1", "scheduled", score=NOW + 100)
    put(
        r,
        "default",
        "r1",
        "retry",
        score=NOW + 50,
        retried=2,
        error_msg="boom",
        last_failed_at=NOW - 5,
    )
    put(r, "default", "x2", "archived", score=NOW - 10)
    put(r, "default", "x1", "archived", score=NOW - 20)
    put(
        r,
        "default",
        "c1",
        "completed",
        score=NOW + 3600,
        result=b"ok",
        retention=3600,
        completed_at=NOW,
    )
    sched = insp.list_scheduled_tasks("default")
    assert [t.id for t in sched] == ["s1", "s2"]
    assert sched[0].next_process_at == datetime.fromtimestamp(NOW + 100, UTC)
    (rt,) = insp.list_retry_tasks("default")
    assert (rt.retried, rt.last_err, rt.state) == (2, "boom", TaskState.RETRY)
    assert rt.last_failed_at == datetime.fromtimestamp(NOW - 5, UTC)
    assert [t.id for t in insp.list_archived_tasks("default")] == ["x1", "x2"]
    (ct,) = insp.list_completed_tasks("default")
    assert (ct.result, ct.completed_at, ct.next_process_at) == (
        b"ok",
        datetime.fromtimestamp(NOW, UTC),
        None,
    )


def test_aggregating_listing(insp, client):
    a = client.enqueue(Task("t", b"1"), group="g")
    b = client.enqueue(Task("t", b"2"), group="g")
    page = insp.list_aggregating_tasks("default", "g")
    assert sorted(t.id for t in page) == sorted([a.id, b.id])
    assert all(t.group == "g" and t.state is TaskState.AGGREGATING for t in page)
    assert insp.list_aggregating_tasks("default", "other") == []


def test_corrupt_msg_is_skipped_and_reported(insp, client, r):
    good = client.enqueue(Task("t")).id
    bad = client.enqueue(Task("t")).id
    r.hset(H + bad, "msg", b"\xff\xff\xff")
    page = insp.list_pending_tasks("default")
    assert [t.id for t in page] == [good] and page.undecodable == [bad]
    with pytest.raises(CorruptMessageError, match=bad):
        insp.get_task_info("default", bad)


def test_get_task_info(insp, client, r):
    sched = client.enqueue(Task("t", b"p"), process_in=60, max_retry=3)
    info = insp.get_task_info("default", sched.id)
    assert (info.state, info.max_retry, info.payload) == (TaskState.SCHEDULED, 3, b"p")
    assert info.next_process_at == datetime.fromtimestamp(NOW + 60, UTC)
    with pytest.raises(TaskNotFoundError):
        insp.get_task_info("default", "missing")
    with pytest.raises(QueueNotFoundError):
        insp.get_task_info("other", sched.id)


# -- single-task actions --------------------------------------------------------------------------


def test_run_archived_task(insp, r):
    put(r, "default", "x", "archived")
    insp.run_task("default", "x")
    assert r.lrange("asynq:{default}:pending", 0, -1) == [b"x"]
    assert r.zcard("asynq:{default}:archived") == 0
    assert r.hgetall(H + "x").keys() == {b"msg", b"state"}  # no pending_since, msg unchanged
    assert state_of(r, "x") == b"pending"


def test_run_aggregating_task_empties_group(insp, client, r):
    t = client.enqueue(Task("t"), group="g")
    insp.run_task("default", t.id)
    assert not r.exists("asynq:{default}:g:g") and r.scard("asynq:{default}:groups") == 0
    assert r.hget(H + t.id, "group") == b"g"  # kept, as Go does


def test_run_task_errors(insp, client, r):
    p = client.enqueue(Task("t"))
    put(r, "default", "a", "active")
    with pytest.raises(TaskStateError, match="task is already in pending state"):
        insp.run_task("default", p.id)
    with pytest.raises(TaskStateError, match="task is already running"):
        insp.run_task("default", "a")
    with pytest.raises(TaskNotFoundError):
        insp.run_task("default", "nope")


def test_archive_pending_task_keeps_msg(insp, client, r):
    t = client.enqueue(Task("t"))
    before = r.hget(H + t.id, "msg")
    insp.archive_task("default", t.id)
    assert r.llen("asynq:{default}:pending") == 0
    assert r.zscore("asynq:{default}:archived", t.id) == NOW
    assert state_of(r, t.id) == b"archived" and r.hget(H + t.id, "msg") == before
    with pytest.raises(TaskAlreadyArchivedError, match="task is already archived"):
        insp.archive_task("default", t.id)


def test_archive_trims_without_deleting_hashes(insp, client, r):
    put(r, "default", "old", "archived", score=NOW - 91 * 86400)
    t = client.enqueue(Task("t"), process_in=10)
    insp.archive_task("default", t.id)
    assert r.zrange("asynq:{default}:archived", 0, -1) == [t.id.encode()]
    assert r.exists(H + "old")


def test_archive_and_delete_refuse_active(insp, r):
    put(r, "default", "a", "active")
    with pytest.raises(TaskStateError, match="cannot archive task in active state"):
        insp.archive_task("default", "a")
    with pytest.raises(TaskStateError, match="cannot delete task in active state"):
        insp.delete_task("default", "a")


def test_delete_task_releases_its_unique_lock(insp, client, r):
    t = client.enqueue(Task("t", b"u"), unique=3600, process_in=60)
    lock = decode_task(r.hget(H + t.id, "msg")).unique_key
    insp.delete_task("default", t.id)
    assert not r.exists(H + t.id, lock) and r.zcard("asynq:{default}:scheduled") == 0
    other = client.enqueue(Task("t", b"u"), unique=3600)
    r.set(lock, "someone-else")
    insp.delete_task("default", other.id)
    assert r.get(lock) == b"someone-else"


def test_batch_actions_report_per_id(insp, client, r):
    ids = [client.enqueue(Task("t"), process_in=60).id for _ in range(3)]
    put(r, "default", "a", "active")
    res = insp.run_tasks("default", [*ids[:2], "a", "nope"])
    assert res.done == 2 and set(res.errors) == {"a", "nope"}
    assert res.errors["a"] == "task is already running"
    res = insp.archive_tasks("default", ids)
    assert res.done == 3 and res.errors == {}
    assert insp.delete_tasks("default", ids).done == 3
    assert not any(r.exists(H + i) for i in ids)


# -- bulk actions ---------------------------------------------------------------------------------


def test_run_all_and_archive_all(insp, client, r):
    for _ in range(3):
        client.enqueue(Task("t"), process_in=60)
    put(r, "default", "r1", "retry")
    assert insp.run_all_scheduled_tasks("default") == 3
    assert r.llen("asynq:{default}:pending") == 3 and not r.exists("asynq:{default}:scheduled")
    assert insp.archive_all_pending_tasks("default") == 3
    assert r.zcard("asynq:{default}:archived") == 3 and not r.exists("asynq:{default}:pending")
    assert insp.archive_all_retry_tasks("default") == 1
    assert insp.run_all_archived_tasks("default") == 4
    assert all(
        state_of(r, i.decode()) == b"pending" for i in r.lrange("asynq:{default}:pending", 0, -1)
    )
    assert insp.run_all_retry_tasks("default") == 0


def test_group_bulk_actions(insp, client, r):
    for _ in range(2):
        client.enqueue(Task("t"), group="g")
    assert insp.archive_all_aggregating_tasks("default", "g") == 2
    assert r.scard("asynq:{default}:groups") == 0 and r.zcard("asynq:{default}:archived") == 2
    for _ in range(2):
        client.enqueue(Task("t"), group="h")
    assert insp.run_all_aggregating_tasks("default", "h") == 2
    client.enqueue(Task("t"), group="k")
    assert insp.delete_all_aggregating_tasks("default", "k") == 1
    assert not r.exists("asynq:{default}:g:k") and r.scard("asynq:{default}:groups") == 0


def test_delete_all_unique_lock_rules(insp, client, r):
    s = client.enqueue(Task("t", b"s"), unique=3600, process_in=60)
    p = client.enqueue(Task("t", b"p"), unique=3600)
    slock = decode_task(r.hget(H + s.id, "msg")).unique_key
    plock = decode_task(r.hget(H + p.id, "msg")).unique_key
    assert insp.delete_all_scheduled_tasks("default") == 1
    assert not r.exists(slock, H + s.id)
    assert insp.delete_all_pending_tasks("default") == 1
    assert r.exists(plock) and not r.exists(H + p.id)  # pending locks stay, as in Go
    put(r, "default", "c", "completed")
    put(r, "default", "x", "archived")
    assert insp.delete_all_completed_tasks("default") == 1
    assert insp.delete_all_archived_tasks("default") == 1
    assert insp.delete_all_retry_tasks("default") == 0


# -- update payload ---------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["pending", "scheduled", "retry", "archived"])
def test_update_payload_allowed_states(insp, r, state):
    put(r, "default", "t1", state, payload=b"old", retried=1)
    r.hset(H + "t1", mapping={"pending_since": "123", "unique_key": "k"})
    info = insp.update_task_payload("default", "t1", b"new")
    assert info.payload == b"new" and info.retried == 1 and info.state == state
    h = r.hgetall(H + "t1")
    assert (h[b"pending_since"], h[b"unique_key"], h[b"state"]) == (b"123", b"k", state.encode())
    assert decode_task(h[b"msg"]).payload == b"new"


@pytest.mark.parametrize("state", ["active", "completed", "aggregating"])
def test_update_payload_refused_states(insp, r, state):
    put(r, "default", "t1", state, payload=b"old", group="g" if state == "aggregating" else "")
    with pytest.raises(TaskStateError, match=f"in {state} state"):
        insp.update_task_payload("default", "t1", b"new")
    assert decode_task(r.hget(H + "t1", "msg")).payload == b"old"
    with pytest.raises(TaskNotFoundError):
        insp.update_task_payload("default", "nope", b"x")
