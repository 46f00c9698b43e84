"""The JSON API: reads, actions, guards (CSRF header / Bearer token / read-only), errors, OpenAPI."""

from __future__ import annotations

import json
import re

import pytest

from pyasynq import Task
from pyasynq.console import create_app
from tests.console.conftest import ROOT, make_config
from tests.support.states import seed_task, state_of

API = ROOT + "/api"
TOKEN = "s3cret-token"


@pytest.fixture
def tapp(redis_url):
    app = create_app(make_config(redis_url, api_token=TOKEN))
    app.config["TESTING"] = True
    yield app
    app.extensions["pyasynq"].close()


@pytest.fixture
def api(tapp):
    return tapp.test_client()


AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_reads(api, producer, r):
    producer.enqueue(Task("email", b'{"u": 1}'), queue="q")
    seed_task(r, "q", "archived", error="smtp down")
    doc = api.get(f"{API}/queues").get_json()
    assert [q["queue"] for q in doc["queues"]] == ["q"] and doc["queues"][0]["pending"] == 1
    assert api.get(f"{API}/queues/q").get_json()["archived"] == 1
    assert len(api.get(f"{API}/queues/q/history?days=3").get_json()["history"]) == 3
    tasks = api.get(f"{API}/queues/q/states/pending/tasks").get_json()["tasks"]
    assert tasks[0]["type"] == "email" and tasks[0]["payload"] == '{"u": 1}'
    found = api.get(f"{API}/queues/q/states/archived/tasks?error=SMTP").get_json()
    assert len(found["tasks"]) == 1 and found["exhausted"] and found["next_cursor"] is None
    tid = tasks[0]["id"]
    assert api.get(f"{API}/queues/q/tasks/{tid}").get_json()["id"] == tid
    assert api.get(f"{API}/queues/q/groups").get_json() == {"groups": []}
    assert api.get(f"{API}/servers").get_json() == {"servers": []}
    assert api.get(f"{API}/scheduler/entries").get_json() == {"entries": []}
    assert "redis_version" in api.get(f"{API}/redis/info").get_json()["info"]
    assert api.get(f"{API}/alerts").get_json()["events"] == []
    assert api.get(f"{API}/queues/q/states/pending/export.json").get_json()["count"] == 1


def test_errors_are_json(api, r):
    seed_task(r, "q", "active")
    resp = api.get(f"{API}/queues/nope")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"
    resp = api.get(f"{API}/queues/q/tasks/missing")
    assert resp.status_code == 404 and "missing" in resp.get_json()["error"]["message"]
    resp = api.get(f"{API}/queues/q/states/pending/tasks?since=1")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_request"
    assert api.get(f"{API}/queues/q/states/pending/tasks?size=0").status_code == 400
    assert api.get(f"{API}/nothing-here").get_json()["error"]["code"] == "not_found"
    tid = r.lrange("asynq:{q}:active", 0, -1)[0].decode()
    resp = api.post(f"{API}/queues/q/tasks/{tid}/delete", headers=AUTH)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "conflict"
    resp = api.post(
        f"{API}/queues/q/states/pending/batch",
        headers=AUTH,
        data="[1]",
        content_type="application/json",
    )
    assert resp.status_code == 400 and "JSON object" in resp.get_json()["error"]["message"]


def test_write_guards(api, tapp, r, redis_url):
    seed_task(r, "q", "pending")
    url = f"{API}/queues/q/pause"
    resp = api.post(url)
    assert resp.status_code == 400 and "X-CSRF-Token" in resp.get_json()["error"]["message"]
    assert api.post(url, headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert api.post(url, headers={"X-CSRF-Token": "forged"}).status_code == 400
    assert not r.exists("asynq:{q}:paused")
    assert api.post(url, headers=AUTH).status_code == 200
    assert r.exists("asynq:{q}:paused")
    # the browser path: the session's CSRF token in the header
    html = api.get(f"{ROOT}/").get_data(as_text=True)
    csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', html).group(1)
    assert api.post(f"{API}/queues/q/unpause", headers={"X-CSRF-Token": csrf}).status_code == 200
    # no api_token configured: Bearer is refused, whatever it says
    plain = create_app(make_config(redis_url))
    assert plain.test_client().post(url, headers=AUTH).status_code == 403
    plain.extensions["pyasynq"].close()
    ro = create_app(make_config(redis_url, read_only=True, api_token=TOKEN))
    resp = ro.test_client().post(url, headers=AUTH)
    assert resp.status_code == 403 and "read-only" in resp.get_json()["error"]["message"]
    ro.extensions["pyasynq"].close()


def test_task_actions_enqueue_edit_reschedule(api, r):
    resp = api.post(
        f"{API}/queues/q/tasks",
        headers=AUTH,
        json={"type": "email", "payload": '{"a": 1}', "format": "json", "max_retry": 2},
    )
    assert resp.status_code == 201
    tid = resp.get_json()["id"]
    assert state_of(r, "q", tid) == "pending"
    resp = api.post(
        f"{API}/queues/q/tasks/{tid}/payload", headers=AUTH, json={"payload_b64": "AAE="}
    )
    assert resp.status_code == 200 and resp.get_json()["payload_b64"] == "AAE="
    resp = api.post(
        f"{API}/queues/q/tasks/{tid}/reschedule", headers=AUTH, json={"process_in": 600}
    )
    assert resp.get_json()["state"] == "scheduled"
    assert api.post(f"{API}/queues/q/tasks/{tid}/run", headers=AUTH).status_code == 200
    assert state_of(r, "q", tid) == "pending"
    assert api.post(f"{API}/queues/q/tasks/{tid}/archive", headers=AUTH).status_code == 200
    assert api.post(f"{API}/queues/q/tasks/{tid}/delete", headers=AUTH).status_code == 200
    assert state_of(r, "q", tid) is None
    assert api.post(f"{API}/queues/q/tasks", headers=AUTH, json={"type": ""}).status_code == 400
    api.post(f"{API}/queues/q/tasks", headers=AUTH, json={"type": "t", "task_id": "x"})
    assert (
        api.post(
            f"{API}/queues/q/tasks", headers=AUTH, json={"type": "t", "task_id": "x"}
        ).status_code
        == 409
    )


def test_batch_all_and_bulk(api, r):
    ids = [seed_task(r, "q", "retry", type="a") for _ in range(3)]
    others = [seed_task(r, "q", "retry", type="b") for _ in range(4)]
    resp = api.post(
        f"{API}/queues/q/states/retry/batch",
        headers=AUTH,
        json={"action": "archive", "ids": ids[:1]},
    )
    assert resp.get_json() == {"action": "archive", "done": 1, "errors": {}}
    out = api.post(
        f"{API}/queues/q/states/retry/bulk", headers=AUTH, json={"action": "delete", "type": "a"}
    ).get_json()
    assert out["done"] == 2 and out["finished"]
    assert all(state_of(r, "q", t) == "retry" for t in others)
    out = api.post(
        f"{API}/queues/q/states/retry/all", headers=AUTH, json={"action": "run"}
    ).get_json()
    assert out["done"] == 4
    assert (
        api.post(
            f"{API}/queues/q/states/pending/all", headers=AUTH, json={"action": "run"}
        ).status_code
        == 400
    )
    assert api.post(f"{API}/queues/q/delete", headers=AUTH).status_code == 409
    assert api.post(f"{API}/queues/q/delete?force=1", headers=AUTH).get_json()["deleted"] is True


def test_openapi_document_is_valid_and_complete(api, tapp):
    doc = api.get(f"{API}/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0" and doc["servers"] == [{"url": f"{ROOT}/api"}]
    try:
        from openapi_spec_validator import validate
    except ImportError:  # pragma: no cover - dev extra not installed
        pytest.skip("openapi-spec-validator not installed")
    validate(json.loads(json.dumps(doc)))
    for rule in tapp.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint in (
            "api.not_found",
            "api.not_found_write",
        ):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?(\w+)>", r"{\1}", rule.rule.split("/api", 1)[1])
        path = re.sub(r"<any\([^)]*\):(\w+)>", r"{\1}", path)
        assert path in doc["paths"], path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in doc["paths"][path], (path, method)
