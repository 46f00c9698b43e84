"""The Prometheus page in Chromium: its five charts are drawn by the page's own script under the
strict CSP, from data the console fetched from a real Prometheus (the browser never calls it)."""

from __future__ import annotations

import pytest

from pyasynq import Client, Task
from pyasynq.console import create_app
from pyasynq.console.config import ConsoleConfig
from tests.browser.conftest import LiveServer
from tests.support.prometheus import PrometheusServer, find_prometheus
from tests.support.worker_util import wait_for

pytestmark = [pytest.mark.browser]


def test_charts_drawn_from_prometheus(page, redis_url):
    if find_prometheus() is None:
        pytest.fail("prometheus is not installed: apt-get install -y prometheus (./run-tests does)")
    with Client(redis_url) as client:
        client.enqueue(Task("email:send"), queue="emails")
    prometheus = PrometheusServer([], "/monitoring/metrics")
    app = create_app(
        ConsoleConfig(
            redis_url=redis_url,
            secret_key="k",
            poll_interval=0,
            record_throughput=False,
            prometheus_addr=prometheus.url,
        )
    )
    live = LiveServer(app)
    prometheus.targets = [f"127.0.0.1:{live.port}"]  # scrape the console the browser sees
    prometheus.start()
    try:
        with live:
            wait_for(
                lambda: prometheus.query(
                    'count_over_time(asynq_queue_size{queue="emails"}[1m]) > 1'
                ),
                timeout=30,
                what="a scrape of the console",
            )
            violations: list[str] = []
            page.on(
                "console",
                lambda m: (
                    violations.append(m.text) if "Content Security Policy" in m.text else None
                ),
            )
            outside: list[str] = []
            page.on(
                "request",
                lambda req: outside.append(req.url) if str(prometheus.port) in req.url else None,
            )
            # a 1 s scrape that times out on a loaded machine leaves the series stale for a
            # moment: load the page again rather than once
            for _ in range(20):
                page.goto(live.url + "/monitoring/prometheus?range=1h")
                page.wait_for_function("window.Chart && Object.keys(Chart.instances).length === 5")
                labels = page.evaluate(
                    "Object.values(Chart.instances).map(c => c.data.datasets.map(d => d.label))"
                )
                if labels[2]:
                    break
                page.wait_for_timeout(500)
            # size, latency, memory (rates need a second sample: they may still be empty)
            assert labels[2:] == [["emails"]] * 3, labels
            assert not violations and not outside
    finally:
        prometheus.cleanup()
        app.extensions["pyasynq"].close()
