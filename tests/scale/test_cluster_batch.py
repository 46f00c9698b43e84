"""Every batch action on a real 3-master Redis Cluster: selected rows, all of a state, and the
console's "archive selected", "... all" and filtered bulk actions through its JSON API.

Selected-rows actions once sent EVALSHA through redis-py's cluster pipeline, which refuses it,
so "archive selected" was a 500 on a cluster; they now go through ``BrokerBase.run_many`` (one
plain pipeline per node), like every other batch of scripts.
"""

from __future__ import annotations

import pytest
import redis
from redis.exceptions import RedisClusterException, SlotNotCoveredError

from pyasynq import Client, Inspector, Task
from pyasynq.broker.base import translate
from pyasynq.console import create_app
from pyasynq.errors import BrokerError, RedisUnavailableError
from tests.console.conftest import ROOT, make_config
from tests.support.redis_cluster import RedisClusterDeployment

QUEUES = ("critical", "default", "low")  # slots 8090, 5718, 15214: more than one node
TOKEN = "cluster-batch-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def cluster():
    deployment = RedisClusterDeployment().start()
    yield deployment
    deployment.cleanup()


@pytest.fixture
def cluster_url(cluster):
    for node in cluster.nodes:
        redis.Redis(port=node.port).flushall()
    return cluster.url


def _scheduled(client: Client, queue: str, n: int) -> list[str]:
    return [client.enqueue(Task("t", str(i)), queue=queue, process_in=3600).id for i in range(n)]


def test_selected_rows_actions_on_every_node(cluster_url):
    client = Client(cluster_url)
    insp = Inspector(cluster_url)
    ids = {q: _scheduled(client, q, 5) for q in QUEUES}
    assert len({insp.cluster_nodes(q)[0].addr for q in QUEUES}) >= 2
    for q in QUEUES:
        archived = insp.archive_tasks(q, ids[q][:3])
        assert (archived.done, archived.errors) == (3, {})
        ran = insp.run_tasks(q, ids[q][:2])
        assert (ran.done, ran.errors) == (2, {})
        deleted = insp.delete_tasks(q, [ids[q][2], "no-such-task"])
        assert deleted.done == 1 and list(deleted.errors) == ["no-such-task"]
        info = insp.get_queue_info(q)
        assert (info.pending, info.scheduled, info.archived) == (2, 2, 0)
    client.close()
    insp.close()


def test_all_of_a_state_actions_on_every_node(cluster_url):
    client = Client(cluster_url)
    insp = Inspector(cluster_url)
    for q in QUEUES:
        _scheduled(client, q, 3)
        for i in range(2):
            client.enqueue(Task("agg", str(i)), queue=q, group="g1")
        assert insp.bulk(q, "scheduled", "archive") == 3
        assert insp.bulk(q, "archived", "run") == 3
        assert insp.archive_all_pending_tasks(q) == 3
        assert insp.bulk(q, "aggregating", "run", group="g1") == 2
        assert insp.bulk(q, "pending", "delete") == 2
        assert insp.delete_all_archived_tasks(q) == 3
        info = insp.get_queue_info(q)
        assert (info.pending, info.scheduled, info.archived, info.aggregating) == (0, 0, 0, 0)
    client.close()
    insp.close()


def test_console_archive_selected_and_all_on_cluster(cluster_url):
    app = create_app(make_config(cluster_url, api_token=TOKEN))
    app.config["TESTING"] = True
    api = app.test_client()
    client = Client(cluster_url)
    try:
        for q in QUEUES:
            ids = _scheduled(client, q, 4)
            url = f"{ROOT}/api/queues/{q}/states/scheduled"
            resp = api.post(
                f"{url}/batch", headers=AUTH, json={"action": "archive", "ids": ids[:2]}
            )
            assert resp.status_code == 200, resp.get_data(as_text=True)
            assert resp.get_json() == {"action": "archive", "done": 2, "errors": {}}
            resp = api.post(f"{url}/all", headers=AUTH, json={"action": "delete"})
            assert resp.status_code == 200 and resp.get_json()["done"] == 2
            url = f"{ROOT}/api/queues/{q}/states/archived"
            resp = api.post(f"{url}/batch", headers=AUTH, json={"action": "run", "ids": ids[:2]})
            assert resp.get_json()["done"] == 2
            listed = api.get(f"{ROOT}/api/queues/{q}/states/pending/tasks", headers=AUTH)
            assert sorted(t["id"] for t in listed.get_json()["tasks"]) == sorted(ids[:2])
            url = f"{ROOT}/api/queues/{q}/states/pending/bulk"  # filtered: search, then batches
            out = api.post(url, headers=AUTH, json={"action": "archive", "type": "t"}).get_json()
            assert out["done"] == 2 and out["finished"]
    finally:
        client.close()
        app.extensions["pyasynq"].close()


def test_cluster_client_errors_become_broker_errors():
    refused = translate(RedisClusterException("EVALSHA is blocked in pipeline mode"), "cluster")
    assert type(refused) is BrokerError and "EVALSHA" in str(refused)
    uncovered = translate(SlotNotCoveredError("slot 42 is not covered"), "cluster")
    assert isinstance(uncovered, RedisUnavailableError)
