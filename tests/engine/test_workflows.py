"""Workflows under real Servers: chains, chords, callbacks, failures, cancelling, Go workers.

Go workers cannot be built here, so "a Go worker" is Redis driven exactly as Go's worker does:
Go's dequeue and mark_complete/archive scripts (ours in engine/broker/scripts are Go's
semantics, checked against Go's captures elsewhere), without any pyasynq hook.
"""

from __future__ import annotations

import json
import threading

import pytest

from pyasynq import Client, Inspector, ServeMux, SkipRetry, Task
from pyasynq.broker import keys
from pyasynq.broker.broker import Broker
from pyasynq.broker.codec import decode_task
from pyasynq.errors import TaskIDConflictError, WorkflowNotFoundError
from pyasynq.extras.workflows import (
    chain,
    chord,
    group,
    parent_results,
    parents,
    reconcile,
    workflow_id_of,
)
from tests.support.worker_util import fast_server, wait_for

Q = "default"


@pytest.fixture
def client(redis_url):
    c = Client(redis_url)
    yield c
    c.close()


@pytest.fixture
def servers():
    started = []
    yield started
    for s in started:
        s.shutdown()


def start(servers, redis_url, mux, **kw):
    s = fast_server(redis_url, concurrency=kw.pop("concurrency", 8), **kw)
    s.start(mux)
    servers.append(s)
    return s


def finished(insp, wid, state="succeeded"):
    def check():
        info = insp.get_workflow(wid)
        return info if info.state == state and _callbacks_done(info) else None

    return check


def _callbacks_done(info):
    cbs = [m for m in (info.on_success, info.on_failure) if m is not None]
    return all(m.state in ("completed", "archived", "waiting", "cancelled") for m in cbs) and not [
        m for m in cbs if m.state == "enqueued"
    ]


def arith_mux(log=None):
    """add: result = payload int + sum of parent results; collect: JSON list of parents."""
    mux = ServeMux()
    lock = threading.Lock()

    @mux.handle("add")
    def add(ctx, task):
        total = int(task.payload) + sum(int(r) for r in parent_results(task))
        task.result_writer.write(str(total).encode())

    @mux.handle("square")
    def square(ctx, task):
        task.result_writer.write(str(int(task.payload) ** 2).encode())

    @mux.handle("collect")
    def collect(ctx, task):
        got = [int(p.result) for p in parents(task)]
        task.result_writer.write(json.dumps(got).encode())

    @mux.handle("boom")
    def boom(ctx, task):
        raise SkipRetry("boom: " + task.payload.decode())

    @mux.handle("note")
    def note(ctx, task):
        with lock:
            if log is not None:
                log.append((task.type, task.payload, task.headers.get("pyasynq-parents")))

    return mux


def test_three_step_chain_passes_results(redis_url, client, servers):
    insp = Inspector(redis_url)
    wf = client.enqueue_workflow(chain(Task("add", b"1"), Task("add", b"10"), Task("add", b"100")))
    assert wf.state == "running" and [m.state for s in wf.stages for m in s] == [
        "enqueued",
        "waiting",
        "waiting",
    ]
    start(servers, redis_url, arith_mux())
    info = wait_for(finished(insp, wf.id), what="chain finished")
    assert [m.result for s in info.stages for m in s] == [b"1", b"11", b"111"]
    assert info.enqueues == 3
    last = info.stages[2][0]
    task = insp.get_task_info(Q, last.id)
    assert task.result == b"111" and workflow_id_of(task) == wf.id
    assert [p.id for p in parents(task)] == [info.stages[1][0].id]


def test_twenty_member_chord(redis_url, client, servers):
    insp = Inspector(redis_url)
    wf = client.enqueue_workflow(
        chord(group(Task("square", str(i)) for i in range(20)), Task("collect"))
    )
    start(servers, redis_url, arith_mux())
    info = wait_for(finished(insp, wf.id), what="chord finished")
    assert json.loads(info.stages[1][0].result) == [i * i for i in range(20)]
    assert info.enqueues == 21


def test_chain_of_groups(redis_url, client, servers):
    insp = Inspector(redis_url)
    flow = chain(
        group(Task("add", b"1"), Task("add", b"2")),
        Task("add", b"0"),
        group(Task("add", b"10"), Task("add", b"20")),
        Task("collect"),
    )
    wf = client.enqueue_workflow(flow, name="fan-out-in")
    start(servers, redis_url, arith_mux())
    info = wait_for(finished(insp, wf.id), what="chain of groups finished")
    assert info.name == "fan-out-in"
    assert [m.result for m in info.stages[2]] == [b"13", b"23"]
    assert json.loads(info.stages[3][0].result) == [13, 23]


def test_failing_member_stops_chain_and_fires_failure_callback(redis_url, client, servers):
    insp = Inspector(redis_url)
    log: list = []
    wf = client.enqueue_workflow(
        chain(Task("add", b"1"), Task("boom", b"x"), Task("add", b"5")),
        on_success=Task("note", b"ok"),
        on_failure=Task("note", b"failed"),
    )
    start(servers, redis_url, arith_mux(log))
    info = wait_for(finished(insp, wf.id, "failed"), what="chain failed")
    steps = [m.state for s in info.stages for m in s]
    assert steps == ["completed", "archived", "waiting"]
    assert info.failed is not None and info.failed.error == "boom: x"
    assert info.finished >= info.created and info.failed.finished_at >= info.failed.enqueued_at
    assert info.on_success.state == "waiting" and info.on_failure.state == "completed"
    wait_for(lambda: log, what="failure callback ran")
    assert len(log) == 1 and log[0][1] == b"failed"
    (p,) = json.loads(log[0][2])
    assert p["id"] == info.stages[1][0].id and p["state"] == "archived" and p["error"] == "boom: x"
    assert insp.get_task_info(Q, info.stages[1][0].id).state.value == "archived"


def test_enqueue_option_callbacks(redis_url, client, servers):
    insp = Inspector(redis_url)
    log: list = []
    ok = client.enqueue(Task("square", b"7"), on_success=Task("note", b"s"), max_retry=3)
    bad = client.enqueue(Task("boom", b"y"), on_failure=Task("note", b"f"), queue="low")
    assert ok.headers["pyasynq-workflow"] and ok.max_retry == 3 and ok.retention.total_seconds() > 0
    start(servers, redis_url, arith_mux(log), queues={Q: 1, "low": 1})
    wait_for(lambda: len(log) == 2, what="both callbacks ran")
    by = {payload: json.loads(header) for _t, payload, header in log}
    assert by[b"s"] == [{"id": ok.id, "queue": Q, "state": "completed", "result": "NDk="}]
    assert by[b"f"] == [{"id": bad.id, "queue": "low", "state": "archived", "error": "boom: y"}]
    assert insp.get_task_info("low", bad.id).state.value == "archived"


def test_wait_returns_final_info(redis_url, client, servers):
    t = client.enqueue(Task("square", b"9"), retention=60)
    start(servers, redis_url, arith_mux())
    assert client.wait(t.id, timeout=10).result == b"81"
    f = client.enqueue(Task("boom", b"z"), retention=60)
    got = f.wait(client, timeout=10)
    assert got.state.value == "archived" and got.last_err == "boom: z"


def test_member_options_are_checked(client):
    with pytest.raises(ValueError, match="not supported"):
        client.enqueue_workflow(chain(Task("a", process_in=10), Task("b")))
    with pytest.raises(ValueError, match="retention"):
        client.enqueue_workflow(chain(Task("a", retention=0)))
    with pytest.raises(TypeError):
        group(chain(Task("a")))
    taken = client.enqueue(Task("x"))
    with pytest.raises(TaskIDConflictError):
        client.enqueue(Task("y"), task_id=taken.id, on_success=Task("z"))
    with pytest.raises(WorkflowNotFoundError):
        Inspector(client.broker).get_workflow("nope")


# -- Go workers --------------------------------------------------------------------------------
def go_worker_finish(broker: Broker, queue: str, *, result: bytes | None = None, error: str = ""):
    """What a Go worker does with the next pending task: dequeue (§4.10), write the result
    (§4.20), then mark_complete (§4.12) or archive (§4.15): Go's scripts, no pyasynq hook."""
    got = broker.dequeue([queue])
    assert got is not None, "nothing pending"
    msg = decode_task(got[0])
    if error:
        broker.archive(msg, error)
    else:
        if result is not None:
            broker.write_result(queue, msg.id, result)
        broker.mark_complete(msg)
    return msg


def test_go_worker_member_is_reconciled_exactly_once(redis_url, client, r):
    broker = Broker(redis_url)
    wf = client.enqueue_workflow(
        chain(Task("add", b"1"), Task("add", b"2")), on_success=Task("note", b"done")
    )
    first = go_worker_finish(broker, Q, result=b"1")
    info = client.broker and Inspector(redis_url).get_workflow(wf.id)
    # Go fired nothing: the task is completed (it has a retention), the next step waits
    assert r.hget(keys.task_key(Q, first.id), "state") == b"completed"
    assert [m.state for s in info.stages for m in s] == ["enqueued", "waiting"]
    assert r.llen(keys.pending(Q)) == 0
    assert reconcile(broker) == 1
    assert reconcile(broker) == 0  # exactly once, however often it runs
    info = Inspector(redis_url).get_workflow(wf.id)
    assert [m.state for s in info.stages for m in s] == ["completed", "enqueued"]
    assert info.stages[0][0].result == b"1" and r.llen(keys.pending(Q)) == 1
    second = go_worker_finish(broker, Q, result=b"3")
    assert [p.result for p in parents(second)] == [b"1"]  # Go sees the parents header too
    assert reconcile(broker) == 1
    info = Inspector(redis_url).get_workflow(wf.id)
    assert info.state == "succeeded" and info.on_success.state == "enqueued"
    assert info.enqueues == 3
    go_worker_finish(broker, Q)
    assert reconcile(broker) == 1 and reconcile(broker) == 0
    assert Inspector(redis_url).get_workflow(wf.id).on_success.state == "completed"
    assert not r.zrange("pyasynq:workflows:open", 0, -1)  # nothing left to watch


def test_go_worker_archive_fires_failure_callback(redis_url, client, r):
    broker = Broker(redis_url)
    wf = client.enqueue_workflow(
        chain(Task("add", b"1"), Task("add", b"2")), on_failure=Task("note", b"f")
    )
    go_worker_finish(broker, Q, error="go says no")
    assert reconcile(broker) == 1 and reconcile(broker) == 0
    info = Inspector(redis_url).get_workflow(wf.id)
    assert info.state == "failed" and info.failed.error == "go says no"
    assert info.on_failure.state == "enqueued" and info.stages[1][0].state == "waiting"


def test_go_worker_then_pyasynq_server_continues(redis_url, client, servers):
    """A Go worker completes step 1; a pyasynq Server's janitor fires step 2, which it runs."""
    broker = Broker(redis_url)
    wf = client.enqueue_workflow(chain(Task("add", b"5"), Task("add", b"1")))
    go_worker_finish(broker, Q, result=b"5")
    start(servers, redis_url, arith_mux())
    info = wait_for(finished(Inspector(redis_url), wf.id), what="continued by the janitor")
    assert info.stages[1][0].result == b"6"


def test_deleted_member_fails_the_workflow(redis_url, client):
    insp = Inspector(redis_url)
    wf = client.enqueue_workflow(chain(Task("add", b"1"), Task("add", b"2")))
    insp.delete_task(Q, wf.stages[0][0].id)
    assert reconcile(client.broker) == 1
    info = insp.get_workflow(wf.id)
    assert info.state == "failed" and info.stages[0][0].state == "lost"
    assert "deleted" in info.failed.error


# -- cancelling --------------------------------------------------------------------------------
def test_cancel_deletes_pending_and_cancels_running(redis_url, client, servers, r):
    insp = Inspector(redis_url)
    running = threading.Event()
    mux = arith_mux()

    @mux.handle("block")
    def block(ctx, task):
        running.set()
        ctx.wait(20)
        ctx.check()

    wf = client.enqueue_workflow(
        chain(group(Task("block"), Task("add", b"1", queue="parked")), Task("add", b"2")),
        on_failure=Task("note"),
    )
    start(servers, redis_url, mux, retry_delay_func=lambda n, e, t: 60)
    wait_for(running.is_set, what="block runs")
    info = insp.cancel_workflow(wf.id)
    assert info.state == "cancelled"
    parked = info.stages[0][1]
    assert parked.state == "cancelled" and r.llen(keys.pending("parked")) == 0
    assert info.stages[1][0].state == "cancelled" and info.on_failure.state == "cancelled"

    def settled():
        i = insp.get_workflow(wf.id)
        return i if i.stages[0][0].state == "cancelled" else None

    info = wait_for(settled, what="the running member is cancelled, its retry deleted")
    assert info.state == "cancelled" and info.enqueues == 2
    assert r.zcard(keys.retry(Q)) == 0 and r.llen(keys.pending(Q)) == 0
    assert insp.cancel_workflow(wf.id).state == "cancelled"  # again: harmless


def test_wait_is_pushed_and_polls_for_go_workers(redis_url, client, servers):
    # pushed: with a 60 s poll interval, only the worker's notice can end the wait in time
    t = client.enqueue(Task("square", b"3"), retention=60)
    start(servers, redis_url, arith_mux())
    assert client.wait(t.id, timeout=8, poll_interval=60).result == b"9"
    for s in servers:
        s.shutdown()
    servers.clear()
    # polled: a Go worker publishes nothing
    g = client.enqueue(Task("square", b"4"), retention=60)
    broker = Broker(redis_url)
    timer = threading.Timer(0.3, go_worker_finish, (broker, Q), {"result": b"16"})
    timer.start()
    try:
        assert client.wait(g.id, timeout=8, poll_interval=0.05).result == b"16"
    finally:
        timer.join()


def test_recoverer_archive_fires_failure_callback_at_once(redis_url, clock, r):
    """A worker died holding a member with no retry left: the recoverer archives it with the
    workflow script, so on_failure is enqueued in that same call."""
    from pyasynq.components.recoverer import Recoverer

    broker = Broker(redis_url, clock=clock)
    wf = Client(broker).enqueue_workflow(
        chain(Task("add", b"1", max_retry=0), Task("add", b"2")), on_failure=Task("note")
    )
    assert broker.dequeue([Q]) is not None  # the worker that then dies
    clock.advance(120)
    rec = Recoverer(
        broker,
        [Q],
        interval=60,
        clock=clock,
        retry_delay_func=lambda n, e, t: 1,
        is_failure=lambda e: True,
    )
    rec.run_once()
    info = Inspector(broker).get_workflow(wf.id)
    assert info.state == "failed" and info.stages[0][0].state == "archived"
    assert "lease expired" in info.failed.error
    assert info.on_failure.state == "enqueued" and r.llen(keys.pending(Q)) == 1


def test_list_prunes_workflows_whose_record_expired(client, r):
    insp = Inspector(client.broker)
    a = client.enqueue_workflow(chain(Task("a")), name="kept")
    b = client.enqueue_workflow(chain(Task("b")), name="expired")
    assert r.ttl(f"pyasynq:{{default}}:wf:{b.id}") > 6 * 24 * 3600  # the 7-day default ttl
    r.delete(f"pyasynq:{{default}}:wf:{b.id}")  # as its TTL would
    found, total = insp.list_workflows()
    assert [w.id for w in found] == [a.id] and total == 1
    assert not r.zscore("pyasynq:workflows", b.id) and not r.hexists("pyasynq:workflows:home", b.id)
    with pytest.raises(WorkflowNotFoundError):
        insp.get_workflow(b.id)
