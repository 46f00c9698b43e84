"""A real 3-master Redis Cluster: enqueue, processing with retries, scheduling, inspection."""

from __future__ import annotations

import threading

import pytest

from pyasynq import Client, Inspector, Scheduler, ServeMux, Server, Task
from tests.support.redis_cluster import RedisClusterDeployment
from tests.support.worker_util import wait_for

QUEUES = {"critical": 6, "default": 3, "low": 1}


@pytest.fixture(scope="module")
def cluster():
    deployment = RedisClusterDeployment().start()
    yield deployment
    deployment.cleanup()


@pytest.fixture
def cluster_url(cluster):
    import redis

    for node in cluster.nodes:
        redis.Redis(port=node.port).flushall()
    return cluster.url


def test_queues_live_on_different_nodes_with_their_slots(cluster_url):
    client = Client(cluster_url)
    for q in QUEUES:
        client.enqueue(Task("t"), queue=q)
    insp = Inspector(cluster_url)
    assert insp.queues() == sorted(QUEUES)
    slots = {q: insp.cluster_key_slot(q) for q in QUEUES}
    assert slots == {"critical": 8090, "default": 5718, "low": 15214}
    nodes = {q: insp.cluster_nodes(q)[0].addr for q in QUEUES}
    assert len(set(nodes.values())) >= 2, "the three queues should not all sit on one node"
    assert insp.redis_cluster_info()["cluster_state"] == "ok"


def test_enqueue_many_spreads_over_nodes(cluster_url):
    client = Client(cluster_url)
    results = client.enqueue_many(
        [(Task("t", str(i).encode()), {"queue": q}) for i in range(30) for q in QUEUES]
    )
    assert all(not isinstance(r, Exception) for r in results)
    insp = Inspector(cluster_url)
    assert {q: insp.get_queue_info(q).pending for q in QUEUES} == {q: 30 for q in QUEUES}


def test_server_processes_with_retries_and_archive_across_nodes(cluster_url):
    client = Client(cluster_url)
    attempts: dict[str, int] = {}
    lock = threading.Lock()
    mux = ServeMux()

    @mux.handle("ok")
    def ok(ctx, task):
        return None

    @mux.handle("flaky")
    def flaky(ctx, task):
        with lock:
            attempts[task.id] = attempts.get(task.id, 0) + 1
            n = attempts[task.id]
        if n == 1:
            raise RuntimeError("first try fails")

    @mux.handle("doomed")
    def doomed(ctx, task):
        raise RuntimeError("always fails")

    for q in QUEUES:
        for _ in range(5):
            client.enqueue(Task("ok"), queue=q)
        client.enqueue(Task("flaky"), queue=q, retention=3600)
        client.enqueue(Task("doomed"), queue=q, max_retry=0)
    server = Server(
        cluster_url,
        concurrency=4,
        queues=QUEUES,
        retry_delay_func=lambda n, e, t: 0,
        delayed_task_check_interval=0.2,
        heartbeat_interval=1,
    )
    server.start(mux)
    insp = Inspector(cluster_url)
    try:
        wait_for(
            lambda: all(
                (i := insp.get_queue_info(q)).completed == 1
                and i.archived == 1
                and i.pending == 0
                and i.retry == 0
                and i.active == 0
                for q in QUEUES
            ),
            timeout=20,
            what="every queue drained",
        )
        wait_for(lambda: len(insp.servers()) == 1, timeout=20, what="server heartbeat")
    finally:
        server.shutdown()
    for q in QUEUES:
        info = insp.get_queue_info(q)
        assert (info.processed, info.failed) == (5 + 2 + 1, 2)
        assert insp.list_archived_tasks(q)[0].last_err == "always fails"
    assert insp.servers() == []


def test_scheduler_enqueues_into_cluster(cluster_url):
    from pyasynq import ManualClock

    clock = ManualClock(1_800_000_000)
    scheduler = Scheduler(cluster_url, clock=clock)
    entry = scheduler.register("@every 30s", Task("tick"), queue="low")
    clock.advance(31)
    scheduler.tick()
    scheduler.heartbeat()
    insp = Inspector(cluster_url, clock=clock)
    assert insp.get_queue_info("low").pending == 1
    (listed,) = insp.scheduler_entries()
    assert listed.id == entry and listed.spec == "@every 30s"
    assert len(insp.list_scheduler_enqueue_events(entry)) == 1
    scheduler.shutdown()
    assert insp.scheduler_entries() == []


def test_workflow_on_cluster_stays_in_its_home_queue_slot(cluster_url):
    """A chord runs on a cluster (workflow hash in its queue's slot); members spread over
    queues on other slots are refused up front, not failed at the first continuation."""
    from pyasynq.extras.workflows import chain, chord, group, parent_results

    client = Client(cluster_url)
    mux = ServeMux()

    @mux.handle("n")
    def n(ctx, task):
        task.result_writer.write(task.payload)

    @mux.handle("sum")
    def total(ctx, task):
        task.result_writer.write(str(sum(int(r) for r in parent_results(task))))

    q, other = "default", "critical"
    wf = client.enqueue_workflow(
        chord(group(Task("n", str(i)) for i in range(5)), Task("sum")),
        queue=q,
        on_success=Task("n", b"cb"),
    )
    with pytest.raises(ValueError, match="home queue"):
        client.enqueue_workflow(chain(Task("n", queue=other), Task("n", queue=q)))
    server = Server(cluster_url, concurrency=4, queues={q: 1}, heartbeat_interval=1)
    server.start(mux)
    try:
        insp = Inspector(cluster_url)
        info = wait_for(
            lambda: (i := insp.get_workflow(wf.id)).on_success.state == "completed" and i
        )
        assert info.state == "succeeded" and info.stages[1][0].result == b"10"
        assert client.wait(info.on_success.id, queue=q, timeout=10).result == b"cb"
    finally:
        server.shutdown()
