"""Inspector queue-level operations against a real Redis (spec §5.1–5.3, §5.11–5.16).

The helpers at the top (``put``, fixtures) are shared with the other test_inspector_* modules.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pyasynq import (
    Client,
    Inspector,
    QueueNotEmptyError,
    QueueNotFoundError,
    QueueStateError,
    Task,
)
from pyasynq.broker.broker import Broker
from pyasynq.broker.codec import encode
from pyasynq.broker.proto import TaskMessage

NOW = 1_800_000_000


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


def put(r, queue, task_id, state, *, score=None, lease=None, group="", result=None, **fields):
    """Write a task as a Go worker would leave it (states only a worker produces included)."""
    msg = TaskMessage(type=fields.pop("type", "t"), id=task_id, queue=queue, retry=25, timeout=1800)
    for k, v in fields.items():
        setattr(msg, k, v)
    if group:
        msg.group_key = group
    h = {"msg": encode(msg), "state": state}
    if result is not None:
        h["result"] = result
    if state == "aggregating" or (group and state != "scheduled"):
        h["group"] = group
    r.sadd("asynq:queues", queue)
    r.hset(f"asynq:{{{queue}}}:t:{task_id}", mapping=h)
    if state in ("pending", "active"):
        r.lpush(f"asynq:{{{queue}}}:{state}", task_id)
        if state == "active":
            r.zadd(f"asynq:{{{queue}}}:lease", {task_id: lease if lease is not None else NOW + 30})
    elif state == "aggregating":
        r.zadd(f"asynq:{{{queue}}}:g:{group}", {task_id: score or NOW})
        r.sadd(f"asynq:{{{queue}}}:groups", group)
    else:
        r.zadd(f"asynq:{{{queue}}}:{state}", {task_id: score or NOW})
    return msg


# -- queues, info, history ----------------------------------------------------------------------


def test_queues_sorted_and_empty(insp, client):
    assert insp.queues() == []
    for q in ("low", "critical", "default"):
        client.enqueue(Task("t"), queue=q)
    assert insp.queues() == ["critical", "default", "low"]


def test_queue_not_found_and_bad_names(insp):
    with pytest.raises(QueueNotFoundError):
        insp.get_queue_info("nope")
    with pytest.raises(ValueError, match="one or more characters"):
        insp.get_queue_info("  ")
    with pytest.raises(QueueNotFoundError):
        insp.list_pending_tasks("nope")


def test_queue_info_counts_every_state(insp, client, r, clock):
    client.enqueue(Task("t", b"a"))  # pending_since = NOW in ns
    clock.advance(5)
    client.enqueue(Task("t", b"b"))
    client.enqueue(Task("t"), process_in=60)
    client.enqueue(Task("t"), group="g1")
    client.enqueue(Task("t"), group="g2")
    client.enqueue(Task("t"), group="g2")
    put(r, "default", "act", "active")
    put(r, "default", "ret", "retry", score=NOW + 100)
    put(r, "default", "arc", "archived")
    put(r, "default", "com", "completed", score=NOW + 3600)
    day = "2027-01-15"  # utc day of 1.8e9
    r.set(f"asynq:{{default}}:processed:{day}", 10)
    r.set(f"asynq:{{default}}:failed:{day}", 4)
    r.set("asynq:{default}:processed", 100)
    r.set("asynq:{default}:failed", 40)
    r.set("asynq:{default}:paused", NOW)
    clock.advance(2)
    info = insp.get_queue_info("default")
    assert (info.pending, info.active, info.scheduled, info.retry, info.archived) == (2, 1, 1, 1, 1)
    assert (info.completed, info.aggregating, info.groups) == (1, 3, 2)
    assert info.size == 2 + 1 + 1 + 1 + 1 + 1 + 3
    assert (info.processed, info.failed, info.processed_total, info.failed_total) == (
        10,
        4,
        100,
        40,
    )
    assert info.paused is True
    assert info.error_rate == 0.4
    assert info.latency == timedelta(seconds=7)  # from the tail (oldest) pending task
    assert info.timestamp == datetime.fromtimestamp(NOW + 7, UTC)
    assert info.memory_usage > 0


@pytest.mark.parametrize("reader", ["get_queue_infos", "queue_counts"])
def test_counters_and_paused_agree_in_both_readers(insp, client, r, clock, reader):
    """queue_info.lua and queue_counts.lua read today's counters and the paused key alike:
    missing counters are 0 without a problem, a counter of another type or not an integer is
    0 and named, in key order, and a paused key of any type means paused, as Go's EXISTS
    does."""
    from pyasynq.broker import keys
    from pyasynq.clock import utc_day

    day = utc_day(clock.now())
    client.enqueue(Task("t"), queue="q")
    client.enqueue(Task("t"), queue="plain")

    def read(queue):
        return getattr(insp, reader)([queue])[0]

    healthy = read("plain")  # every counter and the paused key missing
    assert (healthy.processed, healthy.failed, healthy.paused, healthy.problems) == (
        0,
        0,
        False,
        [],
    )
    r.rpush(keys.processed_daily("q", day), "x")  # another type
    r.set(keys.failed_daily("q", day), "12abc")  # not an integer
    r.hset(keys.paused("q"), "by", "someone")  # paused, whatever the key holds
    info = read("q")
    assert (info.processed, info.failed, info.paused) == (0, 0, True)
    assert info.problems == [
        "processed today: holds a list, not a string",
        "failed today: 12abc is not an integer counter",
    ]
    r.delete(keys.processed_daily("q", day), keys.failed_daily("q", day), keys.paused("q"))
    r.set(keys.processed_daily("q", day), 7)  # all present and good
    r.set(keys.failed_daily("q", day), 2)
    r.set(keys.paused("q"), clock.now())
    info = read("q")
    assert (info.processed, info.failed, info.paused, info.problems) == (7, 2, True, [])


def test_latency_is_zero_without_pending_since(insp, client, r):
    info = client.enqueue(Task("t"))
    r.hdel(f"asynq:{{default}}:t:{info.id}", "pending_since")  # as after Requeue or RunTask
    assert insp.get_queue_info("default").latency == timedelta(0)


def test_memory_usage_tolerates_missing_hashes(insp, client, r):
    client.enqueue(Task("t", b"x" * 100))
    r.lpush("asynq:{default}:pending", "ghost")  # a hash Go v0.26.0 would choke on
    r.sadd("asynq:{default}:groups", "empty")
    assert insp.get_queue_info("default").memory_usage > 0


def test_history_today_first(insp, client, r, clock):
    client.enqueue(Task("t"))
    r.set("asynq:{default}:processed:2027-01-15", 5)
    r.set("asynq:{default}:failed:2027-01-15", 1)
    r.set("asynq:{default}:processed:2027-01-13", 2)
    hist = insp.history("default", days=3)
    assert [(d.date.strftime("%Y-%m-%d"), d.processed, d.failed) for d in hist] == [
        ("2027-01-15", 5, 1),
        ("2027-01-14", 0, 0),
        ("2027-01-13", 2, 0),
    ]
    assert hist[1].date == datetime.fromtimestamp(NOW - 86400, UTC)  # not truncated
    with pytest.raises(ValueError):
        insp.history("default", days=0)


def test_groups_sorted_without_queue_check(insp, client):
    assert insp.groups("nowhere") == []
    client.enqueue(Task("t"), group="b")
    client.enqueue(Task("t"), group="a")
    client.enqueue(Task("t"), group="a")
    assert [(g.group, g.size) for g in insp.groups("default")] == [("a", 2), ("b", 1)]


# -- pause, cancel, delete queue ----------------------------------------------------------------


def test_pause_and_unpause(insp, r):
    insp.pause_queue("default")  # no queue check, as in Go
    assert r.get("asynq:{default}:paused") == str(NOW).encode()
    assert r.ttl("asynq:{default}:paused") == -1
    with pytest.raises(QueueStateError, match='queue "default" is already paused'):
        insp.pause_queue("default")
    insp.unpause_queue("default")
    assert not r.exists("asynq:{default}:paused")
    with pytest.raises(QueueStateError, match='queue "default" is not paused'):
        insp.unpause_queue("default")


def test_cancel_processing_publishes_the_id(insp, r):
    sub = r.pubsub()
    sub.subscribe("asynq:cancel")
    assert sub.get_message(timeout=1)["type"] == "subscribe"
    insp.cancel_processing("task-1")
    msg = sub.get_message(timeout=2)
    assert msg["channel"] == b"asynq:cancel" and msg["data"] == b"task-1"
    sub.close()


def test_delete_queue_refuses_non_empty_then_forces(insp, client, r):
    info = client.enqueue(Task("t"))
    put(r, "default", "com", "completed")
    client.enqueue(Task("t"), group="g")
    r.set("asynq:{default}:paused", NOW)
    r.set("asynq:{default}:processed", 3)
    with pytest.raises(QueueNotEmptyError):
        insp.delete_queue("default")
    insp.delete_queue("default", force=True)
    assert r.smembers("asynq:queues") == set()
    assert not r.exists("asynq:{default}:pending", f"asynq:{{default}}:t:{info.id}")
    # Go leaves completed, groups, paused and counters behind.
    assert r.zcard("asynq:{default}:completed") == 1 and r.exists("asynq:{default}:t:com")
    assert r.scard("asynq:{default}:groups") == 1
    assert r.exists("asynq:{default}:paused", "asynq:{default}:processed") == 2
    with pytest.raises(QueueNotFoundError):
        insp.delete_queue("default")


def test_delete_queue_with_only_completed_and_aggregating(insp, client, r):
    put(r, "default", "com", "completed")
    client.enqueue(Task("t"), group="g")
    insp.delete_queue("default")
    assert insp.queues() == []


def test_delete_queue_force_refuses_active(insp, r):
    put(r, "default", "act", "active")
    with pytest.raises(QueueStateError, match="cannot remove queue with active tasks"):
        insp.delete_queue("default", force=True)
    assert insp.queues() == ["default"]


# -- servers, schedulers, cluster helpers, redis info ----------------------------------------------


def test_servers_join_workers_and_prune_stale(insp, r):
    from pyasynq.broker.codec import set_timestamp
    from pyasynq.broker.proto import ServerInfo, WorkerInfo

    def server(sid, pid):
        s = ServerInfo(host="h", pid=pid, server_id=sid, concurrency=4, status="active")
        s.queues["default"] = 1
        set_timestamp(s.start_time, NOW - 60)
        return encode(s)

    live, stale = "asynq:servers:{h:1:s1}", "asynq:servers:{h:2:s2}"
    r.zadd("asynq:servers", {live: NOW + 10, stale: NOW - 5})
    r.set(live, server("s1", 1), ex=10)
    r.set(stale, server("s2", 2))
    w = WorkerInfo(host="h", pid=1, server_id="s1", task_id="t1", task_type="x", queue="default")
    w.task_payload = b"p"
    set_timestamp(w.start_time, NOW - 3)
    set_timestamp(w.deadline, NOW + 1797)
    r.zadd("asynq:workers", {"asynq:workers:{h:1:s1}": NOW + 10})
    r.hset("asynq:workers:{h:1:s1}", "t1", encode(w))
    (s,) = insp.servers()
    assert (s.id, s.host, s.pid, s.concurrency, s.queues, s.status) == (
        "s1",
        "h",
        1,
        4,
        {"default": 1},
        "active",
    )
    assert s.started == datetime.fromtimestamp(NOW - 60, UTC)
    (wi,) = s.active_workers
    assert (wi.task_id, wi.task_type, wi.task_payload, wi.queue) == ("t1", "x", b"p", "default")
    assert wi.deadline == datetime.fromtimestamp(NOW + 1797, UTC)
    assert r.zrange("asynq:servers", 0, -1) == [live.encode()]  # stale member pruned


def test_scheduler_entries_and_events(insp, r):
    from pyasynq.broker.codec import set_timestamp
    from pyasynq.broker.proto import SchedulerEnqueueEvent, SchedulerEntry

    e = SchedulerEntry(id="e1", spec="@every 2s", task_type="tick", task_payload=b"p")
    e.enqueue_options.append('Queue("low")')
    set_timestamp(e.next_enqueue_time, NOW + 2)
    set_timestamp(e.prev_enqueue_time, None)  # never ran: Go's zero time
    key = "asynq:schedulers:{host:9:uuid}"
    r.zadd("asynq:schedulers", {key: NOW + 20})
    r.lpush(key, encode(e))
    (got,) = insp.scheduler_entries()
    assert (got.id, got.spec, got.task_type, got.options) == (
        "e1",
        "@every 2s",
        "tick",
        ['Queue("low")'],
    )
    assert got.prev_enqueue_at is None and got.scheduler_id == "host:9:uuid"
    for i in range(5):
        ev = SchedulerEnqueueEvent(task_id=f"t{i}")
        set_timestamp(ev.enqueue_time, NOW + i)
        r.zadd("asynq:scheduler_history:e1", {encode(ev): NOW + i})
    events = insp.list_scheduler_enqueue_events("e1", page_size=2, page=2)
    assert [ev.task_id for ev in events] == ["t2", "t1"]
    assert events[0].enqueued_at == datetime.fromtimestamp(NOW + 2, UTC)


def test_cluster_key_slot_and_info(insp):
    assert [insp.cluster_key_slot(q) for q in ("default", "critical", "low")] == [5718, 8090, 15214]
    info = insp.redis_info()
    assert "redis_version" in info and all(isinstance(v, str) for v in info.values())


def test_accepts_a_broker_and_leaves_it_open(redis_url, clock, client):
    broker = Broker(redis_url, clock=clock)
    client.enqueue(Task("t"))
    with Inspector(broker) as insp:
        assert insp.queues() == ["default"]
    assert broker.ping()
    broker.close()


def test_cluster_commands_fail_clearly_without_cluster_mode(insp):
    from pyasynq import BrokerError

    with pytest.raises(BrokerError, match="cluster"):
        insp.cluster_nodes("default")
    with pytest.raises(BrokerError, match="cluster"):
        insp.redis_cluster_info()
