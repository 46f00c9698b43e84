"""AsyncClient and AsyncInspector on a real 3-master Redis Cluster (queues on several nodes)."""

from __future__ import annotations

import asyncio

import pytest

from pyasynq import AsyncClient, AsyncInspector, Inspector, Task, TaskState
from tests.support.redis_cluster import RedisClusterDeployment

QUEUES = ["critical", "default", "low"]


@pytest.fixture(scope="module")
def cluster_url():
    deployment = RedisClusterDeployment().start()
    yield deployment.url
    deployment.cleanup()


def test_async_enqueue_and_inspect_on_a_cluster(cluster_url):
    async def go():
        async with AsyncClient(cluster_url) as ac, AsyncInspector(cluster_url) as ai:
            one = await ac.enqueue(Task("a", b"1"), queue="critical")
            many = await ac.enqueue_many(
                [(Task("b"), {"queue": q}) for q in QUEUES] + [Task("p")] * 20
            )
            later = await ac.enqueue(Task("c"), queue="low", process_in=60)
            infos = [await ai.get_task_info(i.queue, i.id) for i in [one, *many, later]]
            await ai.run_task("low", later.id)
            return one, many, infos, await ai.queues()

    one, many, infos, queues = asyncio.run(go())
    assert queues == sorted(QUEUES)
    assert [i.id for i in infos] == [i.id for i in [one, *many]] + [infos[-1].id]
    assert infos[-1].state is TaskState.SCHEDULED
    with Inspector(cluster_url) as ins:
        assert ins.get_queue_info("default").pending == 21
        assert ins.get_queue_info("low").pending == 2
