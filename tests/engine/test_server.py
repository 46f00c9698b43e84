"""Server end to end against a real Redis, with a ManualClock wherever time matters."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import Counter

import pytest

from pyasynq import Client, Inspector, RevokeTask, ServeMux, Server, SkipRetry, Task
from pyasynq.broker import keys
from pyasynq.broker.codec import decode, decode_task
from pyasynq.broker.proto import ServerInfo
from pyasynq.clock import utc_day
from pyasynq.errors import ServerClosedError
from pyasynq.queues import QueueOrder
from tests.support.worker_util import fast_server, wait_for

Q = "default"


@pytest.fixture
def client(redis_url, clock):
    c = Client(redis_url, clock=clock)
    yield c
    c.close()


@pytest.fixture
def servers():
    started: list[Server] = []
    yield started
    for s in started:
        s.shutdown()


def start(servers, redis_url, clock, handler, **kw):
    s = fast_server(redis_url, clock=clock, **kw)
    s.start(handler)
    servers.append(s)
    return s


def msg_of(r, tid, q=Q):
    return decode_task(r.hget(keys.task_key(q, tid), "msg"))


def test_client_to_server_retry_archive_complete(redis_url, r, clock, client, servers):
    """Tasks our Client enqueued: done, completed (retention), retried, then archived."""
    attempts = Counter()
    mux = ServeMux()

    @mux.handle("ok")
    def ok(ctx, task):
        task.result_writer.write(b"result:" + task.payload)

    @mux.handle("flaky")
    def flaky(ctx, task):
        attempts[task.id] += 1
        assert ctx.retry_count == attempts[task.id] - 1 and ctx.max_retry == 2
        raise ValueError(f"attempt {attempts[task.id]}")

    plain = client.enqueue(Task("ok", b"1"))
    kept = client.enqueue(Task("ok", b"2"), retention=3600)
    bad = client.enqueue(Task("flaky", b"3"), max_retry=2)
    start(servers, redis_url, clock, mux, retry_delay_func=lambda n, e, t: 10)
    wait_for(lambda: r.zscore(keys.retry(Q), bad.id))
    assert not r.exists(keys.task_key(Q, plain.id))
    assert r.zscore(keys.completed(Q), kept.id) == int(clock.now()) + 3600
    h = r.hgetall(keys.task_key(Q, kept.id))
    assert h[b"state"] == b"completed" and h[b"result"] == b"result:2"
    m = msg_of(r, bad.id)
    assert (m.retried, m.error_msg) == (1, "attempt 1")
    assert r.zscore(keys.retry(Q), bad.id) == int(clock.now()) + 10
    for n in (2, 3):
        clock.advance(11)
        if n == 2:
            wait_for(lambda: msg_of(r, bad.id).retried == 2)
    wait_for(lambda: r.zscore(keys.archived(Q), bad.id))
    m = msg_of(r, bad.id)
    assert (m.retried, m.error_msg) == (2, "attempt 3")
    assert r.hget(keys.task_key(Q, bad.id), "state") == b"archived"
    assert attempts[bad.id] == 3
    day = utc_day(clock.now())
    assert r.get(keys.processed_total(Q)) == b"5" and r.get(keys.failed_total(Q)) == b"3"
    assert r.get(keys.processed_daily(Q, day)) == b"5" and r.get(keys.failed_daily(Q, day)) == b"3"
    assert r.llen(keys.active(Q)) == 0 and r.zcard(keys.lease(Q)) == 0
    info = Inspector(redis_url, clock=clock).get_task_info(Q, bad.id)
    assert info.state == "archived" and info.last_err == "attempt 3"


def test_skip_retry_revoke_not_found_and_is_failure(redis_url, r, clock, client, servers):
    mux = ServeMux()

    @mux.handle("skip")
    def skip(ctx, task):
        try:
            raise KeyError("x")
        except KeyError as exc:
            raise SkipRetry("no point") from exc

    @mux.handle("revoke")
    def revoke(ctx, task):
        raise RevokeTask()

    @mux.handle("soft")
    def soft(ctx, task):
        raise TimeoutError()

    s1 = client.enqueue(Task("skip"))
    s2 = client.enqueue(Task("revoke"), retention=100)
    s3 = client.enqueue(Task("soft"))
    s4 = client.enqueue(Task("unknown:type"))
    start(
        servers,
        redis_url,
        clock,
        mux,
        retry_delay_func=lambda n, e, t: 60,
        is_failure=lambda e: not isinstance(e, TimeoutError),
    )
    wait_for(
        lambda: (
            r.zcard(keys.retry(Q)) == 2
            and r.zcard(keys.archived(Q)) == 1
            and r.llen(keys.active(Q)) == 0
        )
    )
    assert r.zrange(keys.archived(Q), 0, -1) == [s1.id.encode()]
    assert msg_of(r, s1.id).error_msg == "no point"
    assert not r.exists(keys.task_key(Q, s2.id)) and r.zcard(keys.completed(Q)) == 0
    m3 = msg_of(r, s3.id)
    assert (m3.retried, m3.error_msg) == (0, "TimeoutError")
    assert msg_of(r, s4.id).error_msg == 'handler not found for task "unknown:type"'
    # skip: processed+failed; revoke: processed; soft: nothing; not found: processed+failed
    assert r.get(keys.processed_total(Q)) == b"3" and r.get(keys.failed_total(Q)) == b"2"


def test_async_handler_and_context(redis_url, r, clock, client, servers):
    seen = {}

    async def handler(ctx, task):
        await asyncio.sleep(0)
        seen.update(id=ctx.task_id, queue=ctx.queue, deadline=ctx.deadline_ts, headers=task.headers)
        task.result_writer.write("async done")

    t = client.enqueue(Task("a", b"p", headers={"k": "v"}), queue="q2", timeout=50, retention=60)
    start(servers, redis_url, clock, handler, queues={"q2": 1})
    wait_for(lambda: r.zscore(keys.completed("q2"), t.id))
    assert seen == {"id": t.id, "queue": "q2", "deadline": clock.now() + 50, "headers": {"k": "v"}}
    assert r.hget(keys.task_key("q2", t.id), "result") == b"async done"


def test_deadline_cancels_and_frees_slot_even_if_handler_never_returns(
    redis_url, r, clock, client, servers
):
    release = threading.Event()
    started = threading.Event()
    ctxs = []

    stuck_settled_when_quick_ran = []

    def handler(ctx, task):
        if task.type == "stuck":
            ctxs.append(ctx)
            started.set()
            release.wait(30)  # ignores ctx on purpose
            return
        # the only slot was busy: quick runs only once stuck's outcome is written
        stuck_settled_when_quick_ran.append(r.zscore(keys.retry(Q), stuck.id) is not None)
        task.result_writer.write(b"ran")

    stuck = client.enqueue(Task("stuck"), timeout=5)
    quick = client.enqueue(Task("quick"), retention=60)
    s = start(
        servers, redis_url, clock, handler, concurrency=1, retry_delay_func=lambda n, e, t: 100
    )
    try:
        assert started.wait(5)
        clock.advance(5)
        wait_for(lambda: r.zscore(keys.retry(Q), stuck.id))
        assert ctxs[0].err == "context deadline exceeded" and ctxs[0].cancelled
        assert msg_of(r, stuck.id).error_msg == "context deadline exceeded"
        wait_for(lambda: r.zscore(keys.completed(Q), quick.id))
        assert stuck_settled_when_quick_ran == [True]
        assert s.processor.abandoned_threads == 1
    finally:
        release.set()


def test_async_handler_is_really_cancelled_on_deadline(redis_url, r, clock, client, servers):
    cancelled = threading.Event()
    started = threading.Event()

    async def handler(ctx, task):
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    t = client.enqueue(Task("a"), timeout=3)
    start(servers, redis_url, clock, handler, retry_delay_func=lambda n, e, t: 100)
    # advance only once the coroutine runs: cancelled before its first await it never sees it
    assert started.wait(10)
    clock.advance(3)
    wait_for(lambda: r.zscore(keys.retry(Q), t.id))
    assert cancelled.wait(2)
    assert msg_of(r, t.id).error_msg == "context deadline exceeded"


def test_cancel_processing_via_pubsub(redis_url, r, clock, client, servers):
    def handler(ctx, task):
        ctx.wait(30)
        ctx.check()

    t = client.enqueue(Task("a"))
    s = start(servers, redis_url, clock, handler, retry_delay_func=lambda n, e, t: 100)
    assert s.subscriber.ready.wait(5)
    wait_for(lambda: r.lrange(keys.active(Q), 0, -1))
    Inspector(redis_url, clock=clock).cancel_processing(t.id)
    wait_for(lambda: r.zscore(keys.retry(Q), t.id))
    assert msg_of(r, t.id).error_msg == "context canceled"


def test_heartbeat_extends_lease_and_lists_server(redis_url, r, clock, client, servers):
    gate = threading.Event()

    def handler(ctx, task):
        gate.wait(10)

    t = client.enqueue(Task("hb", b"pp"), timeout=600)
    s = start(servers, redis_url, clock, handler, concurrency=3, queues={Q: 2, "other": 1})
    try:
        wait_for(lambda: r.lrange(keys.active(Q), 0, -1))
        clock.advance(20)
        wait_for(lambda: r.zscore(keys.lease(Q), t.id) == int(clock.now()) + 30)
        insp = Inspector(redis_url, clock=clock)
        srv = wait_for(lambda: [x for x in insp.servers() if x.active_workers])
        assert len(srv) == 1
        info = srv[0]
        assert (info.id, info.pid, info.concurrency, info.status) == (
            s.server_id,
            s.pid,
            3,
            "active",
        )
        assert info.queues == {Q: 2, "other": 1}
        w = info.active_workers[0]
        assert (w.task_id, w.task_type, w.task_payload, w.queue) == (t.id, "hb", b"pp", Q)
        assert w.deadline.timestamp() == pytest.approx(clock.now() - 20 + 600)
        s.stop()
        skey = keys.server_info(s.host, s.pid, s.server_id)
        wait_for(lambda: decode(ServerInfo, r.get(skey)).status == "stopped")
    finally:
        gate.set()
    wait_for(lambda: r.llen(keys.active(Q)) == 0)
    s.shutdown()
    assert not r.exists(keys.server_info(s.host, s.pid, s.server_id))
    assert r.zcard(keys.ALL_SERVERS) == 0


def test_lease_lost_skips_writes_then_recoverer_retries(redis_url, r, clock, client, servers):
    ctxs = []

    def handler(ctx, task):
        ctxs.append(ctx)
        ctx.wait(30)

    t = client.enqueue(Task("a"), timeout=3600)
    s = start(
        servers,
        redis_url,
        clock,
        handler,
        heartbeat_interval=1000,
        recoverer_interval=1000,
        retry_delay_func=lambda n, e, t: 100,
    )
    wait_for(lambda: ctxs)
    clock.advance(31)  # no heartbeat extended the lease
    wait_for(lambda: ctxs[0].cancelled)
    wait_for(lambda: not s.processor.active_jobs())
    assert r.lrange(keys.active(Q), 0, -1) == [t.id.encode()]
    assert r.hget(keys.task_key(Q, t.id), "state") == b"active"
    assert r.get(keys.processed_total(Q)) is None
    clock.advance(30)
    s.recoverer.trigger()
    wait_for(lambda: r.zscore(keys.retry(Q), t.id))
    m = msg_of(r, t.id)
    assert (m.retried, m.error_msg) == (1, "asynq: task lease expired")
    assert r.get(keys.failed_total(Q)) == b"1"


def test_recoverer_archives_when_retries_exhausted(redis_url, r, clock, client, servers):
    t = client.enqueue(Task("a"), max_retry=0)
    from pyasynq.broker.broker import Broker

    Broker(redis_url, clock=clock).dequeue([Q])  # a worker that then died
    clock.advance(61)
    other = start(servers, redis_url, clock, lambda ctx, task: None, queues={"elsewhere": 1})
    assert other.recoverer.trigger(wait=5)  # a whole pass, after the one at start
    assert r.zcard(keys.archived(Q)) == 0  # only served queues are recovered
    start(servers, redis_url, clock, lambda ctx, task: None)
    wait_for(lambda: r.zscore(keys.archived(Q), t.id))
    assert msg_of(r, t.id).error_msg == "asynq: task lease expired"


def test_forwarder_and_janitor(redis_url, r, clock, client, servers):
    t = client.enqueue(Task("a"), process_in=30, retention=20)
    s = start(servers, redis_url, clock, lambda ctx, task: None)
    assert s.forwarder.trigger(wait=5)  # a whole pass: not due yet
    assert r.zscore(keys.scheduled(Q), t.id) is not None
    clock.advance(30)
    wait_for(lambda: r.zscore(keys.completed(Q), t.id))
    clock.advance(21)
    wait_for(lambda: not r.exists(keys.task_key(Q, t.id)))
    assert r.zcard(keys.completed(Q)) == 0


def test_graceful_shutdown_requeues_unfinished_counts_once(redis_url, r, clock, client, servers):
    release = threading.Event()
    started = []

    def handler(ctx, task):
        started.append(task.type)
        if task.type == "stuck":
            release.wait(30)
        else:
            time.sleep(0.2)

    stuck = client.enqueue(Task("stuck"))
    client.enqueue(Task("finish"))
    s = start(servers, redis_url, clock, handler, concurrency=2, shutdown_timeout=1.0)
    wait_for(lambda: len(started) == 2)
    skey = keys.server_info(s.host, s.pid, s.server_id)
    th = threading.Thread(target=s.shutdown)
    th.start()
    wait_for(lambda: r.get(skey) and decode(ServerInfo, r.get(skey)).status == "closed")
    th.join(10)
    release.set()
    assert r.lrange(keys.pending(Q), 0, -1) == [stuck.id.encode()]
    assert r.hget(keys.task_key(Q, stuck.id), "state") == b"pending"
    assert r.llen(keys.active(Q)) == 0 and r.zcard(keys.lease(Q)) == 0
    assert r.get(keys.processed_total(Q)) == b"1"
    assert not r.exists(skey)
    with pytest.raises(ServerClosedError):
        s.start(handler)


def test_strict_priority_and_paused_queue(redis_url, r, clock, client, servers):
    order = []
    for i in range(3):
        client.enqueue(Task("t", f"low{i}".encode()), queue="low")
        client.enqueue(Task("t", f"crit{i}".encode()), queue="critical")
    client.enqueue(Task("t", b"paused"), queue="paused")
    r.set(keys.paused("paused"), int(clock.now()))
    start(
        servers,
        redis_url,
        clock,
        lambda ctx, task: order.append(task.payload),
        concurrency=1,
        queues={"critical": 6, "low": 1, "paused": 9},
        strict_priority=True,
    )
    wait_for(lambda: len(order) == 6)
    assert [p[:3] for p in order] == [b"cri"] * 3 + [b"low"] * 3
    # strict order tries "paused" (priority 9) first on every fetch: once a later task of
    # "low" has run, fetches that skipped the paused queue have happened
    client.enqueue(Task("t", b"low-after"), queue="low")
    wait_for(lambda: len(order) == 7)
    assert order[-1] == b"low-after"
    assert r.llen(keys.pending("paused")) == 1


def test_queue_order_weighted_and_strict():
    strict = QueueOrder({"low": 1, "critical": 6, "default": 3}, strict=True)
    assert strict.order() == ["critical", "default", "low"]
    assert QueueOrder({"only": 5}).order() == ["only"]
    assert QueueOrder({"": 3, "x": 0}).configured == {"default": 1}
    weighted = QueueOrder({"critical": 12, "default": 6, "low": 2}, rng=random.Random(7))
    assert weighted.priorities == {"critical": 6, "default": 3, "low": 1}
    firsts = Counter(weighted.order()[0] for _ in range(20000))
    assert firsts["critical"] / 20000 == pytest.approx(0.6, abs=0.02)
    assert firsts["default"] / 20000 == pytest.approx(0.3, abs=0.02)
    assert firsts["low"] / 20000 == pytest.approx(0.1, abs=0.02)
    assert sorted(weighted.order()) == ["critical", "default", "low"]


def test_idle_worker_picks_up_within_a_second_and_polls_little(redis_url, r, client):
    done = threading.Event()
    s = Server(redis_url, concurrency=2)  # real defaults: 1 s task check interval
    s.start(lambda ctx, task: done.set())
    try:
        time.sleep(1.6)
        before = int(r.info("stats")["total_commands_processed"])
        time.sleep(2.0)
        per_second = (int(r.info("stats")["total_commands_processed"]) - before - 1) / 2.0
        t0 = time.monotonic()
        Client(redis_url).enqueue(Task("x"))
        assert done.wait(3)
        latency = time.monotonic() - t0
    finally:
        s.shutdown()
    print(f"idle Redis commands/s: {per_second:.1f}; pickup latency {latency:.2f}s")
    assert latency < 1.6
    assert per_second < 5


def test_syncer_retries_failed_write(redis_url, r, clock, client, servers):
    from pyasynq.errors import BrokerError

    s = start(servers, redis_url, clock, lambda ctx, task: None)
    calls = []

    def write():
        calls.append(1)
        if len(calls) < 3:
            raise BrokerError("cannot reach Redis")

    s.syncer.add("test write", write, clock.now() + 30)
    wait_for(lambda: len(calls) == 3)
    assert s.syncer.pending == 0
    s.syncer.add("late write", write, clock.now() - 1)
    wait_for(lambda: s.syncer.pending == 0)
    assert len(calls) == 3


def test_health_check_and_options(redis_url, clock, servers):
    results = []
    start(
        servers,
        redis_url,
        clock,
        lambda c, t: None,
        health_check_func=results.append,
        health_check_interval=0.05,
    )
    wait_for(lambda: len(results) >= 2)
    assert results[0] is None
    with pytest.raises(ValueError):
        Server(redis_url, group_grace_period=0.5)
    s = Server(redis_url)
    assert s.concurrency >= 1 and s.queues == {"default": 1} and s.shutdown_timeout == 8
    assert s.config.group_grace_period == 60 and s.config.heartbeat_interval == 5
    assert s.config.recoverer_interval == 60


def test_group_aggregator_hook_and_error_handler(redis_url, r, clock, client, servers):
    got = []
    errors = []

    def aggregate(group, tasks):
        return Task("batch", b",".join(t.payload for t in tasks))

    def handler(ctx, task):
        got.append((task.type, task.payload))
        if task.type == "batch":
            raise ValueError("batch failed")

    for i in range(3):
        client.enqueue(Task("item", str(i).encode()), group="g")
    s = start(
        servers,
        redis_url,
        clock,
        handler,
        group_aggregator=aggregate,
        group_max_size=3,
        group_grace_period=1,
        retry_delay_func=lambda n, e, t: 100,
        error_handler=lambda ctx, task, err: errors.append((task.type, str(err))),
    )
    assert s.aggregator is not None
    wait_for(lambda: got, timeout=15)
    assert got[0][0] == "batch" and sorted(got[0][1].split(b",")) == [b"0", b"1", b"2"]
    wait_for(lambda: errors == [("batch", "batch failed")])
