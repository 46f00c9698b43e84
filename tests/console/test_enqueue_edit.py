"""Enqueue from the console, edit a payload, reschedule: forms, CSRF, state rules."""

from __future__ import annotations

import time

from pyasynq.broker.codec import decode_task
from pyasynq.console import create_app
from tests.console.conftest import ROOT, assert_no_traceback, make_config
from tests.support.states import seed_task, state_of


def msg(r, q, tid):
    return decode_task(r.hget(f"asynq:{{{q}}}:t:{tid}", "msg"))


def test_enqueue_form_and_post(client, csrf, r):
    html = client.get(f"{ROOT}/enqueue?queue=critical").get_data(as_text=True)
    assert 'name="type"' in html and 'value="critical"' in html
    resp = client.post(
        f"{ROOT}/enqueue",
        data={
            "csrf_token": csrf,
            "queue": "critical",
            "type": "email:send",
            "payload": '{"to": "ada"}',
            "format": "json",
            "max_retry": "3",
            "timeout": "60",
            "process_in": "3600",
            "retention": "120",
        },
    )
    assert resp.status_code == 303
    tid = resp.headers["Location"].rsplit("/", 1)[1]
    m = msg(r, "critical", tid)
    assert (m.type, m.payload, m.retry, m.timeout, m.retention) == (
        "email:send",
        b'{"to": "ada"}',
        3,
        60,
        120,
    )
    assert state_of(r, "critical", tid) == "scheduled"
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Enqueued task" in page


def test_enqueue_errors_keep_the_form(client, csrf, r):
    resp = client.post(
        f"{ROOT}/enqueue",
        data={"csrf_token": csrf, "type": "t", "payload": "{bad", "format": "json"},
    )
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "not valid JSON" in html and "{bad" in html
    assert_no_traceback(html)
    assert client.post(f"{ROOT}/enqueue", data={"csrf_token": csrf, "type": ""}).status_code == 400
    assert (
        client.post(
            f"{ROOT}/enqueue", data={"csrf_token": csrf, "type": "t", "max_retry": "x"}
        ).status_code
        == 400
    )
    ok = {"csrf_token": csrf, "type": "t", "task_id": "fixed"}
    assert client.post(f"{ROOT}/enqueue", data=ok).status_code == 303
    assert client.post(f"{ROOT}/enqueue", data=ok).status_code == 409
    assert client.post(f"{ROOT}/enqueue", data={"type": "t"}).status_code == 400  # CSRF


def test_edit_payload(client, csrf, r):
    tid = seed_task(r, "q", "archived", payload=b'{"a": 1}')
    page = client.get(f"{ROOT}/queues/q/tasks/{tid}").get_data(as_text=True)
    assert "Edit payload" in page and "Reschedule" in page
    resp = client.post(
        f"{ROOT}/queues/q/tasks/{tid}/payload",
        data={"csrf_token": csrf, "payload": '{"a": 2}', "format": "json"},
    )
    assert resp.status_code == 303
    assert msg(r, "q", tid).payload == b'{"a": 2}'
    assert "Saved the new payload" in client.get(resp.headers["Location"]).get_data(as_text=True)
    resp = client.post(
        f"{ROOT}/queues/q/tasks/{tid}/payload",
        data={"csrf_token": csrf, "payload": "{", "format": "json"},
    )
    assert "not valid JSON" in client.get(resp.headers["Location"]).get_data(as_text=True)
    assert msg(r, "q", tid).payload == b'{"a": 2}'


def test_edit_refused_for_active_and_no_forms_shown(client, csrf, r):
    tid = seed_task(r, "q", "active")
    assert "Edit payload" not in client.get(f"{ROOT}/queues/q/tasks/{tid}").get_data(as_text=True)
    resp = client.post(
        f"{ROOT}/queues/q/tasks/{tid}/payload", data={"csrf_token": csrf, "payload": "x"}
    )
    assert "cannot update the payload" in client.get(resp.headers["Location"]).get_data(
        as_text=True
    )


def test_reschedule(client, csrf, r):
    tid = seed_task(r, "q", "pending")
    at = int(time.time()) + 7200
    resp = client.post(
        f"{ROOT}/queues/q/tasks/{tid}/reschedule", data={"csrf_token": csrf, "process_at": str(at)}
    )
    assert resp.status_code == 303
    assert state_of(r, "q", tid) == "scheduled" and r.zscore("asynq:{q}:scheduled", tid) == at
    resp = client.post(
        f"{ROOT}/queues/q/tasks/{tid}/reschedule",
        data={"csrf_token": csrf, "process_at": "2031-01-01T00:00"},
    )
    assert r.zscore("asynq:{q}:scheduled", tid) == 1924992000
    resp = client.post(f"{ROOT}/queues/q/tasks/{tid}/reschedule", data={"csrf_token": csrf})
    assert "Not rescheduled" in client.get(resp.headers["Location"]).get_data(as_text=True)
    done = seed_task(r, "q", "completed")
    resp = client.post(
        f"{ROOT}/queues/q/tasks/{done}/reschedule", data={"csrf_token": csrf, "process_in": "60"}
    )
    assert "cannot reschedule" in client.get(resp.headers["Location"]).get_data(as_text=True)
    assert (
        client.post(
            f"{ROOT}/queues/q/tasks/nope/reschedule", data={"csrf_token": csrf, "process_in": "5"}
        ).status_code
        == 303
    )


def test_read_only(redis_url, r):
    app = create_app(make_config(redis_url, read_only=True))
    c = app.test_client()
    tid = seed_task(r, "q", "pending")
    assert "Edit payload" not in c.get(f"{ROOT}/queues/q/tasks/{tid}").get_data(as_text=True)
    assert c.post(f"{ROOT}/enqueue", data={"type": "t"}).status_code == 403
    assert c.post(f"{ROOT}/queues/q/tasks/{tid}/payload", data={"payload": "x"}).status_code == 403
    assert (
        c.post(f"{ROOT}/queues/q/tasks/{tid}/reschedule", data={"process_in": "1"}).status_code
        == 403
    )
    app.extensions["pyasynq"].close()
