"""The schedulers page and an entry's page with its whole enqueue history, paged."""

from __future__ import annotations

import json
import re
import time

import pytest

from pyasynq import Inspector, ManualClock, Task
from pyasynq.console import create_app
from pyasynq.scheduler import Scheduler
from tests.console.conftest import ROOT, assert_no_traceback, make_config
from tests.support.go_captures import GO_DIR
from tests.support.loader import load_dump


@pytest.fixture
def scheduler(redis_url):
    clock = ManualClock(time.time() // 60 * 60)
    s = Scheduler(redis_url, clock=clock)
    report = s.register(
        "@every 1m", Task("report:daily", b'{"kind": "<b>full</b>"}'), queue="low", max_retry=2
    )
    ping = s.register("*/5 * * * *", Task("ping"))
    ids = []
    for _ in range(25):
        clock.advance(60)
        ids += [res.info.id for res in s.tick() if res.entry_id == report]
    s.heartbeat()
    yield s, report, ping, ids[::-1]  # newest first
    s.shutdown()


def test_no_entries(client):
    assert "No scheduler entries" in client.get(f"{ROOT}/schedulers").get_data(as_text=True)


def test_every_entry_with_its_options_and_history_size(client, scheduler):
    _, report, ping, ids = scheduler
    html = client.get(f"{ROOT}/schedulers").get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-entry-id="([^"]+)">(.*?)</tr>', html, re.S))
    assert set(rows) == {report, ping}
    r = rows[report]
    assert "@every 1m" in r and "report:daily" in r
    assert '<code class="option">Queue(&#34;low&#34;)</code>' in r and "MaxRetry(2)" in r
    assert "&lt;b&gt;full&lt;/b&gt;" in r and "<b>full</b>" not in r
    assert f'href="/monitoring/schedulers/{report}">25</a>' in r
    assert (
        "No options" in rows[ping] and f'href="/monitoring/schedulers/{ping}">5</a>' in rows[ping]
    )
    assert r.count("<time") >= 4  # next and previous, relative and absolute
    frag = client.get(f"{ROOT}/_fragments/schedulers").get_data(as_text=True)
    assert 'id="schedulers-body"' in frag and "data-poll" in frag


def test_entry_history_is_paged_through_all_events(client, scheduler):
    _, report, _, ids = scheduler
    html = client.get(f"{ROOT}/schedulers/{report}?size=10").get_data(as_text=True)
    shown = re.findall(r'<tr data-task-id="([^"]+)">', html)
    assert shown == ids[:10]
    assert "25 events · page 1 of 3" in html
    assert f'href="/monitoring/queues/low/tasks/{ids[0]}"' in html
    html3 = client.get(f"{ROOT}/schedulers/{report}?size=10&page=3").get_data(as_text=True)
    assert re.findall(r'<tr data-task-id="([^"]+)">', html3) == ids[20:]
    assert 'rel="prev"' in html3 and 'rel="next"' not in html3
    beyond = client.get(f"{ROOT}/schedulers/{report}?size=10&page=9").get_data(as_text=True)
    assert "No events on page 9" in beyond
    frag = client.get(f"{ROOT}/_fragments/schedulers/{report}?size=10&page=2").get_data(
        as_text=True
    )
    assert re.findall(r'<tr data-task-id="([^"]+)">', frag) == ids[10:20]
    # every event's task exists in the entry's queue
    assert client.get(f"{ROOT}/queues/low/tasks/{ids[0]}").status_code == 200


@pytest.mark.parametrize("query, status", [("?page=0", 400), ("?page=x", 400), ("?size=7", 400)])
def test_bad_input(client, scheduler, query, status):
    _, report, _, _ = scheduler
    resp = client.get(f"{ROOT}/schedulers/{report}{query}")
    assert resp.status_code == status
    assert_no_traceback(resp.get_data(as_text=True))


def test_unknown_entry_is_404(client):
    resp = client.get(f"{ROOT}/schedulers/no-such-entry")
    assert resp.status_code == 404
    assert_no_traceback(resp.get_data(as_text=True))


def test_read_only_console_shows_them_too(redis_url, scheduler):
    _, report, _, _ = scheduler
    app = create_app(make_config(redis_url, read_only=True, record_throughput=False))
    c = app.test_client()
    assert c.get(f"{ROOT}/schedulers").status_code == 200
    assert c.get(f"{ROOT}/schedulers/{report}").status_code == 200
    app.extensions["pyasynq"].close()


def test_go_scheduler_entries(redis_url, r):
    captured_at = load_dump(r, json.loads((GO_DIR / "live.redis.json").read_text()))
    go = json.loads((GO_DIR / "live.inspect.json").read_text())
    insp = Inspector(redis_url, clock=ManualClock(captured_at))
    app = create_app(make_config(redis_url, record_throughput=False), inspector=insp)
    c = app.test_client()
    html = c.get(f"{ROOT}/schedulers").get_data(as_text=True)
    assert go["scheduler_entries"]
    for e in go["scheduler_entries"]:
        assert f'data-entry-id="{e["id"]}"' in html
        page = c.get(f"{ROOT}/schedulers/{e['id']}?size=100").get_data(as_text=True)
        assert re.findall(r'<tr data-task-id="([^"]+)">', page) == [
            ev["task_id"] for ev in e["enqueue_events"]
        ]
    insp.close()
