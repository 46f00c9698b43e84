"""Read-only mode: no controls anywhere, and every POST is a 403."""

from __future__ import annotations

import re

import pytest

from pyasynq.console import create_app
from tests.console.conftest import ROOT, make_config
from tests.support.states import seed_task


@pytest.fixture
def config(redis_url):
    return make_config(redis_url, read_only=True)


@pytest.fixture
def seeded(r):
    return {
        s: seed_task(r, "default", s, group="g" if s == "aggregating" else "")
        for s in ("active", "pending", "aggregating", "scheduled", "retry", "archived", "completed")
    }


def test_no_controls_are_rendered(client, seeded):
    pages = [f"{ROOT}/"] + [f"{ROOT}/queues/default?state={s}" for s in seeded]
    pages += [f"{ROOT}/queues/default/tasks/{i}" for i in seeded.values()]
    for page in pages:
        html = client.get(page).get_data(as_text=True)
        assert 'method="post"' not in html, page
        assert "formaction" not in html and 'name="ids"' not in html, page
    assert "read-only" in client.get(f"{ROOT}/").get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/queues/default/pause",
        "/queues/default/unpause",
        "/queues/default/delete",
        "/queues/default/retry/run-all",
        "/queues/default/pending/batch",
        "/queues/default/tasks/x/delete",
    ],
)
def test_every_post_is_403(client, seeded, r, path):
    html = client.get(f"{ROOT}/").get_data(as_text=True)
    token = re.search(r'"X-CSRF-Token": "([^"]+)"', html).group(1)
    resp = client.post(ROOT + path, data={"csrf_token": token, "confirmed": "1", "force": "1"})
    assert resp.status_code == 403
    assert "read-only mode" in resp.get_data(as_text=True)
    assert r.sismember("asynq:queues", "default")
    assert not r.exists("asynq:{default}:paused")


def test_reading_still_works(client, seeded):
    assert client.get(f"{ROOT}/queues/default?state=retry").status_code == 200


def test_read_only_from_env(redis_url):
    from pyasynq.console.config import ConsoleConfig

    app = create_app(
        ConsoleConfig.from_env(
            {"REDIS_URL": redis_url, "CONSOLE_READ_ONLY": "1", "SECRET_KEY": "k"}
        )
    )
    assert app.test_client().post(f"{ROOT}/queues/default/pause").status_code == 403
