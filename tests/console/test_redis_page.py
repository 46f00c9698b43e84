"""The Redis page: INFO figures on one Redis; nodes, slots and queue locations on a cluster."""

from __future__ import annotations

import re

import pytest
import redis

from pyasynq import Client, Inspector, Task
from pyasynq.console import create_app
from tests.console.conftest import ROOT, assert_no_traceback, make_config
from tests.console.ops_support import wait_for
from tests.support.redis_cluster import RedisClusterDeployment


def figure(html: str, name: str) -> str:
    match = re.search(rf'<dd data-figure="{name}">(.*?)</dd>', html, re.S)
    assert match, name
    return match.group(1).strip()


def test_single_redis_figures(client, producer, r):
    producer.enqueue(Task("a"), queue="default")
    info = r.info()
    html = client.get(f"{ROOT}/redis").get_data(as_text=True)
    assert figure(html, "version") == info["redis_version"]
    assert figure(html, "mode") == "standalone"
    assert figure(html, "clients").isdigit()
    assert figure(html, "ops").isdigit()
    assert "iB" in figure(html, "used_memory") and "iB" in figure(html, "peak_memory")
    assert re.search(r"<th scope=\"row\">db0</th><td class=\"num\">\d+</td>", html)
    assert "Raw INFO" in html and "redis_version:" + info["redis_version"] in html
    frag = client.get(f"{ROOT}/_fragments/redis").get_data(as_text=True)
    assert 'id="redis-body"' in frag and "data-poll" in frag


def test_redis_down_is_503(dead_redis_url):
    app = create_app(make_config(dead_redis_url))
    resp = app.test_client().get(f"{ROOT}/redis")
    assert resp.status_code == 503
    assert_no_traceback(resp.get_data(as_text=True))


@pytest.fixture(scope="module")
def cluster():
    deployment = RedisClusterDeployment().start()
    yield deployment
    deployment.cleanup()


@pytest.mark.slow
def test_cluster_nodes_and_queue_locations(cluster):
    for node in cluster.nodes:
        redis.Redis(port=node.port).flushall()
    queues = ("critical", "default", "low")
    with Client(cluster.url) as client:
        for q in queues:
            client.enqueue(Task("t"), queue=q)
    app = create_app(make_config(cluster.url, record_throughput=True))
    c = app.test_client()
    html = c.get(f"{ROOT}/redis").get_data(as_text=True)
    assert_no_traceback(html)
    assert figure_state(html) == "ok"
    nodes = dict(re.findall(r'<tr data-node="([^"]+)">(.*?)</tr>', html, re.S))
    assert set(nodes) == {f"127.0.0.1:{n.port}" for n in cluster.nodes}
    for row in nodes.values():
        assert "primary" in row and "connected" in row
        assert re.search(r"\d+-\d+", row)  # its slot ranges
        assert "not reachable" not in row
    located = dict(re.findall(r'<tr data-queue="([^"]+)">(.*?)</tr>', html, re.S))
    insp = Inspector(cluster.url)
    for q, slot in {"critical": 8090, "default": 5718, "low": 15214}.items():
        assert f'<td class="num">{slot}</td>' in located[q]
        assert f"<code>{insp.cluster_nodes(q)[0].addr}</code>" in located[q]
    insp.close()
    # the console's recorder, the throughput page and type counts work on a cluster too
    insp = Inspector(cluster.url)
    wait_for(
        lambda: all(insp.broker.throughput_samples(q, 0) for q in queues),
        what="samples on every node",
    )
    insp.close()
    assert c.get(f"{ROOT}/throughput").status_code == 200
    assert c.get(f"{ROOT}/_fragments/queues/low/insights?state=pending").status_code == 200
    app.extensions["pyasynq"].close()


def figure_state(html: str) -> str:
    return figure_cluster(html, "cluster_state")


def figure_cluster(html: str, name: str) -> str:
    match = re.search(rf'<strong data-figure="{name}">(.*?)</strong>', html)
    assert match
    return match.group(1)
