"""Reading at a glance: actions come back to where they started (and only to our own pages),
the Redis-down page says what to check, due times are never in the past, counts are labelled."""

from __future__ import annotations

import re
import time

import pytest

from pyasynq.console import create_app
from tests.console.conftest import ROOT, make_config
from tests.support.states import seed_task


def _post(client, csrf, path, **form):
    return client.post(ROOT + path, data={"csrf_token": csrf, **form})


def test_actions_return_to_the_page_and_tab_they_came_from(client, csrf, r):
    seed_task(r, "default", "retry")
    seed_task(r, "default", "retry")
    back = f"{ROOT}/queues/default?state=retry&page=1&size=10"
    resp = _post(client, csrf, "/queues/default/pause", next=back)
    assert resp.status_code == 303 and resp.headers["Location"].endswith(back)
    # a bulk action's confirmation and its final redirect keep the page too
    html = _post(client, csrf, "/queues/default/retry/archive-all", next=back).get_data(
        as_text=True
    )
    assert f'name="next" value="{back.replace("&", "&amp;")}"' in html
    resp = _post(client, csrf, "/queues/default/retry/archive-all", next=back, confirmed="1")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(back)
    # the dashboard's row buttons carry the dashboard's range
    html = client.get(f"{ROOT}/?range=30d").get_data(as_text=True)
    assert f'name="next" value="{ROOT}/?range=30d"' in html


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        f"{ROOT}/\\\\evil.example",
        "/elsewhere",
        f"{ROOT}/queues/default\r\nSet-Cookie: x=1",
        "javascript:alert(1)",
    ],
)
def test_next_is_followed_only_inside_the_console(client, csrf, r, target):
    seed_task(r, "default", "pending")
    resp = _post(client, csrf, "/queues/default/pause", next=target)
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"{ROOT}/")  # the default: the dashboard


def test_redis_down_page_says_what_to_check_once_and_retries_the_same_page(dead_redis_url):
    app = create_app(make_config(dead_redis_url))
    try:
        resp = app.test_client().get(f"{ROOT}/queues/critical?state=retry")
        html = resp.get_data(as_text=True)
    finally:
        app.extensions["pyasynq"].close()
    assert resp.status_code == 503
    assert len(re.findall(r"[Cc]annot reach Redis", html)) == 1
    assert "REDIS_URL" in html and "--redis-url" in html
    port = dead_redis_url.rsplit(":", 1)[1].split("/")[0]
    assert f"127.0.0.1:{port}" in html
    assert re.search(
        rf'<a class="btn btn-primary" id="retry" href="{ROOT}/queues/critical\?state=retry">',
        html,
    )


def test_due_times_are_never_in_the_past(client, r):
    past = time.time() - 30
    seed_task(r, "default", "scheduled", score=past)
    seed_task(r, "default", "retry", score=past)
    for state in ("scheduled", "retry"):
        html = client.get(f"{ROOT}/queues/default?state={state}").get_data(as_text=True)
        table = html[html.index('id="tasks-table"') :]
        assert "due now" in table and " ago</time>" not in table.split("</tbody>")[0], state


def test_queue_insights_say_today_and_the_charted_window_apart(client, r):
    seed_task(r, "default", "pending")
    r.set("asynq:{default}:processed:" + time.strftime("%Y-%m-%d", time.gmtime()), 113)
    html = client.get(f"{ROOT}/_fragments/queues/default/insights?state=pending").get_data(
        as_text=True
    )
    assert re.search(r"<span data-today-processed>113</span> processed", html)
    assert "No full minute sampled yet" in html  # not "0 processed in 0 sampled minutes"


def test_destructive_buttons_are_marked_and_ask_first(client, r):
    seed_task(r, "default", "pending")
    html = client.get(f"{ROOT}/").get_data(as_text=True)
    row = html[html.index('data-queue="default"') :]
    assert re.search(r'class="btn btn-small btn-danger"[^>]*>Delete…</button>', row)
