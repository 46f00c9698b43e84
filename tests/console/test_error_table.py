"""One error table (console/errors.py): a page and the JSON API give the same status and code
for the same engine error."""

from __future__ import annotations

import pytest

from pyasynq.broker import keys
from pyasynq.console import create_app
from pyasynq.console.errors import ERROR_TABLE, reply_for
from pyasynq.errors import BadDataError, BrokerError, RedisUnavailableError, TaskStateError
from tests.console.conftest import ROOT, assert_no_traceback, make_config
from tests.support.states import seed_task

TOKEN = "error-table-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def both(redis_url):
    app = create_app(make_config(redis_url, api_token=TOKEN))
    app.config["TESTING"] = True
    yield app.test_client()
    app.extensions["pyasynq"].close()


def _page_and_api(client, path: str) -> tuple[int, int, str]:
    page = client.get(f"{ROOT}{path}")
    api = client.get(f"{ROOT}/api{path}", headers=AUTH)
    assert_no_traceback(page.get_data(as_text=True))
    return page.status_code, api.status_code, api.get_json()["error"]["code"]


def test_corrupt_task_is_422_bad_data_on_a_page_and_in_the_api(both, r):
    task_id = seed_task(r, "q", "pending")
    r.hset(keys.task_key("q", task_id), "msg", b"\xff\x00 not a task message")
    assert _page_and_api(both, f"/queues/q/tasks/{task_id}") == (422, 422, "bad_data")


def test_missing_queue_and_task_are_404_on_a_page_and_in_the_api(both, r):
    assert _page_and_api(both, "/queues/nope") == (404, 404, "not_found")
    seed_task(r, "q", "pending")
    assert _page_and_api(both, "/queues/q/tasks/no-such-id") == (404, 404, "not_found")


def test_table_order_puts_specific_errors_first():
    assert reply_for(BadDataError("x")).status == 422
    assert reply_for(RedisUnavailableError("cannot reach Redis at x")).code == "redis_unavailable"
    assert reply_for(BrokerError("refused")).code == "redis_error"
    assert reply_for(TaskStateError("busy")).status == 409
    assert reply_for(KeyError("x")).status == 500
    kinds = [row[0] for row in ERROR_TABLE]
    for i, kind in enumerate(kinds):  # no row is shadowed by a broader one above it
        assert not any(issubclass(kind, earlier) for earlier in kinds[:i])
