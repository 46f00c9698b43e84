"""The Prometheus collector speaks Asynq's metric names; prometheus-client's parser reads it."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from pyasynq import Client, Inspector, Task
from pyasynq.extras.exporter import QueueMetricsCollector
from tests.support.redis_server import free_port


def scrape(inspector) -> dict[tuple[str, tuple], float]:
    registry = CollectorRegistry()
    registry.register(QueueMetricsCollector(inspector))
    text = generate_latest(registry).decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def test_asynq_metric_names_and_labels(redis_url, r):
    client = Client(redis_url)
    for _ in range(3):
        client.enqueue(Task("t"), queue="critical")
    client.enqueue(Task("t"), process_in=60)
    client.enqueue(Task("t"), group="g")
    r.set("asynq:{critical}:processed", 7)
    r.set("asynq:{critical}:failed", 2)
    Inspector(redis_url).pause_queue("critical")
    s = scrape(Inspector(redis_url))
    assert s[("asynq_up", ())] == 1
    assert s[("asynq_tasks_enqueued_total", (("queue", "critical"), ("state", "pending")))] == 3
    assert s[("asynq_tasks_enqueued_total", (("queue", "default"), ("state", "scheduled")))] == 1
    assert s[("asynq_queue_size", (("queue", "default"),))] == 2
    assert s[("asynq_tasks_processed_total", (("queue", "critical"),))] == 7
    assert s[("asynq_tasks_failed_total", (("queue", "critical"),))] == 2
    assert s[("asynq_queue_paused_total", (("queue", "critical"),))] == 1
    assert s[("asynq_queue_paused_total", (("queue", "default"),))] == 0
    assert s[("asynq_tasks_aggregating", (("queue", "default"),))] == 1
    assert ("asynq_queue_latency_seconds", (("queue", "critical"),)) in s
    assert ("asynq_queue_memory_usage_approx_bytes", (("queue", "critical"),)) in s
    assert s[("asynq_servers", ())] == 0
    # Go's exporter has no aggregating state label
    assert not any(
        k[0] == "asynq_tasks_enqueued_total" and ("state", "aggregating") in k[1] for k in s
    )


def test_redis_down_reports_up_zero_instead_of_failing():
    s = scrape(Inspector(f"redis://127.0.0.1:{free_port()}/0"))
    assert s == {("asynq_up", ()): 0}
