"""The ``pyasynq`` inspection commands against a real Redis: output, JSON and exit codes."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from pyasynq import Client, Inspector, Task
from pyasynq.cli import main
from tests.support.go_captures import GO_DIR
from tests.support.loader import load_dump
from tests.support.redis_server import free_port


@pytest.fixture
def run(redis_url):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, [*args, "--redis-url", redis_url], catch_exceptions=False)

    return invoke


@pytest.fixture
def go_state(r):
    load_dump(r, GO_DIR / "at-rest.redis.json")


def _go_table(name: str) -> list[list[str]]:
    lines = (GO_DIR / "cli" / name).read_text().splitlines()
    return [re.split(r"\s{2,}", line.strip()) for line in lines[2:] if line.strip()]


def test_queue_ls_lists_the_go_queues(run, go_state):
    result = run("queue", "ls")
    assert result.exit_code == 0
    go = (GO_DIR / "cli" / "queue-ls.txt").read_text().split()
    assert sorted(result.output.split()) == sorted(go)


def test_queue_inspect_counts_match_go_cli(run, go_state):
    result = run("queue", "inspect", "default")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Size:   15" in out and "Groups: 1" in out and "Paused: false" in out
    counts_line = out.splitlines()[out.splitlines().index("Task Count by State") + 3].split()
    assert counts_line == ["0", "7", "2", "1", "1", "3", "1"]


@pytest.mark.parametrize("state", ["pending", "scheduled", "retry", "archived", "completed"])
def test_task_ls_ids_and_order_match_go_cli(run, go_state, state):
    result = run("task", "ls", "--queue", "default", "--state", state)
    assert result.exit_code == 0, result.output
    ours = [line.split()[0] for line in result.output.splitlines()[2:]]
    go = [row[0] for row in _go_table(f"task-ls-default-{state}.txt")]
    assert ours == go


def test_task_ls_aggregating_and_group_ls(run, go_state):
    result = run("task", "ls", "--queue", "default", "--state", "aggregating", "--group", "g1")
    assert [line.split()[0] for line in result.output.splitlines()[2:]] == [
        row[0] for row in _go_table("task-ls-default-aggregating-g1.txt")
    ]
    assert run("group", "ls", "--queue", "default").output.split() == ["g1"]
    missing_group = run("task", "ls", "--queue", "default", "--state", "aggregating")
    assert missing_group.exit_code == 1 and "--group is required" in missing_group.output


def test_task_inspect_custom_id(run, go_state):
    result = run("task", "inspect", "--queue", "default", "--id", "interop-custom-id-1")
    assert result.exit_code == 0
    assert "Type:    interop:echo" in result.output and "Retried: 0/25" in result.output
    as_json = json.loads(
        run("task", "inspect", "-q", "default", "-i", "interop-custom-id-1", "--json").output
    )
    assert as_json["payload"] == "p-custom-id" and as_json["state"] == "pending"


def test_stats_totals_match_go_cli(run, go_state):
    result = run("stats", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["states"] == {
        "active": 0,
        "pending": 12,
        "aggregating": 2,
        "scheduled": 1,
        "retry": 1,
        "archived": 3,
        "completed": 1,
    }
    assert data["queues"]["paused"] == {"size": 1, "paused": True}
    text = run("stats").output
    assert "paused (paused)" in text and "Redis Info" in text


def test_unknown_queue_and_task_exit_1_with_one_line(run, redis_url):
    Client(redis_url).enqueue(Task("t"))
    result = run("queue", "inspect", "nope")
    assert result.exit_code == 1
    assert result.output.strip() == 'error: queue "nope" does not exist'
    result = run("task", "inspect", "--queue", "default", "--id", "missing")
    assert result.exit_code == 1 and "cannot find task with id=missing" in result.output


def test_redis_down_exits_3():
    result = CliRunner().invoke(
        main, ["queue", "ls", "--redis-url", f"redis://127.0.0.1:{free_port()}/0"]
    )
    assert result.exit_code == 3
    assert result.output.startswith("error: cannot reach Redis at")


def test_actions_change_state(run, redis_url, r):
    client = Client(redis_url)
    a = client.enqueue(Task("a"), process_in=3600)
    client.enqueue(Task("b"), process_in=3600)
    assert run("queue", "pause", "default").exit_code == 0
    assert r.exists("asynq:{default}:paused")
    again = run("queue", "pause", "default")
    assert again.exit_code == 1 and "already paused" in again.output
    assert run("queue", "unpause", "default").exit_code == 0
    assert (
        run("task", "archive", "-q", "default", "-i", a.id).output.strip()
        == f"Task archived: {a.id}"
    )
    assert r.hget(f"asynq:{{default}}:t:{a.id}", "state") == b"archived"
    assert run("task", "runall", "-q", "default", "-s", "scheduled").output.strip() == "1 tasks ran"
    assert (
        run("task", "deleteall", "-q", "default", "-s", "archived").output.strip()
        == "1 tasks deleted"
    )
    refused = run("queue", "remove", "default")
    assert refused.exit_code == 1 and "not empty" in refused.output
    assert run("queue", "remove", "default", "--force").exit_code == 0
    assert Inspector(redis_url).queues() == []


def test_task_enqueue_with_options(run, r):
    result = run(
        "task",
        "enqueue",
        "-t",
        "email:send",
        "-p",
        '{"to":"a"}',
        "-q",
        "critical",
        "--max-retry",
        "3",
        "--header",
        "k=v",
        "--process-in",
        "60",
        "--json",
    )
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["state"] == "scheduled" and info["max_retry"] == 3 and info["headers"] == {"k": "v"}
    assert r.zcard("asynq:{critical}:scheduled") == 1
    bad = run("task", "enqueue", "-t", "x", "--header", "novalue")
    assert bad.exit_code == 1 and "key=value" in bad.output
    usage = run("task", "enqueue")
    assert usage.exit_code == 2


def test_history_json_today_first(run, redis_url, r):
    Client(redis_url).enqueue(Task("t"))
    import time

    from pyasynq.clock import utc_day

    r.set(f"asynq:{{default}}:processed:{utc_day(time.time())}", 5)
    data = json.loads(run("queue", "history", "default", "--days", "3", "--json").output)
    assert [d["processed"] for d in data["default"]] == [5, 0, 0]
    text = run("queue", "history", "default", "--days", "2").output
    assert "date (UTC)" in text and "N/A" in text
