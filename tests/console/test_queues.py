"""The queue page: tabs with counts, per-state columns, paging, search, odd names, bad input."""

from __future__ import annotations

import re
import time

import pytest

from pyasynq import Task
from tests.console.conftest import ROOT
from tests.support.states import seed_many, seed_task

COLUMNS = {
    "active": ["ID", "Type", "Payload", "Status", "Started", "Deadline", "Actions"],
    "pending": ["ID", "Type", "Payload", "Retried", "Max retry", "Actions"],
    "aggregating": ["ID", "Type", "Payload", "Group", "Actions"],
    "scheduled": ["ID", "Type", "Payload", "Process in", "Actions"],
    "retry": ["ID", "Type", "Payload", "Retry in", "Last error", "Retried", "Max retry", "Actions"],
    "archived": ["ID", "Type", "Payload", "Last failed", "Last error", "Actions"],
    "completed": ["ID", "Type", "Payload", "Completed", "Result", "TTL", "Actions"],
}
ROW_BUTTONS = {
    "active": ["cancel"],
    "pending": ["archive", "delete"],
    "aggregating": ["run", "archive", "delete"],
    "scheduled": ["run", "archive", "delete"],
    "retry": ["run", "archive", "delete"],
    "archived": ["run", "delete"],
    "completed": ["delete"],
}


@pytest.fixture
def every_state(r):
    ids = {}
    for state in COLUMNS:
        ids[state] = seed_task(
            r,
            "default",
            state,
            group="g1" if state == "aggregating" else "",
            result=b'{"ok": true}' if state == "completed" else None,
        )
    return ids


def headers(html: str) -> list[str]:
    thead = re.search(r'<table class="table tasks".*?<thead>(.*?)</thead>', html, re.S).group(1)
    return [
        re.sub(r"<[^>]+>", "", h).strip()
        for h in re.findall(r"<th[^>]*>(.*?)</th>", thead, re.S)
        if re.sub(r"<[^>]+>", "", h).strip()
    ]


@pytest.mark.parametrize("state", list(COLUMNS))
def test_each_state_has_asynqmon_columns_and_actions(client, every_state, state):
    resp = client.get(f"{ROOT}/queues/default?state={state}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert headers(html) == COLUMNS[state]
    task_id = every_state[state]
    assert f'data-task-id="{task_id}"' in html
    assert sorted(re.findall(r'data-row-action="(\w+)"', html)) == sorted(ROW_BUTTONS[state])
    batch = re.findall(r'name="action" value="(\w+)"', html)
    assert sorted(batch) == sorted(ROW_BUTTONS[state])
    # Every tab shows its count.
    for s in COLUMNS:
        assert re.search(
            rf'data-state="{s}"[^>]*>\s*{s.capitalize()} <span class="count">1</span>', html
        ), s


def test_default_tab_is_the_first_that_holds_tasks(client, r):
    """No ``state`` in the URL: Pending (the backlog), else Retry, Active, Archived, ..."""

    def opens_on() -> str:
        html = client.get(f"{ROOT}/queues/default").get_data(as_text=True)
        return re.search(r'<table class="table tasks" id="tasks-table" data-state="(\w+)"', html)[1]

    seed_task(r, "default", "completed", result=b"ok")
    assert opens_on() == "completed"
    seed_task(r, "default", "archived")
    assert opens_on() == "archived"
    seed_task(r, "default", "active")
    assert opens_on() == "active"
    seed_task(r, "default", "retry")
    assert opens_on() == "retry"
    seed_task(r, "default", "pending")
    assert opens_on() == "pending"
    # the polled fragment keeps the tab it was given
    html = client.get(f"{ROOT}/_fragments/queues/default?state=archived").get_data(as_text=True)
    assert 'data-state="archived"' in html


def test_an_empty_queue_opens_on_pending(client, r):
    seed_task(r, "other", "pending")
    r.delete("asynq:{other}:pending")
    html = client.get(f"{ROOT}/queues/other").get_data(as_text=True)
    assert "No pending tasks at this time." in html


def test_completed_newest_first_and_rows_per_page_remembered(client, r):
    # scored by expiry: with one retention, the latest to expire completed last
    ids = [
        seed_task(r, "default", "completed", result=b"ok", score=2_000_000_000 + i)
        for i in range(3)
    ]
    html = client.get(f"{ROOT}/queues/default?state=completed&size=10").get_data(as_text=True)
    shown = re.findall(r'<tr data-task-id="([^"]+)"', html)
    assert shown == list(reversed(ids))
    # size=10 was remembered: the next visit without size uses it
    html = client.get(f"{ROOT}/queues/default?state=completed").get_data(as_text=True)
    assert re.search(r'<option value="10" selected>', html)
    assert client.get(f"{ROOT}/queues/default?size=7").status_code == 400


def test_queue_switcher_keeps_the_tab(client, r):
    seed_task(r, "default", "retry")
    seed_task(r, "critical", "retry")
    html = client.get(f"{ROOT}/queues/default?state=retry").get_data(as_text=True)
    assert 'id="queue-switcher"' in html and '<option value="critical">' in html
    resp = client.get(f"{ROOT}/switch-queue?queue=critical&state=retry")
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith("/queues/critical?state=retry")
    empty = client.get(f"{ROOT}/switch-queue?queue=")  # nothing chosen: the list of queues
    assert empty.status_code == 303 and empty.headers["Location"].endswith(f"{ROOT}/")


def test_state_specific_cells(client, r):
    seed_task(r, "default", "retry", error="connection <reset>", retried=3, max_retry=5)
    html = client.get(f"{ROOT}/queues/default?state=retry").get_data(as_text=True)
    assert "connection &lt;reset&gt;" in html
    assert '<td class="num">3</td><td class="num">5</td>' in html
    seed_task(r, "default", "active", lease_expiry=time.time() - 5)
    html = client.get(f"{ROOT}/queues/default?state=active").get_data(as_text=True)
    assert ">orphaned<" in html
    assert 'data-row-action="cancel"' not in html  # an orphaned task has no worker to cancel


def test_completed_shows_result_and_ttl(client, r):
    seed_task(r, "default", "completed", result=b'{"sum": 42}', retention=3600)
    html = client.get(f"{ROOT}/queues/default?state=completed").get_data(as_text=True)
    assert "{&#34;sum&#34;:42}" in html
    assert re.search(r"in (59m|1h)", html)


def test_aggregating_has_a_group_picker(client, producer):
    for g, n in (("alpha", 2), ("beta", 3)):
        for _ in range(n):
            producer.enqueue(Task("agg", b"{}"), queue="default", group=g)
    html = client.get(f"{ROOT}/queues/default?state=aggregating").get_data(as_text=True)
    assert '<option value="alpha" selected>alpha (2)</option>' in html
    assert '<option value="beta">beta (3)</option>' in html
    assert html.count("data-task-id=") == 2
    html = client.get(f"{ROOT}/queues/default?state=aggregating&group=beta").get_data(as_text=True)
    assert html.count("data-task-id=") == 3
    assert "Run all (3)" in html


def test_aggregating_without_groups(client, producer):
    producer.enqueue(Task("a", b"{}"), queue="default")
    html = client.get(f"{ROOT}/queues/default?state=aggregating").get_data(as_text=True)
    assert "No groups have aggregating tasks" in html


@pytest.mark.parametrize("size", [10, 20, 30, 60, 100])
def test_page_sizes(client, r, size):
    seed_many(r, "default", "archived", 25)
    html = client.get(f"{ROOT}/queues/default?state=archived&size={size}").get_data(as_text=True)
    assert html.count("data-task-id=") == min(size, 25)
    assert f'<option value="{size}" selected>' in html


def test_paging_links(client, r):
    seed_many(r, "default", "archived", 25)
    html = client.get(f"{ROOT}/queues/default?state=archived&size=10&page=2").get_data(as_text=True)
    assert html.count("data-task-id=") == 10
    assert "page 2 of 3" in html
    assert 'rel="prev"' in html and 'rel="next"' in html
    html = client.get(f"{ROOT}/queues/default?state=archived&size=10&page=3").get_data(as_text=True)
    assert html.count("data-task-id=") == 5
    assert 'rel="next"' not in html
    html = client.get(f"{ROOT}/queues/default?state=archived&size=10&page=9").get_data(as_text=True)
    assert "No tasks on page 9" in html


@pytest.mark.parametrize(
    "query, message",
    [
        ("page=0", "&#39;page&#39; must be from 1 to"),
        ("page=-1", "&#39;page&#39; must be from 1 to"),
        ("page=abc", "&#39;page&#39; must be a whole number"),
        ("size=7", "&#39;size&#39; must be one of 10, 20, 30, 60, 100"),
        ("size=abc", "&#39;size&#39; must be a whole number"),
        ("state=bogus", "&#39;state&#39; must be one of"),
    ],
)
def test_bad_input_is_400(client, producer, query, message):
    producer.enqueue(Task("a", b"{}"), queue="default")
    for path in ("/queues/default", "/_fragments/queues/default"):
        resp = client.get(f"{ROOT}{path}?{query}")
        assert resp.status_code == 400
        assert message in resp.get_data(as_text=True)


def test_unknown_queue_is_404(client):
    resp = client.get(f"{ROOT}/queues/nope")
    assert resp.status_code == 404
    assert "queue &#34;nope&#34; does not exist" in resp.get_data(as_text=True)


def test_blank_queue_name_is_404(client):
    assert client.get(f"{ROOT}/queues/%20").status_code == 404


@pytest.mark.parametrize("name", ["with space", "ünïcödé 队列", "a/b", "~tilde", "50%", ".."])
def test_odd_queue_names_round_trip(client, producer, name):
    producer.enqueue(Task("a", b"{}"), queue=name)
    html = client.get(f"{ROOT}/").get_data(as_text=True)
    href = re.search(r'<tr data-queue="[^"]*">\s*<th scope="row"><a href="([^"]+)"', html).group(1)
    resp = client.get(href.replace("&amp;", "&") + "?state=pending")
    assert resp.status_code == 200, href
    page = resp.get_data(as_text=True)
    assert "data-task-id=" in page
    # Links to the task page work too.
    task_href = re.search(r'<td class="id"><a href="([^"]+)"', page).group(1)
    assert client.get(task_href).status_code == 200


def test_goto_task_by_id(client, r):
    task_id = seed_task(r, "default", "retry")
    resp = client.get(f"{ROOT}/queues/default/goto?id=%20{task_id}%20")
    assert resp.status_code == 303
    assert resp.headers["Location"] == f"{ROOT}/queues/default/tasks/{task_id}"
    assert client.get(f"{ROOT}/queues/default/goto?id=").status_code == 400
    assert (
        client.get(f"{ROOT}/queues/default/goto?id=missing", follow_redirects=True).status_code
        == 404
    )


def test_payloads_are_escaped_in_tables(client, producer):
    producer.enqueue(Task("x<i>", b"<script>alert(1)</script>"), queue="default")
    html = client.get(f"{ROOT}/queues/default?state=pending").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "x&lt;i&gt;" in html


def test_queue_fragment_is_polled(client, producer):
    producer.enqueue(Task("a", b"{}"), queue="default")
    html = client.get(f"{ROOT}/_fragments/queues/default?state=pending&size=10").get_data(
        as_text=True
    )
    assert html.lstrip().startswith('<div id="queue-body"')
    assert "hx-trigger=" in html and "<html" not in html
    assert f"{ROOT}/_fragments/queues/default?state=pending" in html
