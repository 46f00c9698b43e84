"""The Prometheus metrics page and Asynqmon's ``/api/metrics`` proxy, against a real Prometheus
(Debian's ``prometheus``) scraping the real console's ``/metrics`` every second on loopback."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request

import pytest

from pyasynq import Client, Task
from pyasynq.broker import keys
from pyasynq.console import create_app
from pyasynq.console.config import ConsoleConfig
from pyasynq.console.views.prometheus import ASYNQMON_QUERIES, apply_queue_filter, step_seconds
from tests.support.console_process import ConsoleProcess
from tests.support.prometheus import PrometheusServer, find_prometheus
from tests.support.redis_server import free_port
from tests.support.worker_util import wait_for


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _carriers(html: str) -> dict[str, dict]:
    """The chart data the page hands to its script, by canvas id."""
    found = re.findall(
        r"data-prom-chart=\"([^\"]+)\" data-unit=\"[^\"]*\" data-series='([^']*)'", html
    )
    return {
        cid: json.loads(data.replace("&#34;", '"').replace("&quot;", '"')) for cid, data in found
    }


@pytest.fixture(scope="module")
def stack(redis_server):
    """Redis with two queues, the console serving /metrics, Prometheus scraping it. The console
    is configured as an Asynqmon deployment would be (PORT, REDIS_ADDR, REDIS_DB) plus our
    CONSOLE_READ_ONLY=1 without the flag."""
    if find_prometheus() is None:  # ./run-tests installs it as root, as it does chromium
        pytest.skip("Debian's prometheus is not installed (apt-get install prometheus)")
    console_port = free_port()
    prometheus = PrometheusServer([f"127.0.0.1:{console_port}"], "/monitoring/metrics")
    console = ConsoleProcess(
        "--prometheus-addr",
        prometheus.url,
        env={
            "REDIS_URL": "",
            "REDIS_ADDR": f"127.0.0.1:{redis_server.port}",
            "REDIS_DB": "0",
            "CONSOLE_READ_ONLY": "1",
            "CONSOLE_RECORD_THROUGHPUT": "0",
        },
        port=console_port,
    )
    import redis

    r = redis.Redis.from_url(redis_server.url)
    r.flushall()
    with Client(redis_server.url) as client:
        for i in range(3):
            client.enqueue(Task("email:send", b"%d" % i), queue="emails")
        client.enqueue(Task("report"), queue="reports")
    prometheus.start()
    console.start()
    try:
        # counters keep moving until Prometheus has scraped two different values, so rate()
        # has something to show however long Prometheus and the console take to start
        def scraped_a_rate() -> bool:
            r.incrby(keys.processed_total("emails"), 30)
            r.incrby(keys.failed_total("emails"), 3)
            time.sleep(0.5)
            query = 'rate(asynq_tasks_processed_total{queue="emails"}[5m]) > 0'
            return bool(prometheus.query(query))

        wait_for(scraped_a_rate, timeout=90, what="Prometheus to scrape the console")
        yield console, prometheus
    finally:
        console.stop()
        prometheus.cleanup()
        r.flushall()
        r.close()


def test_api_metrics_proxies_asynqmon_queries(stack):
    console, _ = stack
    answers: list[dict] = []

    def processed_rate_shows() -> bool:
        # a 1 s scrape can time out on a loaded machine and leave a gap: ask again, as a
        # browser's next refresh would, until Prometheus's answer holds the rate
        status, body = _get(console.base + "/api/metrics?duration=600")
        assert status == 200, body
        answers[:] = [json.loads(body)]
        rates = answers[0]["tasks_processed_per_second"]["data"]["result"]
        return any(float(v) > 0 for s in rates for _, v in s["values"])

    wait_for(processed_rate_shows, timeout=60, what="a processed rate in /api/metrics")
    data = answers[0]
    assert set(data) == set(ASYNQMON_QUERIES)
    sizes = {s["metric"]["queue"]: s["values"] for s in data["queue_size"]["data"]["result"]}
    assert 3 in {float(v) for _, v in sizes["emails"]}
    assert 1 in {float(v) for _, v in sizes["reports"]}
    # Asynqmon's queue filter
    status, body = _get(console.base + "/api/metrics?duration=600&queues=reports")
    queues = {s["metric"]["queue"] for s in json.loads(body)["queue_size"]["data"]["result"]}
    assert queues == {"reports"}


def test_served_console_keeps_env_read_only(stack):
    """CONSOLE_READ_ONLY=1 without --read-only used to be overridden by the command's own
    default (a writable console); now every write is refused. The console reached the Redis
    that REDIS_ADDR names (its queues are listed) on the port PORT names."""
    console, _ = stack
    request = urllib.request.Request(
        console.base + "/api/queues/emails/pause", data=b"", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=30)
    assert info.value.code == 403
    status, body = _get(console.base + "/api/queues")
    assert status == 200 and "emails" in body and "reports" in body


def _charts_once_filled(url: str) -> dict[str, dict]:
    """The page's charts once its size chart has a line. On a loaded machine one of the 1 s
    scrapes can time out, and Prometheus then marks the series stale until the next one, so
    the page is asked again rather than once."""
    seen: dict[str, dict] = {}

    def filled() -> bool:
        status, html = _get(url)
        assert status == 200
        assert 'role="alert"' not in html, re.findall(r'role="alert">([^<]*)<', html)
        seen.clear()
        seen.update(_carriers(html))
        return bool(seen.get("chart-prom-size", {}).get("series"))

    wait_for(filled, timeout=30, interval=0.5, what=f"charts with data at {url}")
    return seen


def test_page_charts_from_prometheus(stack):
    console, _ = stack
    charts = _charts_once_filled(console.base + "/prometheus?range=1h")
    assert set(charts) == {
        f"chart-prom-{k}" for k in ("processed", "failed", "size", "latency", "memory")
    }
    size = charts["chart-prom-size"]
    assert set(size["series"]) == {"emails", "reports"}
    assert 3 in size["series"]["emails"] and len(size["labels"]) == 3600 // 10 + 1
    assert any(v and v > 0 for v in charts["chart-prom-processed"]["series"]["emails"])
    assert any(v and v > 0 for v in charts["chart-prom-failed"]["series"]["emails"])
    # one queue, a week (3 minute steps)
    week = _charts_once_filled(console.base + "/prometheus?range=7d&queue=emails")[
        "chart-prom-size"
    ]
    assert set(week["series"]) == {"emails"} and len(week["labels"]) == 7 * 86400 // 180 + 1
    assert _get(console.base + "/prometheus?range=2y")[0] == 400


def test_prometheus_down_is_an_explained_error(stack):
    """Last in the module: it stops Prometheus."""
    console, prometheus = stack
    prometheus.stop()
    status, body = _get(console.base + "/api/metrics")
    assert status == 502
    assert "cannot reach Prometheus" in json.loads(body)["error"]["message"]
    status, html = _get(console.base + "/prometheus")
    assert status == 200 and "cannot reach Prometheus" in html and "Traceback" not in html


def test_without_prometheus_the_page_explains_how_to_enable_it(redis_url):
    app = create_app(
        ConsoleConfig(redis_url=redis_url, secret_key="k", record_throughput=False, root_path="")
    )
    client = app.test_client()
    page = client.get("/prometheus")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Prometheus is not configured" in text and "--prometheus-addr" in text
    assert "/metrics" in text and "data-prom-chart" not in text
    api = client.get("/api/metrics")
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_configured"
    assert client.get("/metrics").status_code == 200  # the exporter is on by default
    off = create_app(
        ConsoleConfig(
            redis_url=redis_url, secret_key="k", record_throughput=False, metrics_exporter=False
        )
    )
    assert off.test_client().get("/monitoring/metrics").status_code == 404


def test_bad_window_is_a_400(redis_url):
    cfg = ConsoleConfig(
        redis_url=redis_url,
        secret_key="k",
        root_path="",
        prometheus_addr="http://127.0.0.1:9",
        record_throughput=False,
    )
    client = create_app(cfg).test_client()
    for query in ("duration=abc", "duration=0", "endtime=soon", f"duration={10**9}"):
        response = client.get(f"/api/metrics?{query}")
        assert response.status_code == 400, query
        assert response.get_json()["error"]["code"] == "bad_request"


def test_queue_filter_takes_names_literally():
    query = apply_queue_filter(ASYNQMON_QUERIES["pending_tasks_by_queue"], ["a.b", 'x"y'])
    assert query == 'asynq_tasks_enqueued_total{state="pending",queue=~"a\\\\.b|x\\"y"}'
    assert apply_queue_filter("asynq_queue_size{QUEUE_FILTER}", []) == "asynq_queue_size"
    assert [step_seconds(d) for d in (3600, 86400, 7 * 86400, 30 * 86400)] == [10, 60, 180, 600]


def test_metrics_also_at_the_site_root_as_asynqmon_serves_them(redis_url):
    app = create_app(
        ConsoleConfig(redis_url=redis_url, secret_key="k", record_throughput=False)
    )  # under /monitoring
    client = app.test_client()
    for path in ("/metrics", "/monitoring/metrics"):
        response = client.get(path)
        assert response.status_code == 200 and b"asynq_up" in response.data, path
    off = create_app(
        ConsoleConfig(
            redis_url=redis_url, secret_key="k", record_throughput=False, metrics_exporter=False
        )
    )
    assert off.test_client().get("/metrics").status_code == 404
