"""PeriodicTaskManager: provider configs registered, changed and removed without restart (§7.2)."""

from __future__ import annotations

import hashlib
import json
import time

import pytest

from pyasynq import Task
from pyasynq.broker.codec import decode
from pyasynq.broker.proto import SchedulerEntry
from pyasynq.periodic import PeriodicTaskConfig, PeriodicTaskManager, config_from_mapping


def registered(mgr):
    return {(e.spec, e.task.type, tuple(e.option_strings)) for e in mgr.scheduler.entries()}


def test_config_hash_is_gos():
    cfg = PeriodicTaskConfig("* * * * *", Task("t", b"p"), {"queue": "q", "max_retry": 3})
    h = hashlib.sha256()
    for part in [b"* * * * *", b"t", b"p", b"MaxRetry(3)", b'Queue("q")']:
        h.update(part)
    assert cfg.hash() == h.hexdigest()
    # option order does not change identity
    same = PeriodicTaskConfig("* * * * *", Task("t", b"p"), {"max_retry": 3, "queue": "q"})
    assert same.hash() == cfg.hash()


def test_callable_provider_add_change_remove(redis_url, clock, r):
    configs = [
        PeriodicTaskConfig("@every 1m", Task("a", b"1")),
        {
            "cronspec": "0 * * * *",
            "task_type": "b",
            "payload": {"x": 1},
            "options": {"queue": "low"},
        },
    ]
    mgr = PeriodicTaskManager(redis_url, provider=lambda: configs, clock=clock)
    try:
        added, removed = mgr.sync()
        assert len(added) == 2 and removed == []
        assert registered(mgr) == {("@every 1m", "a", ()), ("0 * * * *", "b", ('Queue("low")',))}
        b_entry = next(e for e in mgr.scheduler.entries() if e.task.type == "b")
        assert b_entry.task.payload == b'{"x":1}'
        assert mgr.sync() == ([], [])  # nothing changed

        configs[0] = PeriodicTaskConfig("@every 2m", Task("a", b"1"))  # changed
        configs.pop(1)  # removed
        configs.append(PeriodicTaskConfig("@daily", Task("c"), {"timeout": 60}))  # added
        added, removed = mgr.sync()
        assert len(added) == 2 and len(removed) == 2
        assert registered(mgr) == {("@every 2m", "a", ()), ("@daily", "c", ("Timeout(1m0s)",))}

        clock.advance(120)
        assert [res.error for res in mgr.scheduler.tick()] == [None]
        mgr.scheduler.heartbeat()
        stored = [
            decode(SchedulerEntry, e)
            for e in r.lrange(f"asynq:schedulers:{{{mgr.scheduler.id}}}", 0, -1)
        ]
        assert sorted(e.spec for e in stored) == ["@daily", "@every 2m"]
    finally:
        mgr.shutdown()


def test_provider_errors_keep_current_entries(redis_url, clock):
    state = {"fail": False}

    def provider():
        if state["fail"]:
            raise OSError("config store down")
        return [PeriodicTaskConfig("@hourly", Task("a"))]

    mgr = PeriodicTaskManager(redis_url, provider=provider, clock=clock)
    mgr.sync()
    state["fail"] = True
    with pytest.raises(OSError):
        mgr.sync()
    assert len(mgr.scheduler.entries()) == 1
    mgr.shutdown()


def test_invalid_config_rejects_whole_sync(redis_url, clock):
    configs = [PeriodicTaskConfig("@hourly", Task("a")), PeriodicTaskConfig("", Task("b"))]
    mgr = PeriodicTaskManager(redis_url, provider=lambda: configs, clock=clock)
    with pytest.raises(ValueError):
        mgr.sync()
    assert mgr.scheduler.entries() == []
    mgr.shutdown()


def test_bad_spec_is_logged_and_skipped(redis_url, clock, caplog):
    configs = [PeriodicTaskConfig("@hourly", Task("a")), PeriodicTaskConfig("nope", Task("b"))]
    mgr = PeriodicTaskManager(redis_url, provider=lambda: configs, clock=clock)
    added, _ = mgr.sync()
    assert len(added) == 1 and "cannot register" in caplog.text
    mgr.shutdown()


def test_yaml_file_provider_resyncs_in_background(redis_url, clock, tmp_path):
    path = tmp_path / "periodic.yaml"
    path.write_text(
        "configs:\n"
        "  - cronspec: '*/5 * * * *'\n"
        "    task_type: report\n"
        "    payload: daily\n"
        "    options: {queue: low, timeout: 30m, max_retry: 3}\n"
    )
    mgr = PeriodicTaskManager(
        redis_url, provider=str(path), sync_interval=0.05, clock=clock, poll_interval=0.02
    )
    mgr.start()
    try:
        assert registered(mgr) == {
            ("*/5 * * * *", "report", ('Queue("low")', "Timeout(30m0s)", "MaxRetry(3)"))
        }
        path.write_text("configs:\n  - {cronspec: '@daily', task_type: other}\n")
        deadline = time.time() + 3
        while time.time() < deadline and registered(mgr) != {("@daily", "other", ())}:
            time.sleep(0.02)
        assert registered(mgr) == {("@daily", "other", ())}
    finally:
        mgr.shutdown()


def test_json_file_provider(redis_url, clock, tmp_path):
    path = tmp_path / "periodic.json"
    path.write_text(json.dumps([{"spec": "@every 30s", "type": "j", "options": {"unique": "1h"}}]))
    mgr = PeriodicTaskManager(redis_url, provider=path, clock=clock)
    mgr.sync()
    assert registered(mgr) == {("@every 30s", "j", ("Unique(1h0m0s)",))}
    mgr.shutdown()


def test_config_from_mapping_times():
    cfg = config_from_mapping(
        {
            "cronspec": "@daily",
            "task_type": "t",
            "options": {"deadline": "2026-01-01T00:00:00+00:00"},
        }
    )
    assert cfg.option_strings() == ["Deadline(Thu Jan  1 00:00:00 UTC 2026)"]
    with pytest.raises(ValueError):
        config_from_mapping(
            {"cronspec": "@daily", "task_type": "t", "options": {"deadline": "2026-01-01T00:00:00"}}
        )
    with pytest.raises(ValueError):
        config_from_mapping({"task_type": "t"})
