"""The dashboard: queue table, chart data, ranges, and its polled fragment."""

from __future__ import annotations

import html as html_lib
import json
import re
import time

import pytest

from pyasynq import Task
from pyasynq.clock import utc_day
from tests.console.conftest import ROOT
from tests.support.states import bump_daily, seed_task


def chart_data(html: str) -> dict:
    match = re.search(r'<div id="chart-data" hidden data-charts="(.*?)">', html, re.S)
    assert match
    return json.loads(html_lib.unescape(match.group(1)))


def test_empty_dashboard(client):
    html = client.get(f"{ROOT}/").get_data(as_text=True)
    assert "No queues yet" in html


def test_every_queue_with_its_numbers(client, producer, r):
    for _ in range(3):
        producer.enqueue(Task("a", b"{}"), queue="default")
    producer.enqueue(Task("b", b"{}"), queue="critical", process_in=600)
    seed_task(r, "critical", "archived")
    r.set("asynq:{critical}:paused", str(int(time.time())))
    bump_daily(r, "default", utc_day(time.time()), processed=10, failed=4)
    html = client.get(f"{ROOT}/").get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-queue="([^"]+)">(.*?)</tr>', html, re.S))
    assert set(rows) == {"default", "critical"}
    assert "badge-paused" in rows["critical"] and "badge-running" in rows["default"]
    assert 'class="num">3</td>' in rows["default"]  # size
    assert ">10</td>" in rows["default"] and ">4</td>" in rows["default"]
    assert "40.00%" in rows["default"]
    assert ">Resume<" in rows["critical"] and ">Pause<" in rows["default"]
    data = chart_data(html)
    assert data["sizes"]["labels"] == ["critical", "default"]
    assert data["sizes"]["series"]["pending"] == [0, 3]
    assert data["sizes"]["series"]["archived"] == [1, 0]
    assert data["processed"]["kind"] == "line"
    assert len(data["processed"]["labels"]) == 7
    assert sum(data["processed"]["series"]["failed"]) == 4
    assert sum(data["processed"]["series"]["succeeded"]) == 6


@pytest.mark.parametrize("range_key, days", [("30d", 30), ("90d", 90)])
def test_history_ranges(client, producer, range_key, days):
    producer.enqueue(Task("a", b"{}"), queue="default")
    data = chart_data(client.get(f"{ROOT}/?range={range_key}").get_data(as_text=True))
    assert data["processed"]["kind"] == "line"
    assert len(data["processed"]["labels"]) == days


def test_today_range_is_per_queue(client, producer, r):
    producer.enqueue(Task("a", b"{}"), queue="default")
    bump_daily(r, "default", utc_day(time.time()), processed=5, failed=1)
    data = chart_data(client.get(f"{ROOT}/?range=today").get_data(as_text=True))
    assert data["processed"] == {
        "kind": "bar",
        "labels": ["default"],
        "series": {"succeeded": [4], "failed": [1]},
    }


def test_bad_range_is_400(client):
    resp = client.get(f"{ROOT}/?range=year")
    assert resp.status_code == 400
    assert "&#39;range&#39; must be one of" in resp.get_data(as_text=True)


def test_queue_names_are_escaped(client, producer):
    producer.enqueue(Task("a", b"{}"), queue="<b>bold</b>")
    html = client.get(f"{ROOT}/").get_data(as_text=True)
    assert "<b>bold</b>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    # In the JSON data block, < is escaped too, so it cannot close the script element.
    assert "\\u003cb\\u003e" in html


def test_fragment_polls_itself(client, producer):
    producer.enqueue(Task("a", b"{}"), queue="default")
    html = client.get(f"{ROOT}/_fragments/dashboard?range=30d").get_data(as_text=True)
    assert html.lstrip().startswith('<section id="dashboard-body"')
    assert f'hx-get="{ROOT}/_fragments/dashboard?range=30d"' in html
    assert 'hx-trigger="every 5000ms"' in html
    assert "<html" not in html


def test_poll_interval_zero_disables_polling(redis_url, producer):
    from pyasynq.console import create_app
    from tests.console.conftest import make_config

    producer.enqueue(Task("a", b"{}"), queue="default")
    app = create_app(make_config(redis_url, poll_interval=0))
    html = app.test_client().get(f"{ROOT}/").get_data(as_text=True)
    assert "hx-trigger" not in html
    assert 'id="poll-toggle"' not in html


def test_vendored_assets_are_served(client):
    html = client.get(f"{ROOT}/").get_data(as_text=True)
    for src in re.findall(r'src="([^"]+)"', html):
        resp = client.get(src)
        assert resp.status_code == 200, src
        assert resp.data
    assert "cdn" not in html.lower()
