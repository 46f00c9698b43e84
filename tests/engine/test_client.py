"""Client.enqueue writes exactly what Go Asynq writes (spec §4.1–4.9, §14)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis as redis_lib

from pyasynq import BrokerError, Client, DuplicateTaskError, Task, TaskIDConflictError, TaskState
from pyasynq.broker.codec import decode_task

PAYLOAD = b'{"to":"a"}'


@pytest.fixture
def client(redis_url, clock):
    c = Client(redis_url, clock=clock)
    yield c
    c.close()


def msg_of(r, queue, task_id):
    return decode_task(r.hget(f"asynq:{{{queue}}}:t:{task_id}", "msg"))


def test_enqueue_writes_exactly_three_keys(client, r, clock):
    info = client.enqueue(Task("email:send", PAYLOAD))
    assert sorted(r.keys("asynq*")) == sorted(
        [b"asynq:queues", b"asynq:{default}:pending", f"asynq:{{default}}:t:{info.id}".encode()]
    )
    assert r.smembers("asynq:queues") == {b"default"}
    assert r.lrange("asynq:{default}:pending", 0, -1) == [info.id.encode()]
    h = r.hgetall(f"asynq:{{default}}:t:{info.id}")
    assert set(h) == {b"msg", b"state", b"pending_since"}
    assert h[b"state"] == b"pending"
    assert int(h[b"pending_since"]) == int(clock.now() * 1e9)
    assert len(h[b"pending_since"]) == 19
    for key in r.keys("asynq*"):
        assert r.ttl(key) == -1
    msg = decode_task(h[b"msg"])
    assert (msg.type, msg.payload, msg.id, msg.queue) == ("email:send", PAYLOAD, info.id, "default")
    assert (msg.retry, msg.timeout, msg.deadline, msg.retried) == (25, 1800, 0, 0)
    assert msg.unique_key == "" and msg.group_key == "" and msg.retention == 0
    assert len(info.id) == 36 and info.state is TaskState.PENDING


def test_task_options_are_defaults_that_call_options_override(client, r):
    task = Task("t", b"x", queue="critical", max_retry=3, timeout=60)
    info = client.enqueue(task, max_retry=7)
    msg = msg_of(r, "critical", info.id)
    assert (msg.queue, msg.retry, msg.timeout) == ("critical", 7, 60)
    assert r.smembers("asynq:queues") == {b"critical"}


def test_deadline_without_timeout_keeps_timeout_zero(client, r, clock):
    when = datetime.fromtimestamp(clock.now() + 3600, UTC)
    info = client.enqueue(Task("t"), deadline=when)
    msg = msg_of(r, "default", info.id)
    assert msg.timeout == 0 and msg.deadline == int(clock.now()) + 3600


def test_timeout_accepts_timedelta_and_truncates(client, r):
    info = client.enqueue(Task("t"), timeout=timedelta(seconds=90.9))
    assert msg_of(r, "default", info.id).timeout == 90


def test_process_in_schedules(client, r, clock):
    info = client.enqueue(Task("email:send", PAYLOAD), process_in=3600)
    assert info.state is TaskState.SCHEDULED
    assert r.zscore("asynq:{default}:scheduled", info.id) == int(clock.now()) + 3600
    h = r.hgetall(f"asynq:{{default}}:t:{info.id}")
    assert set(h) == {b"msg", b"state"} and h[b"state"] == b"scheduled"
    assert not r.exists("asynq:{default}:pending")


def test_process_at_in_the_past_enqueues_now(client, r, clock):
    info = client.enqueue(Task("t"), process_at=datetime.fromtimestamp(clock.now() - 10, UTC))
    assert info.state is TaskState.PENDING
    assert r.llen("asynq:{default}:pending") == 1


def test_unique_key_and_lock(client, r):
    info = client.enqueue(Task("email:send", PAYLOAD), unique=3600)
    key = "asynq:{default}:unique:email:send:1211412ac434210c06b6f453395f5c82"
    assert r.get(key) == info.id.encode()
    assert 3590 <= r.ttl(key) <= 3600
    assert r.hget(f"asynq:{{default}}:t:{info.id}", "unique_key") == key.encode()
    assert msg_of(r, "default", info.id).unique_key == key
    with pytest.raises(DuplicateTaskError):
        client.enqueue(Task("email:send", PAYLOAD), unique=3600)
    # other payload, other lock
    client.enqueue(Task("email:send", b"other"), unique=3600)


def test_unique_with_nil_payload_has_empty_suffix(client, r):
    client.enqueue(Task("email:send", None), unique=60)
    assert r.exists("asynq:{default}:unique:email:send:")


def test_scheduled_unique_lock_lasts_until_after_process_at(client, r):
    info = client.enqueue(Task("report", b"p"), unique=100, process_in=1000)
    key = r.keys("*unique*")[0]
    assert 1090 <= r.ttl(key) <= 1100
    assert r.hget(f"asynq:{{default}}:t:{info.id}", "unique_key") == key


def test_group_adds_to_aggregating(client, r, clock):
    info = client.enqueue(Task("t", b"p"), group="g1")
    assert info.state is TaskState.AGGREGATING
    assert r.smembers("asynq:{default}:groups") == {b"g1"}
    assert r.zscore("asynq:{default}:g:g1", info.id) == int(clock.now())
    h = r.hgetall(f"asynq:{{default}}:t:{info.id}")
    assert h[b"state"] == b"aggregating" and h[b"group"] == b"g1"
    assert b"pending_since" not in h
    assert msg_of(r, "default", info.id).group_key == "g1"


def test_group_unique_writes_no_unique_key_field(client, r):
    info = client.enqueue(Task("t", b"p"), group="g1", unique=60)
    h = r.hgetall(f"asynq:{{default}}:t:{info.id}")
    assert b"unique_key" not in h
    assert msg_of(r, "default", info.id).unique_key.startswith("asynq:{default}:unique:t:")


def test_group_with_process_in_is_scheduled_without_group_field(client, r):
    info = client.enqueue(Task("t"), group="g1", process_in=60)
    h = r.hgetall(f"asynq:{{default}}:t:{info.id}")
    assert h[b"state"] == b"scheduled" and b"group" not in h
    assert msg_of(r, "default", info.id).group_key == "g1"


def test_custom_id_conflict(client):
    client.enqueue(Task("t"), task_id="my-id")
    with pytest.raises(TaskIDConflictError):
        client.enqueue(Task("t"), task_id="my-id")


def test_retention_and_headers(client, r):
    info = client.enqueue(Task("t", headers={"k": "v"}), retention=timedelta(hours=2))
    msg = msg_of(r, "default", info.id)
    assert msg.retention == 7200 and dict(msg.headers) == {"k": "v"}
    assert info.headers == {"k": "v"}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"queue": ""}, "queue name"),
        ({"queue": "   "}, "queue name"),
        ({"queue": "a{b}"}, "must not contain"),
        ({"task_id": " "}, "task ID cannot be empty"),
        ({"timeout": -1}, "cannot be negative"),
        ({"retention": -5}, "cannot be negative"),
        ({"process_in": -1}, "cannot be negative"),
        ({"unique": 0.5}, "Unique TTL cannot be less than 1s"),
        ({"group": ""}, "group key cannot be empty"),
        ({"deadline": datetime(2030, 1, 1)}, "timezone-aware"),
    ],
)
def test_bad_options_are_value_errors_and_write_nothing(client, r, kwargs, message):
    with pytest.raises(ValueError, match=message):
        client.enqueue(Task("t"), **kwargs)
    assert r.keys("*") == []


def test_empty_type_is_rejected():
    with pytest.raises(ValueError, match="typename cannot be empty"):
        Task(" ")
    with pytest.raises(TypeError, match="unknown task option"):
        Task("t", nope=1)
    with pytest.raises(TypeError, match="payload must be bytes"):
        Task("t", {"a": 1})


def test_enqueue_many_one_round_trip_with_per_item_results(client, r):
    client.enqueue(Task("t"), task_id="taken")
    results = client.enqueue_many(
        [
            Task("a", b"1"),
            (Task("b", b"2"), {"queue": "low", "process_in": 60}),
            (Task("c"), {"task_id": "taken"}),
            (Task("d"), {"timeout": -1}),
            (Task("e", b"x"), {"group": "g"}),
            (Task("f", b"u"), {"unique": 60}),
            (Task("f", b"u"), {"unique": 60}),
        ]
    )
    assert results[0].state is TaskState.PENDING
    assert results[1].state is TaskState.SCHEDULED and results[1].queue == "low"
    assert isinstance(results[2], TaskIDConflictError)
    assert isinstance(results[3], ValueError)
    assert results[4].state is TaskState.AGGREGATING
    assert results[5].state is TaskState.PENDING
    assert isinstance(results[6], DuplicateTaskError)
    assert r.llen("asynq:{default}:pending") == 3
    assert r.zcard("asynq:{low}:scheduled") == 1
    assert r.smembers("asynq:queues") == {b"default", b"low"}


def test_unreachable_redis_is_a_broker_error_naming_it():
    from tests.support.redis_server import free_port

    port = free_port()
    c = Client(f"redis://127.0.0.1:{port}/0")
    with pytest.raises(BrokerError, match=f"127.0.0.1:{port}"):
        c.enqueue(Task("t"))


def test_client_accepts_a_ready_redis_client(redis_url, r):
    c = Client(redis_lib.Redis.from_url(redis_url))
    c.enqueue(Task("t"))
    assert r.llen("asynq:{default}:pending") == 1
