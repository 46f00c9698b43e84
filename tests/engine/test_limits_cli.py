"""``pyasynq limit ls|set|rm``: output, JSON, exit codes and errors without tracebacks."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pyasynq import Limit, Limits
from pyasynq.cli import main


@pytest.fixture
def run(redis_url):
    runner = CliRunner()
    return lambda *args: runner.invoke(main, [*args, "--redis-url", redis_url])


def test_set_list_and_remove(run, redis_url):
    out = run("limit", "set", "api", "--rate", "50/s", "--queue", "default")
    assert out.exit_code == 0 and "50 per 1s" in out.output
    out = run("limit", "set", "cust", "--concurrency", "2", "--key", "json:customer.id")
    assert out.exit_code == 0
    assert Limits(redis_url).get("cust") == Limit("cust", "concurrency", 2, key="json:customer.id")
    out = run("limit", "ls")
    assert out.exit_code == 0
    lines = out.output.splitlines()
    assert lines[0].split()[:3] == ["Name", "Kind", "Limit"]
    assert lines[2].startswith("api ") and lines[3].startswith("cust ")
    data = json.loads(run("limit", "ls", "--json").output)
    assert [d["limit"]["name"] for d in data] == ["api", "cust"] and data[0]["running"] == 0
    assert run("limit", "rm", "api").exit_code == 0
    out = run("limit", "rm", "api")
    assert out.exit_code == 1 and "no limit named 'api'" in out.output


@pytest.mark.parametrize(
    "args",
    [
        ("limit", "set", "x"),  # neither kind
        ("limit", "set", "x", "--rate", "5/s", "--concurrency", "2"),
    ],
)
def test_usage_errors(run, args):
    out = run(*args)
    assert out.exit_code == 2 and "exactly one of" in out.output


@pytest.mark.parametrize(
    "args",
    [
        ("limit", "set", "bad name", "--rate", "5/s"),
        ("limit", "set", "x", "--rate", "five/s"),
        ("limit", "set", "x", "--rate", "5/fortnight"),
        ("limit", "set", "x", "--concurrency", "0"),
        ("limit", "set", "x", "--concurrency", "1", "--key", "cookie:a"),
    ],
)
def test_bad_definitions_are_refused_clearly(run, args):
    out = run(*args)
    assert out.exit_code == 1 and out.output.startswith("error: ") and "Traceback" not in out.output
