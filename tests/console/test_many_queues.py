"""Many queues (one per tenant): the light counts, the paged/searched/sorted queue table of the
dashboard and /api/queues, bounded responses, totals over every queue, and bad data among them."""

from __future__ import annotations

import html as html_lib
import re
import time

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.registry import Collector

from pyasynq import Client, Inspector, Task
from pyasynq.clock import utc_day
from pyasynq.extras.exporter import QueueMetricsCollector, exposition
from tests.console.conftest import ROOT, assert_no_traceback
from tests.support.states import bump_daily, seed_task

QUEUES = 300
NAMES = [f"tenant-{i:03d}" for i in range(QUEUES)]
COUNT_FIELDS = (
    "pending",
    "active",
    "scheduled",
    "retry",
    "archived",
    "completed",
    "aggregating",
    "size",
    "groups",
    "processed",
    "failed",
    "paused",
    "problems",
)


def _pending(i: int) -> int:
    return (i * 7) % 11  # 0..10, so sorting by pending reorders the names


@pytest.fixture
def many(redis_url, r):
    """300 queues: pending counts that differ, today's counters, a paused one, a group, an
    archived task, and one queue whose pending key is a string (bad data)."""
    batch = [
        (Task("tenant:sync", b"{}"), {"queue": name})
        for i, name in enumerate(NAMES)
        for _ in range(_pending(i))
    ]
    with Client(redis_url) as client:
        for start in range(0, len(batch), 500):
            for result in client.enqueue_many(batch[start : start + 500]):
                assert not isinstance(result, Exception), result
        client.enqueue(Task("agg", b"{}"), queue="tenant-001", group="g1")
    r.sadd("asynq:queues", *NAMES)  # the queues with no task yet too
    today = utc_day(time.time())
    for i in range(0, QUEUES, 3):
        bump_daily(r, NAMES[i], today, processed=i, failed=i % 4)
    r.sadd("asynq:queues", "tenant-150-bad")
    r.set("asynq:{tenant-150-bad}:pending", "not a list")
    r.set("asynq:{tenant-002}:paused", "1")
    seed_task(r, "tenant-003", "archived")
    return NAMES + ["tenant-150-bad"]


def rows(html: str) -> list[str]:
    return [html_lib.unescape(q) for q in re.findall(r'<tr data-queue="([^"]+)">', html)]


def test_light_counts_equal_the_full_info_of_every_queue(many, redis_url):
    insp = Inspector(redis_url)
    try:
        names = insp.queues()
        full = {q.queue: q for q in insp.get_queue_infos(names, skip_missing=True)}
        light = insp.queue_counts()
        assert [q.queue for q in light] == sorted(full) and len(light) == QUEUES + 1
        for q in light:
            for f in COUNT_FIELDS:
                assert getattr(q, f) == getattr(full[q.queue], f), (q.queue, f)
        bad = {q.queue: q for q in light}["tenant-150-bad"]
        assert bad.problems == ["pending: holds a string, not a list"]
        assert {q.queue: q for q in light}["tenant-001"].aggregating == 1
        # the summed history is the sum of every queue's history
        days = insp.history_totals(names, days=3)
        per_queue = insp.histories(names, days=3)
        for i, day in enumerate(days):
            assert day.processed == sum(h[i].processed for h in per_queue.values())
            assert day.failed == sum(h[i].failed for h in per_queue.values())
        assert days[0].processed == sum(range(0, QUEUES, 3)) > 0
    finally:
        insp.close()


def test_dashboard_pages_the_table_with_totals_over_every_queue(many, client, redis_url):
    html = client.get(f"{ROOT}/").get_data(as_text=True)
    shown = rows(html)
    assert shown == sorted(many)[:50]
    assert "Queues 1–50 of 301" in html and 'rel="next"' in html
    assert len(html.encode()) < 200_000  # a page of rows, not 300
    insp = Inspector(redis_url)
    try:
        counts = insp.queue_counts()
    finally:
        insp.close()
    foot = re.search(r"<tfoot>(.*?)</tfoot>", html, re.S).group(1)
    processed = re.search(r'data-col="processed">(\d+)<', foot).group(1)
    assert int(processed) == sum(q.processed for q in counts)
    assert f'class="num">{sum(q.size for q in counts)}</td>' in foot
    # the bad queue is named above the table though it is on another page
    assert 'id="bad-queues"' in html and "tenant-150-bad" in html
    assert "holds a string, not a list" in html
    page2 = client.get(f"{ROOT}/?qpage=2").get_data(as_text=True)
    assert rows(page2) == sorted(many)[50:100]
    last = client.get(f"{ROOT}/?qpage=999").get_data(as_text=True)
    assert rows(last) == sorted(many)[300:]  # past the last page: the last


def test_dashboard_search_and_sort_server_side(many, client):
    found = client.get(f"{ROOT}/?q=TENANT-01").get_data(as_text=True)
    assert rows(found) == [f"tenant-01{d}" for d in range(10)]
    assert "of 10" in found and "301 in all" in found
    by_pending = client.get(f"{ROOT}/?sort=pending&order=desc").get_data(as_text=True)
    shown = rows(by_pending)
    assert len(shown) == 50
    pending = [_pending(NAMES.index(q)) for q in shown]
    assert pending == sorted(pending, reverse=True) and pending[0] == 10
    assert 'aria-sort="descending"' in by_pending
    # the polled fragment and the links keep the view
    assert "/_fragments/dashboard?" in by_pending and "sort=pending" in by_pending
    asc = rows(client.get(f"{ROOT}/?sort=pending&order=asc&qsize=20").get_data(as_text=True))
    assert len(asc) == 20 and all(_pending(NAMES.index(q)) == 0 for q in asc if q in NAMES)
    charts = client.get(f"{ROOT}/?q=tenant-01").get_data(as_text=True)
    assert "tenant-019" in charts and "tenant-020" not in charts  # the sizes chart: the page


@pytest.mark.parametrize(
    "query", ["sort=memory", "order=up", "qpage=0", "qpage=x", "qsize=5000", "q=" + "x" * 300]
)
def test_bad_table_parameters_are_a_clear_400(many, client, query):
    for path in (f"{ROOT}/?{query}", f"{ROOT}/api/queues?{query}"):
        resp = client.get(path)
        assert resp.status_code == 400, path
        assert_no_traceback(resp.get_data(as_text=True))


def test_api_queues_paged_by_default_and_says_so(many, client):
    doc = client.get(f"{ROOT}/api/queues").get_json()
    assert (doc["total"], doc["page"], doc["size"], doc["pages"]) == (301, 1, 50, 7)
    assert [q["queue"] for q in doc["queues"]] == sorted(many)[:50]
    assert "memory_usage" in doc["queues"][0] and "latency" in doc["queues"][0]
    assert doc["totals"] is None  # sorted by name: only the page's queues were read
    last = client.get(f"{ROOT}/api/queues?qpage=7&order=desc&q=tenant").get_json()
    assert [q["queue"] for q in last["queues"]] == sorted(many, reverse=True)[300:]
    doc = client.get(f"{ROOT}/api/queues?totals=1").get_json()
    assert [q["queue"] for q in doc["queues"]] == sorted(many)[:50]
    assert doc["totals"]["pending"] == sum(_pending(i) for i in range(QUEUES))
    assert doc["totals"]["queues"] == 301 and doc["totals"]["memory"] is None
    found = client.get(f"{ROOT}/api/queues?q=tenant-15&sort=pending&order=desc").get_json()
    names = [q["queue"] for q in found["queues"]]
    assert found["total"] == 11 and "tenant-150-bad" in names
    assert [q["pending"] for q in found["queues"]] == sorted(
        (q["pending"] for q in found["queues"]), reverse=True
    )
    bad = next(q for q in found["queues"] if q["queue"] == "tenant-150-bad")
    assert bad["problems"] and bad["pending"] == 0
    everything = client.get(f"{ROOT}/api/queues?qsize=1000").get_json()
    assert len(everything["queues"]) == 301 and everything["pages"] == 1
    assert everything["totals"]["memory"] > 0  # read in full: the memory total is exact


class Collected(Collector):
    def __init__(self, families: list) -> None:
        self.families = families

    def collect(self):
        yield from self.families


def test_metrics_text_is_what_prometheus_client_writes(many, r, redis_url):
    r.sadd("asynq:queues", 'we"ird\\name')  # label values that need escaping
    insp = Inspector(redis_url)
    try:
        registry = CollectorRegistry()
        registry.register(Collected(list(QueueMetricsCollector(insp).collect())))  # one scrape
        fast = exposition(registry)
        assert fast == generate_latest(registry)
        assert b'asynq_queue_size{queue="we\\"ird\\\\name"} 0.0' in fast
        assert fast.count(b"asynq_queue_size{") == QUEUES + 2
    finally:
        insp.close()


def test_history_totals_stay_live_for_today_and_yesterday(many, r, redis_url):
    insp = Inspector(redis_url)
    try:
        names = insp.queues()
        first = insp.history_totals(names, days=30)
        now = time.time()
        bump_daily(r, "tenant-005", utc_day(now), processed=1000, failed=10)
        bump_daily(r, "tenant-006", utc_day(now - 86400), processed=500, failed=5)
        again = insp.history_totals(names, days=30)
        assert again[0].processed == first[0].processed + 1000
        assert (again[1].processed, again[1].failed) == (
            first[1].processed + 500,
            first[1].failed + 5,
        )
        assert len(again) == 30 and again[29].date < again[0].date
    finally:
        insp.close()
