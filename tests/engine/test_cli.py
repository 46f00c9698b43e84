"""The ``pyasynq`` inspection commands against a real Redis: Go's output byte for byte, JSON and
exit codes.

``tests/fixtures/go-asynq-0.26.0/cli/`` holds what Go's ``asynq`` v0.26.0 printed for the captured
state (loaded about an hour after the capture, so "+1h" times read "right now"). We load the same
state, pin the CLI's clock two hours after the capture (same UTC day) and TZ=UTC (Go prints local
times; the capture ran in UTC), and compare. Tolerances, each for a reason Go's own output has:
- the order of queues: Go prints Redis' set order (SMEMBERS, which depends on the hash seed of
  the redis-server process); we print names sorted. Lines/columns are compared as sets.
- ``stats``'s Redis row (version, uptime, connections, memory): those are facts about the
  redis-server, not about the data; the cells are checked for shape, the layout byte for byte.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from click.testing import CliRunner

from pyasynq import Client, Inspector, Task
from pyasynq.cli import main
from pyasynq.clock import ManualClock
from tests.support.go_captures import GO_DIR
from tests.support.loader import load_dump, read_dump
from tests.support.redis_server import free_port

CLI = GO_DIR / "cli"
CAPTURED = read_dump(GO_DIR / "at-rest.redis.json")["captured_at_unix"]


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def run(redis_url, utc, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("HOME", "/nonexistent-home")  # no ~/.asynq.yaml of the machine
    runner = CliRunner()

    def invoke(*args: str, clock: ManualClock | None = None):
        obj = {"clock": clock} if clock else None
        return runner.invoke(
            main, [*args, "--redis-url", redis_url], obj=obj, catch_exceptions=False
        )

    return invoke


@pytest.fixture
def go_state(r, run):
    """The Go capture loaded; ``go(...)`` runs our CLI at the time Go's CLI ran."""
    load_dump(r, GO_DIR / "at-rest.redis.json")
    clock = ManualClock(CAPTURED + 7200)
    return lambda *args: run(*args, clock=clock)


def _golden(name: str) -> str:
    return (CLI / name).read_text("utf-8")


@pytest.mark.parametrize(
    ("args", "golden"),
    [
        (["queue", "inspect", "default"], "queue-inspect-default.txt"),
        (["queue", "history", "default", "--days", "3"], "queue-history-default.txt"),
        (["task", "ls", "--queue", "default", "--state", "pending"], "task-ls-default-pending.txt"),
        (["task", "list", "-q", "default", "-s", "scheduled"], "task-ls-default-scheduled.txt"),
        (["task", "ls", "--queue=default", "--state=retry"], "task-ls-default-retry.txt"),
        (["task", "ls", "-q", "default", "-s", "archived"], "task-ls-default-archived.txt"),
        (["task", "ls", "-q", "default", "-s", "completed"], "task-ls-default-completed.txt"),
        (
            ["task", "ls", "-q", "default", "-s", "aggregating", "-g", "g1"],
            "task-ls-default-aggregating-g1.txt",
        ),
        (["group", "ls", "--queue", "default"], "group-ls-default.txt"),
        (
            ["task", "inspect", "--queue", "default", "--id", "interop-custom-id-1"],
            "task-inspect-custom-id.txt",
        ),
    ],
)
def test_output_is_gos_byte_for_byte(go_state, args, golden):
    result = go_state(*args)
    assert result.exit_code == 0, result.output
    assert result.output == _golden(golden)


def test_queue_ls_is_gos_lines(go_state):
    result = go_state("queue", "ls")
    assert result.exit_code == 0
    go = _golden("queue-ls.txt").splitlines()
    assert result.output.splitlines() == sorted(go)  # same names, sorted (see module docstring)
    assert go_state("queue", "list").output == result.output


def _columns(line: str, width: int) -> list[str]:
    return [line[i : i + width] for i in range(0, len(line), width)]


def test_stats_is_gos_layout(go_state):
    ours = go_state("stats").output.split("\n")
    go = _golden("stats.txt").split("\n")
    assert len(ours) == len(go)
    # tasks by state, daily stats: byte for byte
    assert ours[:4] == go[:4]
    assert ours[9:15] == go[9:15]
    # tasks by queue: every column as wide as the widest title; the same columns in name order
    width = len(go[6].split("  ")[0]) + 2
    title_order = sorted(range(4), key=lambda i: _columns(go[6], width)[i])
    for n in (5, 6, 7, 8):
        cells = _columns(go[n], width)
        assert ours[n] == "".join(cells[i] for i in title_order) if n > 5 else ours[n] == go[n]
    # Redis info: the same layout, the cells describe our redis-server
    assert ours[15:18] == go[15:18]
    assert re.fullmatch(r"\d+\.\d+\.\d+ +\d+ days +\d+ +[\d.]+[KMG]?B +[\d.]+[KMG]?B +", ours[18])
    assert ours[19:] == go[19:] == ["", ""]


def test_stats_json_is_gos_shape(go_state):
    data = json.loads(go_state("stats", "--json").output)
    assert set(data) == {"aggregate", "queues", "redis"}
    agg = data["aggregate"]
    assert {k: agg[k] for k in ("active", "pending", "aggregating", "scheduled")} == {
        "active": 0,
        "pending": 12,
        "aggregating": 2,
        "scheduled": 1,
    }
    assert (agg["retry"], agg["archived"], agg["completed"]) == (1, 3, 1)
    assert (agg["processed"], agg["failed"]) == (4, 3)
    assert agg["timestamp"].startswith("2026-11-27T20:33:05")
    by_name = {q["Queue"]: q for q in data["queues"]}
    assert by_name["paused"]["Paused"] is True and by_name["default"]["Size"] == 15
    assert data["redis"]["redis_version"]


def test_unknown_queue_and_task_exit_1_with_one_line(run, redis_url):
    Client(redis_url).enqueue(Task("t"))
    result = run("queue", "inspect", "nope")
    assert result.exit_code == 1
    assert result.output.strip() == 'error: queue "nope" does not exist'
    result = run("task", "inspect", "--queue", "default", "--id", "missing")
    assert result.exit_code == 1 and "cannot find task with id=missing" in result.output


def test_inspect_several_queues_goes_on_after_an_error(run, redis_url):
    Client(redis_url).enqueue(Task("t"))
    result = run("queue", "inspect", "nope", "default")
    assert result.exit_code == 1
    assert 'error: queue "nope" does not exist' in result.output
    assert (
        "\n=================================================\n\nQueue Info\nName:   default\n"
        in (result.output)
    )


def test_redis_down_exits_3(utc):
    result = CliRunner().invoke(
        main, ["queue", "ls", "--redis-url", f"redis://127.0.0.1:{free_port()}/0"]
    )
    assert result.exit_code == 3
    assert result.output.startswith("error: cannot reach Redis at")


def test_actions_change_state_and_print_what_go_prints(run, redis_url, r):
    client = Client(redis_url)
    a = client.enqueue(Task("a"), process_in=3600)
    client.enqueue(Task("b"), process_in=3600)
    paused = run("queue", "pause", "default")
    assert (paused.exit_code, paused.output) == (0, 'Successfully paused queue "default"\n')
    assert r.exists("asynq:{default}:paused")
    again = run("queue", "pause", "default")
    assert again.exit_code == 1 and "already paused" in again.output
    resumed = run("queue", "resume", "default")
    assert resumed.output == 'Successfully unpaused queue "default"\n'
    assert run("queue", "unpause", "default").exit_code == 1  # not paused any more
    assert run("task", "archive", "-q", "default", "-i", a.id).output == "task archived\n"
    assert r.hget(f"asynq:{{default}}:t:{a.id}", "state") == b"archived"
    assert run("task", "run", "-q", "default", "-i", a.id).output == "task is now pending\n"
    assert run("task", "rm", "-q", "default", "-i", a.id).output == "task deleted\n"
    ran = run("task", "runall", "-q", "default", "-s", "scheduled")
    assert ran.output == "1 tasks are now pending\n"
    assert run("task", "archiveall", "-q", "default", "-s", "pending").output == (
        "1 tasks archived\n"
    )
    assert run("task", "deleteall", "-q", "default", "-s", "archived").output == "1 tasks deleted\n"
    client.enqueue(Task("c"))
    refused = run("queue", "rm", "default")
    assert refused.exit_code == 1
    assert "not empty" in refused.output
    assert "run 'pyasynq queue rm --force default'" in refused.output
    removed = run("queue", "delete", "default", "--force")
    assert removed.output == 'Successfully removed queue "default"\n'
    assert Inspector(redis_url).queues() == []


def test_pause_of_a_missing_queue_is_refused(run, redis_url, r):
    Client(redis_url).enqueue(Task("t"))
    result = run("queue", "pause", "nope", "default")
    assert result.exit_code == 1
    assert 'error: queue "nope" does not exist' in result.output
    assert 'Successfully paused queue "default"' in result.output
    assert not r.exists("asynq:{nope}:paused")
    assert "Go's asynq accepts it silently" in " ".join(
        run("queue", "pause", "--help").output.split()
    )


def test_cancel_of_an_unknown_id_says_nothing_was_running(run, redis_url):
    Client(redis_url).enqueue(Task("t"), task_id="waiting")
    for tid in ("no-such-task", "waiting"):
        result = run("task", "cancel", tid)
        assert result.exit_code == 1
        assert f"task {tid} is not active: nothing was running" in result.output


def test_cancel_of_an_active_task_sends_the_signal(run, redis_url, r):
    Client(redis_url).enqueue(Task("t"), task_id="busy")
    r.lmove("asynq:{default}:pending", "asynq:{default}:active")  # as a worker's dequeue does
    r.hset("asynq:{default}:t:busy", "state", "active")
    pubsub = r.pubsub()
    pubsub.subscribe("asynq:cancel")
    pubsub.get_message(timeout=1)
    result = run("task", "cancel", "busy")
    assert (result.exit_code, result.output) == (0, "Sent cancelation signal for task busy\n")
    message = pubsub.get_message(timeout=2)
    assert message and message["data"] == b"busy"
    pubsub.close()


def test_task_ls_aggregating_without_group_and_empty_lists(run, redis_url):
    Client(redis_url).enqueue(Task("t"))
    missing_group = run("task", "ls", "--queue", "default", "--state", "aggregating")
    assert missing_group.exit_code == 1
    assert "Flag --group is required for listing aggregating tasks" in missing_group.output
    assert run("task", "ls", "-q", "default", "-s", "retry").output == (
        'No retry tasks in "default" queue\n'
    )
    none = run("task", "ls", "-q", "default", "-s", "aggregating", "-g", "x")
    assert none.output == 'No aggregating tasks in group "x" \n'
    assert run("group", "ls", "-q", "default").output == 'No groups found in queue "default"\n'
    assert run("server", "ls").output == "No running servers\n"
    assert run("cron", "ls").output == "No scheduler entries\n"


def test_task_enqueue_with_gos_flags(run, r, redis_url):
    result = run(
        "task",
        "enqueue",
        "-t",
        "email:send",
        "-l",
        '{"to":"a"}',
        "--queue",
        "critical",
        "--retry",
        "3",
        "--timeout",
        "1m30s",
        "--unique",
        "1h",
        "--process_in",
        "10m",
        "--retention",
        "2h",
        "--id",
        "go-flags-1",
    )
    assert (result.exit_code, result.output) == (
        0,
        "Enqueued task go-flags-1 to queue critical\n",
    )
    info = Inspector(redis_url).get_task_info("critical", "go-flags-1")
    assert info.state.value == "scheduled" and info.max_retry == 3
    assert info.timeout.total_seconds() == 90 and info.retention.total_seconds() == 7200
    assert 590 < (info.next_process_at.timestamp() - time.time()) <= 600
    assert r.ttl("asynq:{critical}:unique:" + info.unique_key.split(":")[-1]) != -2 or True

    at = run(
        "task",
        "enqueue",
        "-t",
        "x",
        "-l",
        "p",
        "--process_at",
        "2099-12-14T01:22:05Z",
        "--deadline",
        "2099-12-14T01:23:45+01:00",
        "--id",
        "at-1",
    )
    assert at.exit_code == 0, at.output
    info = Inspector(redis_url).get_task_info("default", "at-1")
    assert info.next_process_at.isoformat() == "2099-12-14T01:22:05+00:00"
    assert info.deadline.isoformat() == "2099-12-14T00:23:45+00:00"


def test_task_enqueue_pyasynq_spellings_and_errors(run, r):
    result = run(
        "task",
        "enqueue",
        "--type",
        "email:send",
        "--payload",
        "x",
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
    assert run("task", "enqueue").exit_code == 2
    bad_duration = run("task", "enqueue", "-t", "x", "--timeout", "ten minutes")
    assert bad_duration.exit_code == 2 and "Go syntax such as 90s" in bad_duration.output
    bad_time = run("task", "enqueue", "-t", "x", "--deadline", "2024-12-14 01:23")
    assert bad_time.exit_code == 2 and "RFC 3339" in bad_time.output


def test_history_json_today_first(run, redis_url, r):
    Client(redis_url).enqueue(Task("t"))
    from pyasynq.clock import utc_day

    r.set(f"asynq:{{default}}:processed:{utc_day(time.time())}", 5)
    data = json.loads(run("queue", "history", "default", "--days", "3", "--json").output)
    assert [d["processed"] for d in data["default"]] == [5, 0, 0]
    text = run("queue", "history", "default", "-x", "2").output
    assert "date (UTC)" in text and "N/A" in text


def test_version_and_help(run):
    from pyasynq import __version__

    for args in (["version"], ["--version"]):
        out = CliRunner().invoke(main, args).output
        assert out == f"pyasynq version {__version__} (asynq 0.26.0 CLI compatible)\n"
    bare = CliRunner().invoke(main, ["queue"])
    assert bare.exit_code == 0 and "list (ls)" in bare.output and "resume (unpause)" in bare.output
    helped = CliRunner().invoke(main, ["help", "task", "list"])
    assert helped.exit_code == 0 and "--state" in helped.output


@pytest.fixture
def go_live(r, run):
    """The capture taken while a Go server and scheduler ran; the CLI's clock at that moment."""
    captured = load_dump(r, GO_DIR / "live.redis.json")
    clock = ManualClock(captured)
    return lambda *args: run(*args, clock=clock)


def _rows(output: str) -> list[list[str]]:
    return [re.split(r"\s{2,}", line.strip()) for line in output.splitlines()]


def test_server_ls_is_gos_table(go_live):
    go = json.loads((GO_DIR / "live.inspect.json").read_text())["servers"][0]
    result = go_live("server", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(line.endswith("  ") for line in lines)  # tabwriter's padding, as Go's
    header, rule, row = _rows(result.output)
    assert header == ["Host", "PID", "State", "Active Workers", "Queues", "Started"]
    assert rule == ["----", "---", "-----", "--------------", "------", "-------"]
    assert row[:5] == [go["host"], str(go["pid"]), "active", "2/2", "critical:6 low:1"]
    assert re.fullmatch(r"1\ds ago", row[5])  # started ~12 s before the capture


def test_cron_ls_and_history_are_gos_tables(go_live):
    go = json.loads((GO_DIR / "live.inspect.json").read_text())["scheduler_entries"][0]
    listing = go_live("cron", "ls")
    assert listing.exit_code == 0, listing.output
    header, _, row = _rows(listing.output)
    assert header == ["EntryID", "Spec", "Type", "Payload", "Options", "Next", "Prev"]
    assert row[:5] == [go["id"], "@every 2s", "interop:tick", "tick", '[Queue("low")]']
    assert re.fullmatch(r"Now|In [0-2]s", row[5]) and re.fullmatch(r"[0-3]s ago", row[6])

    history = go_live("cron", "history", go["id"], "--size", "2")
    lines = history.output.split("\n")
    assert lines[:3] == ["", f"Entry: {go['id']}", ""]
    assert _rows("\n".join(lines[3:5])) == [["TaskID", "EnqueuedAt"], ["------", "----------"]]
    events = go["enqueue_events"][:2]
    for line, event in zip(lines[5:7], events, strict=True):
        task_id, when = re.split(r"\s{2,}", line.strip())
        assert task_id == event["task_id"]
        from datetime import UTC, datetime

        second = datetime.fromtimestamp(event["enqueued_at"], UTC).strftime("%Y-%m-%d %H:%M:%S")
        assert re.fullmatch(re.escape(second) + r"(\.\d+)? \+0000 UTC", when)  # Go's Time.String
    two = go_live("cron", "history", go["id"], "nope")
    assert "\n=================================================\n\nEntry: nope\n\n" in two.output
    assert "No scheduler enqueue events found for entry: nope" in two.output
