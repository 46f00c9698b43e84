"""AsyncClient and AsyncInspector against a real Redis, checked against the sync ones."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
import redis

from pyasynq import (
    AsyncClient,
    AsyncInspector,
    BrokerError,
    Client,
    DuplicateTaskError,
    Inspector,
    QueueNotFoundError,
    Task,
    TaskIDConflictError,
    TaskNotFoundError,
    TaskState,
    TaskStateError,
)
from pyasynq.broker import keys

OPTION_SETS = [
    {},
    {"queue": "critical", "max_retry": 3, "timeout": 60},
    {"process_in": 120, "retention": timedelta(hours=1)},
    {"group": "g1"},
    {"unique": 300, "queue": "low"},
    {"task_id": "my-id", "deadline": None},
]


def run(coro):
    return asyncio.run(coro)


def without_id(info):
    return replace(info, id="", next_process_at=None)


def test_enqueue_matches_the_sync_client_for_every_option(redis_url, r, clock):
    sync = Client(redis_url, clock=clock)
    ins = Inspector(redis_url, clock=clock)

    async def go():
        async with AsyncClient(redis_url, clock=clock) as ac:
            return [
                await ac.enqueue(Task("t", b"async", headers={"h": "1"}), **opts)
                for opts in OPTION_SETS
            ]

    got = run(go())
    r.flushall()
    want = [sync.enqueue(Task("t", b"async", headers={"h": "1"}), **opts) for opts in OPTION_SETS]
    assert [without_id(i) for i in got] == [without_id(i) for i in want]
    # what the async client wrote reads back as the TaskInfo it returned
    r.flushall()
    got = run(go())
    for info in got:
        assert ins.get_task_info(info.queue, info.id).state == info.state
    assert got[2].state is TaskState.SCHEDULED and got[3].state is TaskState.AGGREGATING
    sync.close()
    ins.close()


def test_same_errors_as_the_sync_client(redis_url, clock):
    async def go():
        async with AsyncClient(redis_url, clock=clock) as ac:
            await ac.enqueue(Task("u", b"x"), unique=60)
            with pytest.raises(DuplicateTaskError):
                await ac.enqueue(Task("u", b"x"), unique=60)
            await ac.enqueue(Task("a"), task_id="same")
            with pytest.raises(TaskIDConflictError):
                await ac.enqueue(Task("a"), task_id="same")
            with pytest.raises(ValueError) as async_err:
                await ac.enqueue(Task("a"), max_retry=-1, queue=" ")
            return str(async_err.value)

    async_text = run(go())
    with Client(redis_url, clock=clock) as c, pytest.raises(ValueError) as sync_err:
        c.enqueue(Task("a"), max_retry=-1, queue=" ")
    assert async_text == str(sync_err.value)


def test_enqueue_many_plain_and_mixed(redis_url, r, clock):
    async def go():
        async with AsyncClient(redis_url, clock=clock) as ac:
            plain = await ac.enqueue_many([Task("p", b"1")] * 700)
            mixed = await ac.enqueue_many(
                [Task("a"), (Task("b"), {"queue": "low"}), (Task("c"), {"max_retry": "x"})]
            )
            return plain, mixed

    plain, mixed = run(go())
    assert len(plain) == 700 and all(i.state is TaskState.PENDING for i in plain)
    assert r.llen(keys.pending("default")) == 701 and r.llen(keys.pending("low")) == 1
    assert mixed[1].queue == "low" and isinstance(mixed[2], TypeError | ValueError)
    assert len({i.id for i in plain}) == 700


def test_many_enqueues_share_the_loop(redis_url, r):
    async def go():
        async with AsyncClient(redis_url) as ac:
            return await asyncio.gather(*(ac.enqueue(Task("g")) for _ in range(50)))

    assert len({i.id for i in run(go())}) == 50 and r.llen(keys.pending("default")) == 50


def test_reloads_scripts_after_script_flush(redis_url, r):
    async def go():
        async with AsyncClient(redis_url) as ac:
            await ac.enqueue(Task("a"))
            r.script_flush()
            await ac.enqueue(Task("b"))
            r.script_flush()
            return await ac.enqueue_many([(Task("c"), {"queue": "q2"})])

    assert run(go())[0].queue == "q2" and r.llen(keys.pending("default")) == 2


def test_unreachable_redis_is_a_broker_error_naming_it():
    async def go():
        async with AsyncClient("redis://127.0.0.1:1/0") as ac:
            await ac.enqueue(Task("a"))

    with pytest.raises(BrokerError, match="127.0.0.1:1"):
        run(go())


def test_async_inspector_reads_like_the_sync_one(redis_url, r, clock):
    with Client(redis_url, clock=clock) as c:
        pending = c.enqueue(Task("p", b"x"))
        scheduled = c.enqueue(Task("s"), process_in=60)
        archived = c.enqueue(Task("z"))
        c.enqueue(Task("g"), group="grp")
    ins = Inspector(redis_url, clock=clock)
    ins.archive_task("default", archived.id)

    async def go():
        async with AsyncInspector(redis_url, clock=clock) as ai:
            return (
                await ai.queues(),
                await ai.get_queue_info("default"),
                await ai.list_pending_tasks("default"),
                await ai.list_scheduled_tasks("default"),
                await ai.list_archived_tasks("default"),
                await ai.list_aggregating_tasks("default", "grp"),
                await ai.get_task_info("default", pending.id),
            )

    queues, qinfo, pend, sched, arch, agg, one = run(go())
    assert queues == ins.queues()
    assert qinfo == ins.get_queue_info("default")
    assert pend == ins.list_pending_tasks("default") and pend[0].id == pending.id
    assert sched == ins.list_scheduled_tasks("default") and sched[0].id == scheduled.id
    assert arch == ins.list_archived_tasks("default") and arch[0].id == archived.id
    assert agg == ins.list_aggregating_tasks("default", "grp")
    assert one == ins.get_task_info("default", pending.id)
    ins.close()


def test_async_inspector_actions_and_errors(redis_url, r, clock):
    with Client(redis_url, clock=clock) as c:
        a = c.enqueue(Task("a"))
        b = c.enqueue(Task("b"), process_in=60)
        d = c.enqueue(Task("d"))

    async def go():
        async with AsyncInspector(redis_url, clock=clock) as ai:
            await ai.archive_task("default", a.id)
            with pytest.raises(TaskStateError):
                await ai.run_task("default", d.id)  # already pending
            await ai.run_task("default", b.id)
            batch = await ai.delete_tasks("default", [d.id, "nope"])
            with pytest.raises(TaskNotFoundError):
                await ai.delete_task("default", "nope")
            with pytest.raises(QueueNotFoundError):
                await ai.get_task_info("missing", a.id)
            return batch

    batch = run(go())
    assert r.zscore(keys.archived("default"), a.id) is not None
    assert r.lrange(keys.pending("default"), 0, -1) == [b.id.encode()]
    assert batch.done == 1 and list(batch.errors) == ["nope"]


def test_async_inspector_cancel_publishes_on_asynq_cancel(redis_url):
    sub = redis.Redis.from_url(redis_url).pubsub()
    sub.subscribe(keys.CANCEL_CHANNEL)
    assert sub.get_message(timeout=2)["type"] == "subscribe"

    async def go():
        async with AsyncInspector(redis_url) as ai:
            await ai.cancel_processing("task-1")

    run(go())
    msg = sub.get_message(timeout=2)
    assert msg is not None and msg["data"] == b"task-1"
    sub.close()
