"""Corrupt data and odd queue names: show what can be shown, mark the rest, never crash.

Redis is shared with other programs (and other versions of Asynq), so a task hash may hold a
``msg`` we cannot decode, miss fields, or name a state we do not know. The Inspector, the CLI
and the console must keep listing every *other* task and say which ones they could not read.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pyasynq import Client, Inspector, Task
from pyasynq.broker import keys
from pyasynq.cli import main as cli
from pyasynq.console import create_app
from pyasynq.console.config import ConsoleConfig
from tests.console.conftest import assert_no_traceback

ODD_QUEUES = ["ünïcødé-队列", "with space", "q" * 255, "<b>html</b>", "semi;colon", "a/b~c"]
RAW_QUEUES = ["{braces}", "a}b{", "\u202eevil"]
"""Names our Client refuses (braces break cluster hash tags) but another program may register."""
Q = "corrupt"


@pytest.fixture
def corrupt(redis_url, r):
    """Queue ``corrupt``: 3 good pending tasks and 4 broken ones of different kinds."""
    client = Client(redis_url)
    good = [client.enqueue(Task("good", b"{}"), queue=Q).id for _ in range(3)]
    for name in ODD_QUEUES:
        client.enqueue(Task("odd", b"x"), queue=name, task_id="t1")
    client.close()
    bad = {
        "bad-msg": {"msg": b"\xff\x00 not protobuf", "state": "pending"},
        "no-msg": {"state": "pending"},
        "odd-state": None,
        "no-hash": None,
    }
    r.hset(keys.task_key(Q, "bad-msg"), mapping=bad["bad-msg"])
    r.hset(keys.task_key(Q, "no-msg"), mapping=bad["no-msg"])
    # a valid message with a state nobody knows
    r.hset(
        keys.task_key(Q, "odd-state"),
        mapping={
            "msg": r.hget(keys.task_key(Q, good[0]), "msg").replace(
                good[0].encode(), b"odd-state" + b"x" * (len(good[0]) - 9)
            ),
            "state": "frobnicated",
        },
    )
    for tid in bad:
        r.lpush(keys.pending(Q), tid)
    r.sadd(keys.ALL_QUEUES, *RAW_QUEUES)
    return good, list(bad)


def test_inspector_lists_good_tasks_and_names_the_bad(redis_url, corrupt):
    good, bad = corrupt
    insp = Inspector(redis_url)
    try:
        page = insp.list_pending_tasks(Q, page_size=100)
        assert {t.id for t in page} >= set(good)
        assert {"bad-msg", "no-msg"} <= set(page.undecodable) | {t.id for t in page}
        info = insp.get_queue_info(Q)
        assert info.pending == 7
        for name in ODD_QUEUES:
            assert name in insp.queues()
            assert insp.get_task_info(name, "t1").queue == name
            assert [t.id for t in insp.list_pending_tasks(name)] == ["t1"]
        for name in RAW_QUEUES:
            assert name in insp.queues()
            try:
                assert insp.get_queue_info(name).size == 0
            except ValueError as exc:  # refusing a name we never write is fine; crashing is not
                assert "queue name" in str(exc)
    finally:
        insp.close()


def test_cli_shows_what_it_can(redis_url, corrupt):
    runner = CliRunner()
    good, bad = corrupt
    env = {"REDIS_URL": redis_url}
    for args in (
        ["task", "ls", "--queue", Q, "--state", "pending"],
        ["queue", "ls"],
        ["stats"],
        ["queue", "inspect", Q],
        ["task", "inspect", "--queue", Q, "--id", "bad-msg"],
        ["task", "inspect", "--queue", Q, "--id", "no-hash"],
    ):
        result = runner.invoke(cli, args, env=env)
        assert "Traceback" not in result.output, (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            args,
            result.exception,
        )
    listing = runner.invoke(cli, ["task", "ls", "--queue", Q, "--state", "pending"], env=env).output
    assert all(g in listing for g in good) and "bad-msg" in listing
    for name in ODD_QUEUES:
        out = runner.invoke(cli, ["task", "ls", "--queue", name, "--state", "pending"], env=env)
        assert out.exit_code == 0 and "t1" in out.output, (name, out.output)


@pytest.fixture
def console(redis_url):
    app = create_app(ConsoleConfig(redis_url=redis_url, secret_key="t", poll_interval=0))
    yield app.test_client()
    app.extensions["pyasynq"].close()


def test_console_marks_undecodable_tasks_and_lists_the_rest(console, corrupt):
    good, bad = corrupt
    resp = console.get(f"/monitoring/queues/{Q}?state=pending")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html[:500]
    assert_no_traceback(html)
    assert all(g in html for g in good)
    assert "could not be decoded" in html and "bad-msg" in html
    for tid in bad:
        page = console.get(f"/monitoring/queues/{Q}/tasks/{tid}")
        assert page.status_code < 500 and page.status_code in (200, 404, 422), (
            tid,
            page.status_code,
        )
        assert_no_traceback(page.get_data(as_text=True))
    for path in (
        "/monitoring/",
        "/monitoring/api/queues",
        f"/monitoring/api/queues/{Q}/tasks?state=pending",
    ):
        resp = console.get(path)
        assert resp.status_code < 500, (path, resp.status_code)


def test_console_handles_odd_queue_names(console, corrupt):
    dashboard = console.get("/monitoring/").get_data(as_text=True)
    assert "<b>html</b>" not in dashboard and "&lt;b&gt;html&lt;/b&gt;" in dashboard
    from urllib.parse import quote

    for name in ODD_QUEUES:
        seg = quote(name.replace("~", "~7E").replace("/", "~2F"), safe="")
        for state in ("pending", "active", "completed"):
            resp = console.get(f"/monitoring/queues/{seg}?state={state}")
            assert resp.status_code == 200, (name, state, resp.status_code)
            assert_no_traceback(resp.get_data(as_text=True))
        task = console.get(f"/monitoring/queues/{seg}/tasks/t1")
        assert task.status_code == 200, (name, task.status_code)
    for name in RAW_QUEUES:
        resp = console.get(f"/monitoring/queues/{quote(name, safe='')}")
        assert resp.status_code < 500, (name, resp.status_code)
        assert_no_traceback(resp.get_data(as_text=True))


def test_report_inputs(report):
    report(
        scenario="corrupt data and odd queue names (Inspector, CLI, console)",
        tasks=3,
        kills=0,
        outages=0,
        inputs=4 + len(ODD_QUEUES) + len(RAW_QUEUES),
        lost=0,
        run_twice=0,
    )
