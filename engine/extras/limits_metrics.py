"""Prometheus families for fleet-wide limits (``pyasynq_limit_*``), added to every scrape of
the exporter and the console's ``/metrics`` by ``pyasynq.extras.exporter``. No limit: no series."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from pyasynq.extras.limits import Limits


def limit_metric_families(inspector: Any) -> Iterator[Any]:
    broker = getattr(inspector, "broker", None)
    if broker is None:  # a stand-in inspector has no Redis of its own
        return
    usages = Limits(broker).usage()
    if not usages:
        return
    labels = ["limit", "kind"]
    maximum = GaugeMetricFamily("pyasynq_limit_max", "The limit's N", labels=labels)
    period = GaugeMetricFamily(
        "pyasynq_limit_period_seconds", "Window of a rate limit", labels=["limit"]
    )
    running = GaugeMetricFamily(
        "pyasynq_limit_running", "Slots of a concurrency limit held now", labels=labels
    )
    recent = GaugeMetricFamily(
        "pyasynq_limit_started_last_minute", "Tasks admitted in the last minute", labels=labels
    )
    waiting = GaugeMetricFamily(
        "pyasynq_limit_waiting", "Tasks waiting for the limit to free", labels=labels
    )
    admitted = CounterMetricFamily(
        "pyasynq_limit_admitted", "Tasks the limit let run", labels=labels
    )
    held = CounterMetricFamily(
        "pyasynq_limit_held", "Times the limit held a task back", labels=labels
    )
    for u in usages:
        key = [u.limit.name, u.limit.kind]
        maximum.add_metric(key, u.limit.limit)
        if u.limit.kind == "rate":
            period.add_metric([u.limit.name], u.limit.period)
        running.add_metric(key, u.running)
        recent.add_metric(key, u.last_minute)
        waiting.add_metric(key, u.waiting)
        admitted.add_metric(key, u.admitted_total)
        held.add_metric(key, u.held_total)
    yield from (maximum, period, running, recent, waiting, admitted, held)
