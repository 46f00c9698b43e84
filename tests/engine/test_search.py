"""pyasynq.extras.search against a real Redis: filters, cursors, and the bound on work per call."""

from __future__ import annotations

import pytest

from pyasynq import Client, Task
from pyasynq.errors import QueueNotFoundError
from pyasynq.extras.search import TaskFilter, iter_matches, parse_json_path, search
from pyasynq.inspector import Inspector
from tests.support.states import seed_task


@pytest.fixture
def insp(redis_url):
    i = Inspector(redis_url)
    yield i
    i.close()


def fill(redis_url, n, make):
    with Client(redis_url) as c:
        for start in range(0, n, 1000):
            res = c.enqueue_many([make(i) for i in range(start, min(n, start + 1000))])
            assert not [x for x in res if isinstance(x, Exception)]


def test_filter_params_round_trip():
    f = TaskFilter.from_params(
        {
            "type": "email:*",
            "error": "smtp",
            "payload": "ada",
            "jpath": "$.user.id",
            "jval": "42",
            "since": "2024-05-01T00:00:00",
            "until": "1714600000",
        }
    )
    assert f.since == 1714521600.0 and f.until == 1714600000.0
    assert TaskFilter.from_params(f.to_params()) == f
    assert TaskFilter().to_params() == {} and not TaskFilter().active


def test_json_path_forms():
    assert parse_json_path("$.user.id") == ["user", "id"]
    assert parse_json_path("items[2].sku") == ["items", 2, "sku"]
    f = TaskFilter(json_path="user.id=42")
    assert (f.json_path, f.json_value) == ("user.id", "42")
    with pytest.raises(ValueError):
        TaskFilter(json_path="$")
    with pytest.raises(ValueError):
        TaskFilter.from_params({"since": "yesterday"})
    with pytest.raises(ValueError):
        TaskFilter(json_value="1")


def test_each_filter(insp, redis_url, r):
    with Client(redis_url) as c:
        c.enqueue(Task("email:send", b'{"user": {"id": 42}, "to": "Ada@example.com"}'))
        c.enqueue(Task("email:digest", b'{"user": {"id": "42"}}'))
        c.enqueue(Task("sms:send", b'{"user": {"id": 7}, "items": [{"sku": "X1"}]}'))
        c.enqueue(Task("sms:send", b"\xff\xfe binary"))

    def types(**kw):
        page = search(insp, "default", "pending", TaskFilter(**kw), page_size=100)
        assert page.exhausted and page.next_cursor is None
        return sorted(t.type for t in page.tasks)

    assert types() == ["email:digest", "email:send", "sms:send", "sms:send"]
    assert types(type="email:*") == ["email:digest", "email:send"]
    assert types(type="email") == []
    assert types(type="sms:send") == ["sms:send", "sms:send"]
    assert types(payload="ada@EXAMPLE") == ["email:send"]
    assert types(json_path="$.user.id", json_value="42") == ["email:digest", "email:send"]
    assert types(json_path="user.id", json_value="7") == ["sms:send"]
    assert types(json_path="items[0].sku", json_value='"X1"') == ["sms:send"]
    assert types(json_path="items") == ["sms:send"]


def test_error_and_time_filters(insp, r):
    now = 1_800_000_000
    a = seed_task(r, "q", "archived", error="SMTP timeout", score=now - 3600, now=now)
    b = seed_task(r, "q", "archived", error="bad payload", score=now - 60, now=now)
    ids = lambda **kw: {t.id for t in search(insp, "q", "archived", TaskFilter(**kw)).tasks}  # noqa: E731
    assert ids(error="smtp") == {a}
    assert ids(since=now - 120) == {b}
    assert ids(until=now - 120) == {a}
    assert ids(since=now - 7200, until=now) == {a, b}
    with pytest.raises(ValueError, match="does not apply to pending"):
        search(insp, "q", "pending", TaskFilter(since=1.0))
    with pytest.raises(QueueNotFoundError):
        search(insp, "nope", "pending")


def test_scheduled_time_is_the_next_run(insp, redis_url, clock):
    with Client(redis_url) as c:
        soon = c.enqueue(Task("t"), process_in=60)
        c.enqueue(Task("t"), process_in=7200)
    import time

    page = search(insp, "default", "scheduled", TaskFilter(until=time.time() + 600))
    assert [t.id for t in page.tasks] == [soon.id]
    assert page.tasks[0].next_process_at is not None


def test_page_size_stops_early_and_cursor_continues(insp, redis_url):
    fill(redis_url, 50, lambda i: Task("even" if i % 2 == 0 else "odd", str(i).encode()))
    first = search(insp, "default", "pending", TaskFilter(type="even"), page_size=10)
    assert len(first.tasks) == 10 and not first.exhausted
    assert first.next_cursor == 19  # stopped right after the 10th match
    assert [t.payload for t in first.tasks] == [str(i).encode() for i in range(0, 20, 2)]
    rest = search(
        insp, "default", "pending", TaskFilter(type="even"), cursor=first.next_cursor, page_size=100
    )
    assert rest.exhausted and len(rest.tasks) == 15


def test_bounded_work_on_20000_tasks(insp, redis_url, r):
    fill(redis_url, 20_000, lambda i: Task("needle" if i == 19_999 else "hay", b"{}"))
    r.config_resetstat()
    page = search(insp, "default", "pending", TaskFilter(type="needle"), scan_limit=1000)
    stats = r.info("commandstats")
    assert page.scanned == 1000 and page.tasks == [] and not page.exhausted
    assert page.next_cursor == 1000 and page.total == 20_000
    assert stats["cmdstat_hget"]["calls"] <= 1000
    assert stats["cmdstat_lrange"]["calls"] <= 2
    # continuing 19 more times finds the needle at the very end
    found, cursor, steps = [], page.next_cursor, 1
    while cursor is not None:
        nxt = search(
            insp, "default", "pending", TaskFilter(type="needle"), cursor=cursor, scan_limit=1000
        )
        assert nxt.scanned <= 1000
        found += nxt.tasks
        cursor, steps = nxt.next_cursor, steps + 1
    assert len(found) == 1 and steps == 20


def test_iter_matches_respects_max_scanned(insp, redis_url):
    fill(redis_url, 300, lambda i: Task("t", str(i).encode()))
    got = [t for t, _ in iter_matches(insp, "default", "pending", scan_limit=100) if t]
    assert len(got) == 300
    got = [
        t for t, _ in iter_matches(insp, "default", "pending", scan_limit=100, max_scanned=150) if t
    ]
    assert len(got) == 150


def test_aggregating_needs_a_group(insp, redis_url):
    with Client(redis_url) as c:
        c.enqueue(Task("t", b"a"), group="g1")
    assert len(search(insp, "default", "aggregating", group="g1").tasks) == 1
    with pytest.raises(ValueError):
        search(insp, "default", "aggregating")
