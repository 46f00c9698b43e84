"""Bulk run/archive/delete on a filtered set: confirmation with the count, bounded steps."""

from __future__ import annotations

import re

import pytest

from pyasynq.console import create_app
from tests.console.conftest import ROOT, make_config
from tests.support.states import seed_task, state_of


def form_fields(html, form_id=None):
    form = html
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


@pytest.fixture
def tiny_app(redis_url):
    app = create_app(make_config(redis_url, scan_limit=7, bulk_batch_size=3))
    app.config["TESTING"] = True
    yield app
    app.extensions["pyasynq"].close()


def test_confirm_states_the_count_then_steps_delete_every_match(tiny_app, r):
    keep = [seed_task(r, "q", "retry", type="keep") for _ in range(10)]
    gone = [seed_task(r, "q", "retry", type="drop") for _ in range(10)]
    client = tiny_app.test_client()
    html = client.get(f"{ROOT}/queues/q?state=retry&type=drop").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    resp = client.post(
        f"{ROOT}/queues/q/retry/bulk",
        data={"csrf_token": token, "action": "delete", "type": "drop"},
    )
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "At least" in page and "matched in the first 7 read (of 20)" in page
    assert all(state_of(r, "q", t) == "retry" for t in gone)  # nothing happens before confirming
    fields = form_fields(page)
    assert fields["type"] == "drop" and fields["confirmed"] == "1" and fields["cursor"] == "0"
    steps = 0
    while True:
        resp = client.post(
            f"{ROOT}/queues/q/retry/bulk/step", data=fields, headers={"HX-Request": "true"}
        )
        assert resp.status_code == 200
        frag = resp.get_data(as_text=True)
        steps += 1
        assert steps < 30
        if 'data-finished="1"' in frag:
            break
        assert 'hx-trigger="load' in frag
        fields = form_fields(frag)
    assert "Deleted 10 tasks" in frag
    assert all(state_of(r, "q", t) is None for t in gone)
    assert all(state_of(r, "q", t) == "retry" for t in keep)
    assert steps >= 4  # bounded: at most 3 acted on and 7 read per step


def test_exact_count_when_the_scan_covers_everything(client, csrf, r):
    for _ in range(3):
        seed_task(r, "q", "archived", error="db down")
    seed_task(r, "q", "archived", error="other")
    page = client.post(
        f"{ROOT}/queues/q/archived/bulk", data={"csrf_token": csrf, "action": "run", "error": "db"}
    ).get_data(as_text=True)
    assert "3 archived tasks match" in page and 'data-count="3"' in page
    fields = form_fields(page)
    html = client.post(f"{ROOT}/queues/q/archived/bulk/step", data=fields).get_data(as_text=True)
    assert 'data-finished="1"' in html and "Ran 3 tasks" in html
    assert r.llen("asynq:{q}:pending") == 3 and r.zcard("asynq:{q}:archived") == 1


def test_refusals(client, csrf, r, config):
    seed_task(r, "q", "pending")
    base = f"{ROOT}/queues/q/pending/bulk"
    assert client.post(base, data={"action": "delete"}).status_code == 400  # no CSRF
    assert (
        client.post(base, data={"csrf_token": csrf, "action": "run"}).status_code == 400
    )  # not for pending
    assert (
        client.post(base + "/step", data={"csrf_token": csrf, "action": "delete"}).status_code
        == 400
    )  # unconfirmed
    assert (
        client.post(
            f"{ROOT}/queues/nope/pending/bulk", data={"csrf_token": csrf, "action": "delete"}
        ).status_code
        == 404
    )
    assert r.llen("asynq:{q}:pending") == 1


def test_read_only_refuses_bulk(redis_url, r):
    app = create_app(make_config(redis_url, read_only=True))
    seed_task(r, "q", "pending")
    resp = app.test_client().post(f"{ROOT}/queues/q/pending/bulk", data={"action": "delete"})
    assert resp.status_code == 403
    app.extensions["pyasynq"].close()
