"""A hostile Redis: good queues beside many kinds of bad data (issue 15, item 8).

``plant(redis_url)`` writes, through our own Client and Broker, good queues with a task in
every state, a live server with a running task and a live scheduler with history; then, with
raw Redis commands, bad data of every kind a shared Redis can hold: each per-queue key of the
wrong type, corrupt and missing messages, messages naming another task, unknown states, odd and
non-UTF-8 queue names, counters that are not integers (NaN, inf, text, 10^30), scores of
``inf``, times and durations out of range (2^62), a huge payload, and bad server, worker and
scheduler records. It returns what a reader must still show (``Planted.good``) and what it must
name as bad (``Planted.bad_queues``: queue -> a word the reader's message must contain).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import redis

from pyasynq import Client, Task
from pyasynq.broker import keys, proto
from pyasynq.broker.broker import Broker
from pyasynq.broker.codec import set_timestamp
from pyasynq.clock import utc_day

HUGE = 2**62
NOW = None  # filled at plant time


@dataclass
class Planted:
    good_queues: list[str]
    good_tasks: dict[str, dict[str, str]]  # queue -> state -> task id
    server_id: str
    scheduler_id: str
    entry_id: str
    bad_queues: dict[str, str]  # queue -> what the reader must say about it
    bad_tasks: dict[str, str]  # task id (in queue BAD_TASKS) -> what is wrong
    huge_task: str
    odd_names: list[Any] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    workflow_id: str = ""


BAD_TASKS = "bad-tasks"
"""A queue of well-formed keys whose tasks are bad one by one."""
BAD_TIMES = "bad-times"
"""A queue whose tasks and scores hold times and durations out of any calendar's range."""
BAD_COUNTERS = "bad-counters"


def _msg(queue: str, task_id: str, task_type: str = "bad", **fields: Any) -> bytes:
    msg = proto.TaskMessage(type=task_type, id=task_id, queue=queue, payload=b"{}", **fields)
    return msg.SerializeToString()


def _task(r: redis.Redis, queue: str, task_id: str, state: str, msg: bytes | None) -> None:
    mapping: dict[str, Any] = {"state": state}
    if msg is not None:
        mapping["msg"] = msg
    r.hset(keys.task_key(queue, task_id), mapping=mapping)


def _good(redis_url: str, r: redis.Redis, broker: Broker) -> tuple[list[str], dict]:
    client = Client(redis_url)
    tasks: dict[str, dict[str, str]] = {}
    queues = ["default", "good"]
    try:
        for q in queues:
            ids = [
                client.enqueue(Task(f"good:{q}", b'{"n": %d}' % i), queue=q, retention=3600).id
                for i in range(5)
            ]
            tasks[q] = {"pending": ids[4]}
            leased = broker.dequeue_batch([q], 4)
            msgs = {t.task_id: t.message()[0] for t in leased}
            broker.retry(msgs[ids[0]], broker.now() + 3600, "boom")
            broker.archive(msgs[ids[1]], "gave up")
            broker.mark_complete(msgs[ids[2]])
            broker.extend_lease(q, [ids[3]], now=broker.now() + 10**6)  # stays active
            tasks[q].update(retry=ids[0], archived=ids[1], completed=ids[2], active=ids[3])
            tasks[q]["scheduled"] = client.enqueue(
                Task(f"good:{q}", b"later"), queue=q, process_in=3600
            ).id
            tasks[q]["aggregating"] = client.enqueue(
                Task(f"good:{q}", b"g"), queue=q, group="g1"
            ).id
    finally:
        client.close()
    return queues, tasks


def _server(r: redis.Redis, broker: Broker, good_task: str) -> str:
    sid = str(uuid.uuid4())
    info = proto.ServerInfo(host="goodhost", pid=1, server_id=sid, concurrency=4, status="active")
    info.queues["default"] = 1
    set_timestamp(info.start_time, broker.now())
    worker = proto.WorkerInfo(
        host="goodhost",
        pid=1,
        server_id=sid,
        task_id=good_task,
        task_type="good:default",
        queue="default",
    )
    set_timestamp(worker.start_time, broker.now())
    set_timestamp(worker.deadline, broker.now() + 60)
    broker.write_server_state(
        "goodhost", 1, sid, info.SerializeToString(), {good_task: worker.SerializeToString()}, 3600
    )
    return sid


def _scheduler(r: redis.Redis, broker: Broker) -> tuple[str, str]:
    scheduler_id, entry_id = "goodhost:1:" + str(uuid.uuid4()), str(uuid.uuid4())
    entry = proto.SchedulerEntry(id=entry_id, spec="@every 30s", task_type="good:cron")
    entry.enqueue_options.append('Queue("default")')
    set_timestamp(entry.next_enqueue_time, broker.now() + 30)
    set_timestamp(entry.prev_enqueue_time, broker.now() - 30)
    r.zadd(keys.ALL_SCHEDULERS, {keys.scheduler_entries(scheduler_id): broker.now() + 3600})
    r.rpush(keys.scheduler_entries(scheduler_id), entry.SerializeToString())
    event = proto.SchedulerEnqueueEvent(task_id="good-event")
    set_timestamp(event.enqueue_time, broker.now() - 30)
    r.zadd(keys.scheduler_history(entry_id), {event.SerializeToString(): broker.now() - 30})
    return scheduler_id, entry_id


def _wrong_type_queues(r: redis.Redis) -> dict[str, str]:
    """One queue per key kind, that key holding the wrong type (and one good task beside)."""
    bad: dict[str, str] = {}
    kinds = {
        "pending": lambda k: r.set(k, "not a list"),
        "active": lambda k: r.hset(k, "a", "b"),
        "scheduled": lambda k: r.rpush(k, "x"),
        "retry": lambda k: r.sadd(k, "x"),
        "archived": lambda k: r.set(k, "x"),
        "completed": lambda k: r.rpush(k, "x"),
        "lease": lambda k: r.set(k, "x"),
        "groups": lambda k: r.set(k, "x"),
        "paused": lambda k: r.hset(k, "a", "b"),
    }
    for kind, write in kinds.items():
        q = f"wrongtype-{kind}"
        r.sadd(keys.ALL_QUEUES, q)
        write(keys.queue_prefix(q) + kind)
        if kind != "paused":  # a paused key of any type still pauses: that is not bad data
            bad[q] = "WRONGTYPE"
    # a group key listed in the groups set that is not a zset
    q = "wrongtype-group"
    r.sadd(keys.ALL_QUEUES, q)
    r.sadd(keys.all_groups(q), "g1")
    r.set(keys.group(q, "g1"), "x")
    bad[q] = "WRONGTYPE"
    return bad


def _bad_counters(r: redis.Redis, day: str) -> None:
    q = BAD_COUNTERS
    r.sadd(keys.ALL_QUEUES, q)
    r.set(keys.processed_total(q), "nan")
    r.set(keys.failed_total(q), "not a number")
    r.set(keys.processed_daily(q, day), "1e400")
    r.set(keys.failed_daily(q, day), "-inf")
    r.rpush(keys.pending(q), "ghost")  # an id without a hash
    # a throughput series of the wrong type, and one of garbage members
    r.set(keys.throughput(q), "x")
    r.zadd(keys.throughput("default"), {"garbage": 1, "1:2": 2, "a:b:c": 3})


def _bad_tasks(r: redis.Redis) -> dict[str, str]:
    q = BAD_TASKS
    r.sadd(keys.ALL_QUEUES, q)
    bad = {
        "undecodable": b"\xff\x00 not protobuf",
        "no-msg": None,
        "other-id": _msg(q, "someone-else"),
        "other-queue": _msg("elsewhere", "other-queue"),
    }
    for state, container in (("pending", "list"), ("scheduled", "zset"), ("archived", "zset")):
        for tid, msg in bad.items():
            full = f"{state}-{tid}"
            if tid == "other-id":
                msg = _msg(q, "someone-else")
            elif tid == "other-queue":
                msg = _msg("elsewhere", full)
            _task(r, q, full, state, msg)
            if container == "list":
                r.lpush(keys.pending(q), full)
            else:
                r.zadd(keys.state_key(q, state), {full: 1_700_000_000})
    # a hash of the wrong type, an unknown state, a missing hash, all in pending
    r.set(keys.task_key(q, "string-hash"), "x")
    r.lpush(keys.pending(q), "string-hash")
    _task(r, q, "odd-state", "frobnicated", _msg(q, "odd-state"))
    r.lpush(keys.pending(q), "odd-state")
    r.lpush(keys.pending(q), "no-hash")
    # pending_since that is not a number on the oldest pending task
    r.hset(keys.task_key(q, "pending-undecodable"), "pending_since", "soon")
    # an active task whose lease expired long ago, undecodable: the recoverer must archive it
    _task(r, q, "active-undecodable", "active", b"\xff\xff")
    r.lpush(keys.active(q), "active-undecodable")
    r.zadd(keys.lease(q), {"active-undecodable": 1})
    # an active id without any lease
    _task(r, q, "active-unleased", "active", _msg(q, "active-unleased", "good:bad-tasks"))
    r.lpush(keys.active(q), "active-unleased")
    return {
        "pending-undecodable": "decod",
        "string-hash": "WRONGTYPE",
        "odd-state": "state",
    }


def _bad_times(r: redis.Redis) -> None:
    q = BAD_TIMES
    r.sadd(keys.ALL_QUEUES, q)
    far = {
        "deadline": HUGE,
        "timeout": HUGE,
        "retention": HUGE,
        "last_failed_at": -HUGE,
        "completed_at": 2**63 - 1,
    }
    for state, score in (
        ("scheduled", float("inf")),
        ("retry", 1e300),
        ("archived", -1e18),
        ("completed", float("-inf")),
    ):
        tid = f"{state}-far"
        _task(r, q, tid, state, _msg(q, tid, "far", **far))
        r.zadd(keys.state_key(q, state), {tid: score})
    _task(r, q, "pending-far", "pending", _msg(q, "pending-far", "far", **far))
    r.hset(keys.task_key(q, "pending-far"), "pending_since", str(2**70))
    r.lpush(keys.pending(q), "pending-far")
    _task(r, q, "active-far", "active", _msg(q, "active-far", "far", **far))
    r.lpush(keys.active(q), "active-far")
    r.zadd(keys.lease(q), {"active-far": float("inf")})
    r.set(keys.paused(q), str(2**70))  # paused "since" the far future


def _odd_names(r: redis.Redis) -> list[Any]:
    names: list[Any] = [
        "",
        " ",
        "\t",
        b"\xff\xfe\xfd",
        b"bad-\xc3(utf8",
        "a\nb",
        "\x00nul",
        "q" * 5000,
    ]
    r.sadd(keys.ALL_QUEUES, *names)
    return names


def _bad_servers(r: redis.Redis, broker: Broker) -> None:
    far = broker.now() + 3600
    # a server key of the wrong type, an undecodable one, one whose start time is out of range
    r.zadd(keys.ALL_SERVERS, {"asynq:servers:{h:2:wrongtype}": far})
    r.hset("asynq:servers:{h:2:wrongtype}", "a", "b")
    r.zadd(keys.ALL_SERVERS, {"asynq:servers:{h:3:undecodable}": far})
    r.set("asynq:servers:{h:3:undecodable}", b"\xff\x00garbage")
    info = proto.ServerInfo(host="farhost", pid=4, server_id="far", concurrency=1)
    info.start_time.seconds = HUGE
    r.zadd(keys.ALL_SERVERS, {"asynq:servers:{h:4:far}": far})
    r.set("asynq:servers:{h:4:far}", info.SerializeToString())
    r.zadd(keys.ALL_SERVERS, {"asynq:servers:{h:5:inf}": float("inf")})
    # workers: a string instead of a hash, an undecodable value, a deadline out of range
    r.zadd(keys.ALL_WORKERS, {"asynq:workers:{h:2:wrongtype}": far})
    r.set("asynq:workers:{h:2:wrongtype}", "x")
    worker = proto.WorkerInfo(host="farhost", pid=4, server_id="far", task_id="t", queue="q")
    worker.deadline.seconds = HUGE
    worker.start_time.seconds = -HUGE
    r.zadd(keys.ALL_WORKERS, {"asynq:workers:{h:4:far}": far})
    r.hset("asynq:workers:{h:4:far}", mapping={"t": worker.SerializeToString(), "u": b"\xff"})


def _bad_schedulers(r: redis.Redis, broker: Broker) -> None:
    far = broker.now() + 3600
    r.zadd(keys.ALL_SCHEDULERS, {"asynq:schedulers:{wrongtype}": far})
    r.set("asynq:schedulers:{wrongtype}", "x")
    entry = proto.SchedulerEntry(id="far-entry", spec="@every 1s", task_type="far")
    entry.next_enqueue_time.seconds = HUGE
    entry.prev_enqueue_time.seconds = -HUGE
    r.zadd(keys.ALL_SCHEDULERS, {"asynq:schedulers:{odd}": far})
    r.rpush("asynq:schedulers:{odd}", entry.SerializeToString(), b"\xff\x00")
    r.set(keys.scheduler_history("far-entry"), "not a zset")
    event = proto.SchedulerEnqueueEvent(task_id="far-event")
    event.enqueue_time.seconds = HUGE
    r.zadd(keys.scheduler_history("far-entry-2"), {event.SerializeToString(): 1, b"\xff": 2})


def _other_keys(r: redis.Redis) -> None:
    """pyasynq's own keys of the wrong type: alert events, the audit list."""
    r.set("pyasynq:alerts:events", "x")


def plant(redis_url: str, *, huge_payload: int = 2 << 20) -> Planted:
    r = redis.Redis.from_url(redis_url)
    broker = Broker(redis_url)
    try:
        good_queues, good_tasks = _good(redis_url, r, broker)
        server_id = _server(r, broker, good_tasks["default"]["active"])
        scheduler_id, entry_id = _scheduler(r, broker)
        bad_queues = _wrong_type_queues(r)
        _bad_counters(r, utc_day(broker.now()))
        bad_tasks = _bad_tasks(r)
        _bad_times(r)
        odd = _odd_names(r)
        _bad_servers(r, broker)
        _bad_schedulers(r, broker)
        _other_keys(r)
        client = Client(redis_url)
        huge = client.enqueue(Task("huge", b"x" * huge_payload), queue="good").id
        from pyasynq.extras.workflows import chain

        workflow = client.enqueue_workflow(
            chain(Task("good:flow"), Task("good:flow")), queue="good"
        )
        client.close()
        good_tasks["good"]["huge"] = huge
        return Planted(
            good_queues=good_queues,
            good_tasks=good_tasks,
            server_id=server_id,
            scheduler_id=scheduler_id,
            entry_id=entry_id,
            bad_queues=bad_queues,
            bad_tasks=bad_tasks,
            huge_task=huge,
            odd_names=odd,
            workflow_id=workflow.id,
        )
    finally:
        broker.close()
        r.close()
