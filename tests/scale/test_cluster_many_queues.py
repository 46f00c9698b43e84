"""Many queues on a real 3-master Redis Cluster: the light counts (one script call per queue,
grouped by node) and the summed history (plain GETs through the cluster pipeline) give what
the per-queue reads give, and the paged dashboard serves them."""

from __future__ import annotations

import time

import pytest
import redis

from pyasynq import Client, Inspector, Task
from pyasynq.clock import utc_day
from pyasynq.console import create_app
from tests.console.conftest import ROOT, make_config
from tests.support.redis_cluster import RedisClusterDeployment

NAMES = [f"tenant-{i:02d}" for i in range(40)]


@pytest.fixture(scope="module")
def cluster():
    deployment = RedisClusterDeployment().start()
    yield deployment
    deployment.cleanup()


def test_counts_and_history_totals_across_nodes(cluster):
    cluster_url = cluster.url
    with Client(cluster_url) as client:
        batch = [
            (Task("t", b"{}"), {"queue": q}) for i, q in enumerate(NAMES) for _ in range(i % 4)
        ]
        client.enqueue_many(batch)
        client.enqueue(Task("t", b"{}"), queue="tenant-00")
    rc = redis.RedisCluster(host="127.0.0.1", port=cluster.nodes[0].port)
    rc.sadd("asynq:queues", *NAMES)  # the queues with no task too
    today = utc_day(time.time())
    for i, q in enumerate(NAMES):
        rc.set(f"asynq:{{{q}}}:processed:{today}", i)
        rc.set(f"asynq:{{{q}}}:failed:{today}", i % 3)
    rc.set("asynq:{tenant-07}:pending", "oops")  # bad data on one node among the others
    rc.close()
    insp = Inspector(cluster_url)
    try:
        names = insp.queues()
        assert len({insp.cluster_nodes(q)[0].addr for q in names}) == 3  # spread over masters
        full = {q.queue: q for q in insp.get_queue_infos(names, skip_missing=True)}
        light = insp.queue_counts()
        assert [q.queue for q in light] == sorted(NAMES)
        for q in light:
            f = full[q.queue]
            assert (q.pending, q.size, q.processed, q.failed, q.problems) == (
                f.pending,
                f.size,
                f.processed,
                f.failed,
                f.problems,
            ), q.queue
        assert full["tenant-07"].problems and light[7].problems
        days = insp.history_totals(names, days=2)
        assert (days[0].processed, days[0].failed) == (
            sum(range(40)),
            sum(i % 3 for i in range(40)),
        )
    finally:
        insp.close()
    app = create_app(make_config(cluster_url))
    try:
        html = (
            app.test_client()
            .get(f"{ROOT}/?qsize=10&sort=pending&order=desc")
            .get_data(as_text=True)
        )
        assert html.count("<tr data-queue=") == 10 and "Queues 1–10 of 40" in html
        assert "tenant-07" in html  # named in the bad-data banner, whatever the page
    finally:
        app.extensions["pyasynq"].close()
