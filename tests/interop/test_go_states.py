"""Our Inspector reads Redis states written by real Go Asynq v0.26.0 exactly as Go's does."""

from __future__ import annotations

import base64
import json

import pytest

from pyasynq import Inspector, ManualClock
from tests.support.go_captures import GO_DIR
from tests.support.loader import load_dump

STATES = ("pending", "active", "scheduled", "retry", "archived", "completed")
MEMORY_TOLERANCE = 0.02  # Go's own estimate; same algorithm and Redis, so expect (near) equality


def _read(name: str) -> dict:
    return json.loads((GO_DIR / name).read_text("utf-8"))


def _ts(dt) -> int | None:
    return None if dt is None else int(dt.timestamp())


def _task_view(t) -> dict:
    """Our TaskInfo in the shape of the Go capture's task objects."""
    return {
        "id": t.id,
        "queue": t.queue,
        "type": t.type,
        "payload_b64": base64.b64encode(t.payload).decode(),
        "headers": t.headers or None,
        "state": str(t.state),
        "max_retry": t.max_retry,
        "retried": t.retried,
        "last_err": t.last_err,
        "last_failed_at": _ts(t.last_failed_at),
        "timeout_s": int(t.timeout.total_seconds()),
        "deadline": _ts(t.deadline),
        "group": t.group,
        "next_process_at": _ts(t.next_process_at),
        "is_orphaned": t.is_orphaned,
        "retention_s": int(t.retention.total_seconds()),
        "completed_at": _ts(t.completed_at),
        "result_b64": base64.b64encode(t.result or b"").decode(),
    }


def _expected(t: dict) -> dict:
    keep = [
        "id",
        "queue",
        "type",
        "payload_b64",
        "headers",
        "state",
        "max_retry",
        "retried",
        "last_err",
        "last_failed_at",
        "timeout_s",
        "deadline",
        "group",
        "next_process_at",
        "is_orphaned",
        "retention_s",
        "completed_at",
        "result_b64",
    ]
    out = {k: t[k] for k in keep}
    out["headers"] = t["headers"] or None
    return out


@pytest.fixture(params=["at-rest", "live"])
def captured(request, r, redis_url):
    """(name, Inspector pinned at capture time, Go's answers) for each captured state."""
    captured_at = load_dump(r, _read(f"{request.param}.redis.json"))
    inspector = Inspector(redis_url, clock=ManualClock(captured_at))
    yield request.param, inspector, _read(f"{request.param}.inspect.json"), captured_at
    inspector.close()


def test_queues(captured):
    _, insp, go, _ = captured
    assert insp.queues() == sorted(go["queues"])


def test_queue_info_every_field(captured):
    _, insp, go, captured_at = captured
    for queue, want in go["queue_info"].items():
        got = insp.get_queue_info(queue)
        counts = [
            "size",
            "groups",
            "pending",
            "active",
            "scheduled",
            "retry",
            "archived",
            "completed",
            "aggregating",
            "processed",
            "failed",
            "processed_total",
            "failed_total",
            "paused",
        ]
        assert {k: getattr(got, k) for k in counts} == {k: want[k] for k in counts}, queue
        assert got.queue == want["queue"]
        assert (
            abs(got.memory_usage - want["memory_usage"]) <= want["memory_usage"] * MEMORY_TOLERANCE
        )
        assert abs(got.latency.total_seconds() - want["latency_s"]) < 1.0, queue
        assert int(got.timestamp.timestamp()) == want["timestamp"] == int(captured_at)


def test_memory_usage_matches_go_exactly_on_redis_7_0(captured, r):
    _, insp, go, _ = captured
    if not r.info("server")["redis_version"].startswith("7.0."):
        pytest.skip("MEMORY USAGE figures depend on the Redis version; Go's were taken on 7.0")
    assert {q: insp.get_queue_info(q).memory_usage for q in go["queue_info"]} == {
        q: v["memory_usage"] for q, v in go["queue_info"].items()
    }


def test_groups(captured):
    _, insp, go, _ = captured
    for queue, want in go["groups"].items():
        assert [(g.group, g.size) for g in insp.groups(queue)] == [
            (g["group"], g["size"]) for g in want
        ]


def test_history(captured):
    _, insp, go, _ = captured
    for queue, want in go["history"].items():
        got = insp.history(queue, days=len(want))
        assert [(d.date.strftime("%Y-%m-%d"), d.processed, d.failed) for d in got] == [
            (d["date"], d["processed"], d["failed"]) for d in want
        ]


def test_every_task_list_field_by_field(captured):
    _, insp, go, _ = captured
    listed = 0
    for queue, by_state in go["tasks"].items():
        for state in STATES:
            page = getattr(insp, f"list_{state}_tasks")(queue, page_size=1000)
            assert page.undecodable == []
            assert [_task_view(t) for t in page] == [_expected(t) for t in by_state[state]], (
                queue,
                state,
            )
            listed += len(page)
        for group, want in by_state["aggregating"].items():
            page = insp.list_aggregating_tasks(queue, group, page_size=1000)
            assert [_task_view(t) for t in page] == [_expected(t) for t in want]
            listed += len(page)
    assert listed > 10


def test_get_task_info_agrees_with_listings(captured):
    _, insp, go, _ = captured
    for queue, by_state in go["tasks"].items():
        tasks = [t for s in STATES for t in by_state[s]]
        tasks += [t for g in by_state["aggregating"].values() for t in g]
        for want in tasks:
            assert _task_view(insp.get_task_info(queue, want["id"])) == _expected(want)


def test_paging_matches_the_full_listing(captured):
    _, insp, go, _ = captured
    full = [t["id"] for t in go["tasks"]["default"]["pending"]]
    pages = [insp.list_pending_tasks("default", page_size=3, page=p) for p in (1, 2, 3, 4)]
    assert [t.id for page in pages for t in page] == full
    assert pages[-1] == []


def test_servers_with_active_workers(captured):
    _, insp, go, _ = captured

    def worker(w):
        return (w.task_id, w.task_type, w.task_payload, w.queue, _ts(w.started), _ts(w.deadline))

    got = [
        {
            "id": s.id,
            "host": s.host,
            "pid": s.pid,
            "concurrency": s.concurrency,
            "queues": s.queues,
            "strict_priority": s.strict_priority,
            "started": _ts(s.started),
            "status": s.status,
            "workers": sorted(worker(w) for w in s.active_workers),
        }
        for s in insp.servers()
    ]
    want = [
        {
            "id": s["id"],
            "host": s["host"],
            "pid": s["pid"],
            "concurrency": s["concurrency"],
            "queues": s["queues"],
            "strict_priority": s["strict_priority"],
            "started": s["started"],
            "status": s["status"],
            "workers": sorted(
                (
                    w["task_id"],
                    w["task_type"],
                    w["task_payload"].encode(),
                    w["queue"],
                    w["started"],
                    w["deadline"],
                )
                for w in s["active_workers"]
            ),
        }
        for s in go["servers"]
    ]
    assert got == want


def test_scheduler_entries_and_history(captured):
    name, insp, go, _ = captured
    entries = insp.scheduler_entries()
    got = [
        (
            e.id,
            e.spec,
            e.task_type,
            e.task_payload,
            e.options,
            _ts(e.next_enqueue_at),
            _ts(e.prev_enqueue_at),
        )
        for e in entries
    ]
    want = [
        (
            e["id"],
            e["spec"],
            e["task_type"],
            e["task_payload"].encode(),
            e["opts"],
            e["next"],
            e["prev"],
        )
        for e in go["scheduler_entries"]
    ]
    assert got == want
    for entry, go_entry in zip(entries, go["scheduler_entries"], strict=True):
        assert entry.scheduler_id.count(":") >= 2  # host:pid:uuid
        events = insp.list_scheduler_enqueue_events(entry.id, page_size=100)
        assert [(ev.task_id, _ts(ev.enqueued_at)) for ev in events] == [
            (ev["task_id"], ev["enqueued_at"]) for ev in go_entry["enqueue_events"]
        ]
    if name == "live":
        assert got, "the live capture has a running scheduler"


def test_live_active_tasks_are_not_orphaned_until_their_lease_expires(r, redis_url):
    captured_at = load_dump(r, _read("live.redis.json"))
    leases = dict(r.zrange("asynq:{critical}:lease", 0, -1, withscores=True))
    with Inspector(redis_url, clock=ManualClock(captured_at)) as insp:
        assert [t.is_orphaned for t in insp.list_active_tasks("critical")] == [False, False]
    with Inspector(redis_url, clock=ManualClock(max(leases.values()) + 1)) as insp:
        tasks = insp.list_active_tasks("critical")
        assert [t.is_orphaned for t in tasks] == [True, True]
        assert insp.get_task_info("critical", tasks[0].id).is_orphaned
