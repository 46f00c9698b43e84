"""Metrics: /metrics in Prometheus format, the throughput page and charts, and task types."""

from __future__ import annotations

import json
import re
from html import unescape as html_unescape

import pytest
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from pyasynq import Client, Inspector, Task
from pyasynq.broker.broker import Broker
from pyasynq.clock import ManualClock
from pyasynq.components.throughput import ThroughputRecorder
from pyasynq.console import create_app, mount
from pyasynq.console.config import ConsoleConfig
from tests.console.conftest import ROOT, assert_no_traceback, make_config
from tests.console.ops_support import running_server, wait_for

T0 = 1_800_000_000 - 1_800_000_000 % 60


def parse(text: str) -> dict:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_prometheus_endpoint_speaks_asynq_names(client, producer, r):
    for _ in range(2):
        producer.enqueue(Task("a"), queue="critical")
    r.set("asynq:{critical}:processed", 9)
    r.set("asynq:{critical}:failed", 4)
    resp = client.get(f"{ROOT}/metrics")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == CONTENT_TYPE_LATEST
    s = parse(resp.get_data(as_text=True))
    assert s[("asynq_up", ())] == 1
    assert s[("asynq_tasks_enqueued_total", (("queue", "critical"), ("state", "pending")))] == 2
    assert s[("asynq_queue_size", (("queue", "critical"),))] == 2
    assert s[("asynq_tasks_processed_total", (("queue", "critical"),))] == 9
    assert s[("asynq_tasks_failed_total", (("queue", "critical"),))] == 4
    assert s[("asynq_queue_paused_total", (("queue", "critical"),))] == 0
    assert ("asynq_queue_latency_seconds", (("queue", "critical"),)) in s
    assert ("asynq_queue_memory_usage_approx_bytes", (("queue", "critical"),)) in s


def test_prometheus_endpoint_with_a_running_server(client, redis_url):
    with running_server(redis_url) as (server, _):
        s = parse(client.get(f"{ROOT}/metrics").get_data(as_text=True))
        assert s[("asynq_servers", ())] == 1
        assert (
            s[
                (
                    "asynq_server_active_workers",
                    (("host", server.host), ("server", server.server_id)),
                )
            ]
            == 1
        )
        assert s[("asynq_tasks_enqueued_total", (("queue", "critical"), ("state", "active")))] == 1


def test_prometheus_endpoint_read_only_mounted_and_redis_down(redis_url, dead_redis_url):
    from flask import Flask

    host = Flask("host")
    mount(host, "/ops/queues", make_config(redis_url, read_only=True, record_throughput=False))
    resp = host.test_client().get("/ops/queues/metrics")
    assert resp.status_code == 200 and parse(resp.get_data(as_text=True))[("asynq_up", ())] == 1
    down = create_app(make_config(dead_redis_url, record_throughput=False))
    resp = down.test_client().get(f"{ROOT}/metrics")
    assert resp.status_code == 200
    assert parse(resp.get_data(as_text=True)) == {("asynq_up", ()): 0}


@pytest.fixture
def pinned(redis_url):
    """A console whose Inspector runs on a ManualClock, and a recorder on the same clock."""
    clock = ManualClock(T0 + 5)
    with Client(redis_url) as client:
        client.enqueue(Task("a"), queue="default")
        client.enqueue(Task("a"), queue="low")
    insp = Inspector(redis_url, clock=clock)
    app = create_app(make_config(redis_url, record_throughput=False), inspector=insp)
    rec = ThroughputRecorder(Broker(redis_url, clock=clock), clock=clock)
    yield app.test_client(), clock, rec
    insp.close()


def chart(html: str, canvas: str) -> dict:
    match = re.search(
        rf'<div hidden data-chart="{canvas}" data-series=\'(.*?)\'></div>', html, re.S
    )
    assert match, canvas
    return json.loads(html_unescape(match.group(1)))


def test_throughput_page_charts_per_minute_rates(pinned, r):
    c, clock, rec = pinned
    for p, f in [(0, 0), (12, 2), (30, 2), (31, 3)]:
        r.set("asynq:{default}:processed", p)
        r.set("asynq:{default}:failed", f)
        rec.record()
        clock.advance(60)
    html = c.get(f"{ROOT}/throughput?range=1h").get_data(as_text=True)
    processed = chart(html, "chart-tp-processed")
    assert len(processed["labels"]) == 60
    assert processed["labels"][-1] == "2027-01-15T08:03:00Z"  # the last closed minute
    # its count needs the sample of the current minute, which no recorder has taken yet
    assert processed["series"]["default"][-4:] == [12, 18, 1, None]
    assert processed["series"]["default"][0] is None  # no sample: a gap, not a zero
    assert chart(html, "chart-tp-failed")["series"]["default"][-4:] == [2, 0, 1, None]
    row = re.search(r'<tr data-queue="default">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'<td class="num">([^<]*)</td>', row)[:5] == ["31", "3", "9.68%", "18", "1"]
    only = c.get(f"{ROOT}/throughput?queue=low&range=6h").get_data(as_text=True)
    assert list(chart(only, "chart-tp-processed")["series"]) == ["low"]
    assert len(chart(only, "chart-tp-processed")["labels"]) == 360
    frag = c.get(f"{ROOT}/_fragments/throughput?range=1h").get_data(as_text=True)
    assert 'id="metrics-body"' in frag and "data-poll" in frag
    card = c.get(f"{ROOT}/_fragments/throughput-card").get_data(as_text=True)
    assert chart(card, "chart-throughput")["series"]["default"][-4:] == [12, 18, 1, None]


@pytest.mark.parametrize("query, status", [("?range=2d", 400), ("?queue=nope", 404)])
def test_throughput_bad_input(client, producer, query, status):
    producer.enqueue(Task("a"), queue="default")
    resp = client.get(f"{ROOT}/throughput{query}")
    assert resp.status_code == status
    assert_no_traceback(resp.get_data(as_text=True))


def test_queue_page_insights_count_types_of_the_state(pinned, redis_url):
    c, _, _ = pinned
    with Client(redis_url) as client:
        client.enqueue_many(
            [(Task("email" if i % 3 else "<sms>"), {"queue": "default"}) for i in range(30)]
        )
        client.enqueue(Task("later"), queue="default", process_in=60)
    page = c.get(f"{ROOT}/queues/default?state=pending").get_data(as_text=True)
    assert (
        'id="queue-insights"' in page
        and "/_fragments/queues/default/insights?state=pending" in page
    )
    assert "js/throughput.js" in page
    html = c.get(f"{ROOT}/_fragments/queues/default/insights?state=pending").get_data(as_text=True)
    counts = dict(
        re.findall(r'<tr data-type="([^"]+)"><td>[^<]*</td><td class="num">(\d+)</td>', html)
    )
    assert counts == {"email": "20", "&lt;sms&gt;": "10", "a": "1"}  # "a" came with the fixture
    assert list(counts) == ["email", "&lt;sms&gt;", "a"]  # most frequent first
    assert "All 31 pending tasks" in html
    assert "data-poll" in html
    sched = c.get(f"{ROOT}/_fragments/queues/default/insights?state=scheduled").get_data(
        as_text=True
    )
    assert 'data-type="later"' in sched
    agg = c.get(f"{ROOT}/_fragments/queues/default/insights?state=aggregating").get_data(
        as_text=True
    )
    assert "Choose a group" in agg
    assert c.get(f"{ROOT}/_fragments/queues/default/insights?state=bogus").status_code == 400
    assert c.get(f"{ROOT}/_fragments/queues/nope/insights").status_code == 404


def test_large_states_are_sampled(client, producer):
    producer.enqueue_many([(Task(f"t{i % 2}"), {"queue": "big"}) for i in range(1200)])
    html = client.get(f"{ROOT}/_fragments/queues/big/insights?state=pending").get_data(as_text=True)
    assert "Sample of 1000 of 1200 pending tasks" in html
    assert "≈ in state" in html


def test_dashboard_has_a_throughput_card(client, producer):
    producer.enqueue(Task("a"), queue="default")
    html = client.get(f"{ROOT}/").get_data(as_text=True)
    assert 'hx-get="/monitoring/_fragments/throughput-card"' in html
    assert "series" in chart(html, "chart-throughput")
    assert "js/throughput.js" in html


def test_the_console_records_throughput_itself(redis_url, r, producer):
    producer.enqueue(Task("a"), queue="default")
    assert ConsoleConfig().record_throughput  # on by default
    app = create_app(make_config(redis_url, record_throughput=True))
    assert app.test_client().get(f"{ROOT}/health").status_code == 200
    wait_for(lambda: r.exists("pyasynq:{default}:throughput"), what="the console's first sample")
    holder = app.extensions["pyasynq.throughput"]
    thread = holder.recorder._thread
    app.extensions["pyasynq"].close()
    thread.join(5)
    assert not thread.is_alive()


def test_recording_can_be_turned_off(redis_url, r, producer):
    producer.enqueue(Task("a"), queue="default")
    app = create_app(make_config(redis_url, record_throughput=False))
    app.test_client().get(f"{ROOT}/")
    assert "pyasynq.throughput" not in app.extensions
    assert not r.exists("pyasynq:{default}:throughput")


def test_recording_setting_from_the_environment():
    assert ConsoleConfig.from_env({"CONSOLE_RECORD_THROUGHPUT": "off"}).record_throughput is False
    assert ConsoleConfig.from_env({}).record_throughput is True
    with pytest.raises(ValueError):
        ConsoleConfig.from_env({"CONSOLE_RECORD_THROUGHPUT": "maybe"})
