"""Task previews: pages read with payloads and results cut inside Redis (task_previews.lua)."""

from __future__ import annotations

import dataclasses

import pytest

from pyasynq.broker.codec import CorruptMessageError
from pyasynq.errors import TaskNotFoundError
from pyasynq.extras.previews import get_task_preview, list_task_previews, task_bytes
from pyasynq.inspector import Inspector
from tests.support.states import seed_task

BIG = b'{"blob": "' + b"x" * 300_000 + b'"}'


@pytest.fixture
def insp(redis_url):
    inspector = Inspector(redis_url)
    yield inspector
    inspector.close()


def _same_except_bytes(preview, full) -> None:
    """Every field but payload/result (and the sizes) equals what get_task_info reads."""
    skip = {"payload", "result", "payload_size", "result_size", "next_process_at"}
    for f in dataclasses.fields(full):
        if f.name not in skip:
            assert getattr(preview, f.name) == getattr(full, f.name), f.name


@pytest.mark.parametrize(
    "state", ["pending", "active", "scheduled", "retry", "archived", "completed"]
)
def test_every_state_lists_bounded_previews_with_the_other_fields_intact(insp, r, state):
    ids = [
        seed_task(
            r,
            "q",
            state,
            payload=BIG,
            headers={"trace": "t1", "after-payload": "yes"},
            result=b"r" * 5000,
            group="",
        )
        for _ in range(3)
    ]
    small = seed_task(r, "q", state, payload=b"tiny", result=b"ok")
    page = list_task_previews(insp, "q", state, page_size=10, limit=100)
    assert sorted(t.id for t in page) == sorted([*ids, small])
    for task in page:
        full = insp.get_task_info("q", task.id)
        _same_except_bytes(task, full)
        assert task.payload == full.payload[:100]
        assert task.payload_size == len(full.payload)
        assert task.result == full.result[:100] and task.result_size == len(full.result)
        assert task.payload_truncated == (task.id != small)
    assert not page.undecodable


def test_one_task_preview_and_the_full_download(insp, r):
    task_id = seed_task(r, "q", "retry", payload=BIG, result=b"R" * 10_000)
    preview = get_task_preview(insp, "q", task_id, limit=1000)
    full = insp.get_task_info("q", task_id)
    _same_except_bytes(preview, full)
    assert preview.next_process_at == full.next_process_at
    assert len(preview.payload) == 1000 and preview.payload_size == len(BIG)
    assert preview.result_truncated and preview.result_size == 10_000
    assert task_bytes(insp, "q", task_id, "payload") == BIG
    assert task_bytes(insp, "q", task_id, "result") == b"R" * 10_000
    with pytest.raises(TaskNotFoundError):
        get_task_preview(insp, "q", "nope")
    with pytest.raises(TaskNotFoundError):
        task_bytes(insp, "q", "nope", "payload")


def test_a_payload_at_the_limit_is_whole_and_an_empty_one_is_empty(insp, r):
    exact = seed_task(r, "q", "pending", payload=b"a" * 64)
    empty = seed_task(r, "q", "pending", payload=b"")
    by_id = {t.id: t for t in list_task_previews(insp, "q", "pending", limit=64)}
    assert by_id[exact].payload == b"a" * 64 and not by_id[exact].payload_truncated
    assert by_id[empty].payload == b"" and by_id[empty].payload_size == 0


def test_unreadable_messages_are_named_not_raised(insp, r):
    good = seed_task(r, "q", "pending", payload=BIG)
    bad = seed_task(r, "q", "pending")
    r.hset(f"asynq:{{q}}:t:{bad}", "msg", b"\xff\xff\xff garbage")
    page = list_task_previews(insp, "q", "pending", limit=50)
    assert [t.id for t in page] == [good] and page.undecodable == [bad]
    with pytest.raises(CorruptMessageError):
        get_task_preview(insp, "q", bad, limit=50)


def test_preview_limit_is_checked(insp, r):
    seed_task(r, "q", "pending")
    for limit in (0, -1, 10**9, True):
        with pytest.raises(ValueError):
            list_task_previews(insp, "q", "pending", limit=limit)


def test_a_page_is_read_in_calls_of_bounded_size(insp, r):
    ids = [seed_task(r, "q", "scheduled", payload=BIG, score=1000 + i) for i in range(5)]
    insp.broker.preview_read_budget = 2 * (len(BIG) + 1000)  # two tasks per script call
    before = r.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0)
    page = list_task_previews(insp, "q", "scheduled", page_size=10, limit=10)
    calls = r.info("commandstats")["cmdstat_evalsha"]["calls"] - before
    assert [t.id for t in page] == ids and all(t.payload_size == len(BIG) for t in page)
    assert calls == 3, "5 tasks at 2 per call"
