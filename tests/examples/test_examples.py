"""The examples application runs: producer options, handlers through a real Server, the
scheduler, the dead-letter helper and the console mounted in a host app."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest

from pyasynq import Client, Inspector, ManualClock, Server, Task, TaskState
from pyasynq.broker.codec import decode_task, encode
from pyasynq.examples import dead_letters, handlers, producer, scheduler, tasks, webhook_sink
from pyasynq.examples.worker import aggregate, retry_delay
from tests.support.worker_util import wait_for


def test_showcase_uses_every_enqueue_option(redis_url):
    infos = producer.showcase(Client(redis_url))
    states = {i.state for i in infos}
    assert {TaskState.PENDING, TaskState.SCHEDULED, TaskState.AGGREGATING} <= states
    by_type = {i.type for i in infos}
    assert by_type >= {
        tasks.EMAIL_DELIVERY,
        tasks.IMAGE_RESIZE,
        tasks.REPORT_GENERATE,
        tasks.DATA_SYNC,
        tasks.WEBHOOK_DELIVERY,
        tasks.ANALYTICS_EVENT,
    }
    assert any(i.unique_key for i in infos)
    assert any(i.id.startswith("report-initech-q4-") for i in infos)
    assert any(i.retention.total_seconds() == 86400 for i in infos)
    assert any(i.headers.get("trace-id") for i in infos)
    assert any(i.queue == "critical" for i in infos) and any(i.queue == "low" for i in infos)


def test_handlers_through_a_real_server(redis_url, monkeypatch):
    monkeypatch.setenv("DEMO_FAILURE_RATE", "0")
    sink, hook_url = webhook_sink.start()
    client = Client(redis_url)
    ok = client.enqueue(tasks.webhook(hook_url + "/ok", "order.paid", {"order": 1}))
    gone = client.enqueue(tasks.webhook(hook_url + "/gone", "order.paid", {"order": 2}))
    bad_email = client.enqueue(tasks.email("not-an-address", "welcome"))
    image = client.enqueue(tasks.image_resize("img-1", 32, 32), retention=600)
    broken = client.enqueue(Task(tasks.REPORT_GENERATE, b"{not json"), queue="low")
    server = Server(
        redis_url,
        concurrency=4,
        queues={"critical": 6, "default": 3, "low": 1},
        retry_delay_func=retry_delay,
        heartbeat_interval=1,
    )
    server.start(handlers.mux)
    insp = Inspector(redis_url)
    try:
        wait_for(
            lambda: (
                insp.get_queue_info("default").completed == 2
                and insp.get_queue_info("default").archived == 1
                and insp.get_queue_info("critical").archived == 1
                and insp.get_queue_info("low").archived == 1
            ),
            timeout=20,
            what="outcomes",
        )
    finally:
        server.shutdown()
        sink.shutdown()
    result = json.loads(insp.get_task_info("default", ok.id).result)
    assert result["status"] == 200
    assert "HTTP 410" in insp.get_task_info("default", gone.id).last_err
    assert "invalid recipient" in insp.get_task_info("critical", bad_email.id).last_err
    assert "payload is not JSON" in insp.get_task_info("low", broken.id).last_err
    assert json.loads(insp.get_task_info("default", image.id).result)["size"] == [32, 32]


def test_retry_delay_and_aggregate():
    email = tasks.email("a@example.com", "t")
    assert retry_delay(0, RuntimeError(), email) == 5
    assert retry_delay(3, RuntimeError(), tasks.data_sync("crm")) == 80
    assert retry_delay(20, RuntimeError(), tasks.data_sync("crm")) == 600
    batch = aggregate(
        "user:ada", [tasks.analytics_event("ada", "view"), tasks.analytics_event("ada", "buy")]
    )
    assert batch.type == tasks.ANALYTICS_BATCH
    assert [e["event"] for e in batch.json()["events"]] == ["view", "buy"]


def test_scheduler_registers_its_periodic_jobs(redis_url):
    sched = scheduler.build(redis_url)
    try:
        specs = sorted(e.spec for e in sched.entries())
        assert specs == sorted(["@every 15s", "@every 1m", "0 7 * * 1-5", "@hourly"])
    finally:
        sched.shutdown()


def test_dead_letter_helper_summarises_requeues_and_purges(redis_url, r):
    clock = ManualClock(time.time())
    client = Client(redis_url)
    ids = [client.enqueue(tasks.data_sync("crm")).id for _ in range(3)]
    other = client.enqueue(tasks.email("a@example.com", "t")).id
    insp = Inspector(redis_url, clock=clock)
    for tid in ids:
        insp.archive_task("low", tid)
    insp.archive_task("critical", other)
    # archive_task keeps msg untouched; give them a last error as a worker would
    for tid in ids:
        key = f"asynq:{{low}}:t:{tid}"
        msg = decode_task(r.hget(key, "msg"))
        msg.error_msg, msg.last_failed_at = "upstream 503", int(time.time()) - 3 * 86400
        r.hset(key, "msg", encode(msg))
    assert dead_letters.summary(insp, "low") == {(tasks.DATA_SYNC, "upstream 503"): 3}
    assert dead_letters.requeue(insp, "low", "nope") == 0
    assert dead_letters.purge(insp, "low", older_than=timedelta(days=7)) == 0
    assert dead_letters.requeue(insp, "low", tasks.DATA_SYNC) == 3
    assert insp.get_queue_info("low").pending == 3


def test_console_mounted_in_the_host_app(redis_url, monkeypatch):
    monkeypatch.setenv("REDIS_URL", redis_url)
    Client(redis_url).enqueue(Task("t"), queue="q")
    import importlib

    import pyasynq.examples.host_app as host_app

    importlib.reload(host_app)
    client = host_app.app.test_client()
    assert "Acme back office" in client.get("/").get_data(as_text=True)
    page = client.get("/admin/queues/").get_data(as_text=True)
    assert 'href="/admin/queues/queues/q"' in page
    assert client.get("/admin/queues/health").status_code == 200


@pytest.mark.parametrize("n", [40])
def test_producer_stream_makes_a_realistic_mix(redis_url, n):
    client = Client(redis_url)
    for i in range(n):
        producer.produce_one(client, i)
    insp = Inspector(redis_url)
    total = sum(insp.get_queue_info(q).size for q in insp.queues())
    assert 0 < total <= n


def test_workflows_example(redis_url):
    from pyasynq.examples import workflows

    out = workflows.main(redis_url)
    assert out["etl"] == b"stored 3 rows"
    assert out["sum of squares"] == b"385"
    assert out["charge"] == b"charged" and out["refused"] == "negative amount"
    assert out["etl state"] == "succeeded" and out["chord state"] == "succeeded"
    assert out["on_success callback"].endswith(b": completed (charged)")
