"""Filtered state lists: filters in the URL, escaping, bounded scans with a continue link."""

from __future__ import annotations

import re

import pytest

from pyasynq import Client, Task
from tests.console.conftest import ROOT, assert_no_traceback, make_config
from tests.support.states import seed_task


def ids_in(html):
    return re.findall(r'data-task-id="([^"]+)"', html)


def test_filter_by_type_error_payload_and_json_path(client, r):
    a = seed_task(
        r, "q", "retry", type="email:send", payload=b'{"user": {"id": 42}}', error="SMTP timeout"
    )
    b = seed_task(r, "q", "retry", type="email:digest", payload=b'{"user": {"id": 7}}', error="bad")
    c = seed_task(r, "q", "retry", type="sms", payload=b"hello <world>", error="timeout")

    def get(query):
        resp = client.get(f"{ROOT}/queues/q?state=retry&{query}")
        assert resp.status_code == 200
        return set(ids_in(resp.get_data(as_text=True)))

    assert get("type=email:*") == {a, b}
    assert get("error=timeout") == {a, c}
    assert get("payload=%3Cworld") == {c}
    assert get("jpath=$.user.id&jval=42") == {a}
    assert get("jpath=user.id%3D7") == {b}
    assert get("type=email:*&error=timeout") == {a}


def test_filtered_page_keeps_filter_in_links_and_escapes(client, r):
    seed_task(r, "q", "archived", type="t")
    html = client.get(f"{ROOT}/queues/q?state=archived&payload=%22%3E%3Cscript%3E").get_data(
        as_text=True
    )
    assert "<script>" not in html and "&#34;&gt;&lt;script&gt;" in html
    assert "export.csv?payload=" in html and "data-search-progress" in html or "No matches" in html
    assert_no_traceback(html)


def test_bad_filter_is_400(client, r):
    seed_task(r, "q", "pending")
    resp = client.get(f"{ROOT}/queues/q?state=pending&since=2024-01-01")
    assert resp.status_code == 400
    assert "does not apply to pending" in resp.get_data(as_text=True)
    assert client.get(f"{ROOT}/queues/q?state=archived&since=soon").status_code == 400
    assert client.get(f"{ROOT}/queues/q?state=archived&type=x&cursor=-1").status_code == 400


def test_time_range(client, r):
    now = 1_800_000_000
    old = seed_task(r, "q", "archived", score=now - 86400, now=now)
    new = seed_task(r, "q", "archived", score=now - 60, now=now)
    html = client.get(f"{ROOT}/queues/q?state=archived&since=2027-01-15T07:00:00").get_data(
        as_text=True
    )
    assert ids_in(html) == [new]
    html = client.get(f"{ROOT}/queues/q?state=archived&until={now - 3600}").get_data(as_text=True)
    assert ids_in(html) == [old]


@pytest.fixture
def small_scan_app(redis_url):
    from pyasynq.console import create_app

    app = create_app(make_config(redis_url, scan_limit=1000))
    app.config["TESTING"] = True
    yield app
    app.extensions["pyasynq"].close()


def test_20000_tasks_scan_at_most_scan_limit_and_offer_to_continue(small_scan_app, redis_url, r):
    with Client(redis_url) as c:
        for start in range(0, 20_000, 1000):
            c.enqueue_many(
                [
                    Task("needle" if i == 19_999 else "hay", b"{}")
                    for i in range(start, start + 1000)
                ]
            )
    client = small_scan_app.test_client()
    r.config_resetstat()
    html = client.get(f"{ROOT}/queues/default?state=pending&type=needle").get_data(as_text=True)
    hgets = r.info("commandstats")["cmdstat_hget"]["calls"]
    assert hgets <= 1000 + 5  # + the page's queue summary (its Lua reads a few hashes)
    assert "No matches among 1000 pending tasks read" in html
    nxt = re.search(r'href="([^"]+cursor=1000[^"]*)"[^>]*data-continue', html)
    assert nxt, html[-3000:]
    # follow "continue" to the end; each step reads at most 1000
    url, steps = nxt.group(1).replace("&amp;", "&"), 1
    found = []
    while url:
        r.config_resetstat()
        page = client.get(url).get_data(as_text=True)
        assert r.info("commandstats")["cmdstat_hget"]["calls"] <= 1000 + 5
        found += ids_in(page)
        m = re.search(r'href="([^"]+)"[^>]*data-continue', page)
        url = m.group(1).replace("&amp;", "&") if m else None
        steps += 1
    assert len(found) == 1 and steps == 20


def test_unfiltered_page_is_unchanged_and_polls(client, r):
    seed_task(r, "q", "pending")
    html = client.get(f"{ROOT}/queues/q?state=pending").get_data(as_text=True)
    assert "data-poll" in html and "Search and filter" in html
    filtered = client.get(f"{ROOT}/queues/q?state=pending&type=x").get_data(as_text=True)
    assert 'id="queue-body" hx-get' not in filtered  # a filtered view does not re-scan every poll
