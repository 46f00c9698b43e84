"""Cron controls: run an entry now, pause/resume it; our Scheduler honours the pause."""

from __future__ import annotations

import pytest

from pyasynq import Task
from pyasynq.console import create_app
from pyasynq.inspector import Inspector
from pyasynq.inspector_actions import EntryNotFoundError
from pyasynq.scheduler import Scheduler
from tests.console.conftest import ROOT, make_config


@pytest.fixture
def sched(redis_url, clock):
    s = Scheduler(redis_url, clock=clock, poll_interval=0.02)
    s.register("@every 1h", Task("report", b'{"k": 1}'), queue="low", max_retry=2, task_id="fixed")
    s.heartbeat()
    yield s
    s.shutdown()


def entry_id(sched):
    return sched.entries()[0].id


def test_inspector_run_now_pause_resume(sched, redis_url, r, clock):
    eid = entry_id(sched)
    with Inspector(redis_url) as insp:
        info = insp.run_scheduler_entry(eid)
        assert (info.type, info.queue, info.max_retry, info.payload) == (
            "report",
            "low",
            2,
            b'{"k": 1}',
        )
        assert info.id != "fixed"
        assert [e.task_id for e in insp.list_scheduler_enqueue_events(eid)] == [info.id]
        assert insp.pause_scheduler_entry(eid) is True
        assert insp.paused_scheduler_entries() == {eid}
        assert r.smembers("pyasynq:scheduler:paused") == {eid.encode()}
        clock.advance(3600)
        assert sched.tick() == []  # paused: skipped
        assert insp.resume_scheduler_entry(eid) is True
        clock.advance(3600)
        assert len(sched.tick()) == 1
        with pytest.raises(EntryNotFoundError):
            insp.pause_scheduler_entry("nope")


def test_console_buttons(sched, client, csrf, r):
    eid = entry_id(sched)
    html = client.get(f"{ROOT}/schedulers").get_data(as_text=True)
    assert "Run now" in html and ">Pause<" in html
    resp = client.post(f"{ROOT}/schedulers/{eid}/pause", data={"csrf_token": csrf})
    assert resp.status_code == 303
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    main = page[page.find("<main") :]
    assert "Paused entry" in main and "data-entry-paused" in main and ">Resume<" in main, main[
        :3000
    ]
    resp = client.post(f"{ROOT}/schedulers/{eid}/run", data={"csrf_token": csrf})
    assert "Enqueued task" in client.get(resp.headers["Location"]).get_data(as_text=True)
    assert r.llen("asynq:{low}:pending") == 1
    client.post(f"{ROOT}/schedulers/{eid}/resume", data={"csrf_token": csrf})
    assert not r.exists("pyasynq:scheduler:paused")
    resp = client.post(f"{ROOT}/schedulers/nope/run", data={"csrf_token": csrf})
    assert "no scheduler entry found" in client.get(resp.headers["Location"]).get_data(as_text=True)
    assert client.post(f"{ROOT}/schedulers/{eid}/pause").status_code == 400  # CSRF


def test_api_and_read_only(sched, redis_url, r):
    eid = entry_id(sched)
    app = create_app(make_config(redis_url, api_token="t"))
    api = app.test_client()
    h = {"Authorization": "Bearer t"}
    assert (
        api.post(f"{ROOT}/api/scheduler/entries/{eid}/pause", headers=h).get_json()["paused"]
        is True
    )
    assert api.get(f"{ROOT}/api/scheduler/entries").get_json()["entries"][0]["paused"] is True
    assert (
        api.post(f"{ROOT}/api/scheduler/entries/{eid}/run", headers=h).get_json()["task"]["type"]
        == "report"
    )
    assert len(api.get(f"{ROOT}/api/scheduler/entries/{eid}/history").get_json()["events"]) == 1
    assert api.post(f"{ROOT}/api/scheduler/entries/nope/run", headers=h).status_code == 404
    app.extensions["pyasynq"].close()
    ro = create_app(make_config(redis_url, read_only=True))
    c = ro.test_client()
    assert "Run now" not in c.get(f"{ROOT}/schedulers").get_data(as_text=True)
    assert c.post(f"{ROOT}/schedulers/{eid}/run").status_code == 403
    ro.extensions["pyasynq"].close()
