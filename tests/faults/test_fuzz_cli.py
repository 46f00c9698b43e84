"""Property-based bad input over the CLI: every command answers with a message, never a traceback.

Commands that serve forever (worker, console, exporter, scheduler, demo, dash) and those that
wait as long as they are told (task wait, workflow reconcile: their bad input is tested in their
own modules) are left out; every other command and subcommand gets generated options and
arguments.
"""

from __future__ import annotations

import os

import click
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyasynq import Client, Task
from pyasynq.cli import main

FULL = os.environ.get("PYASYNQ_FAULTS", "").lower() == "full"
EXAMPLES = 300 if FULL else 60
LONG_RUNNING = {"worker", "console", "exporter", "scheduler", "demo", "dash"}
# commands that wait by design for as long as they are told (a task's end, a reconcile loop)
WAITING = {("task", "wait"), ("workflow", "reconcile")}
tried = {"n": 0}


def leaf_commands() -> list[tuple[list[str], click.Command]]:
    found = []
    for name, cmd in main.commands.items():
        if name in LONG_RUNNING:
            continue
        if isinstance(cmd, click.Group):
            found += [
                ([name, sub], c) for sub, c in cmd.commands.items() if (name, sub) not in WAITING
            ]
        else:
            found.append(([name], cmd))
    return found


text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
values = st.one_of(
    text,
    st.sampled_from(
        [
            "",
            "-1",
            "0",
            "1",
            "99999999999999999999",
            "default",
            "q1",
            "t1",
            "pending",
            "archived",
            "aggregating",
            "{x}",
            "a,b",
            "=",
            "1e9",
            "null",
            "--",
            "-",
        ]
    ),
)


# Where Redis is: a generated --db, --uri or --cluster would send a command (a delete, say) to
# a Redis this test did not start (Go's default address, 127.0.0.1:6379), and --tls to the
# test's plain Redis costs a handshake timeout per example. The command options are fuzzed
# with REDIS_URL; the connection flags that keep to the test's Redis have a test of their own.
CONNECTION = {"redis_url", "config", "uri", "cluster", "cluster_addrs", "tls"}
CONNECTION_FUZZED = {"db", "password", "username", "tls_server", "insecure"}


@st.composite
def command_line(draw, fuzzed=frozenset()):
    """(the command's path, generated options and values)."""
    path, cmd = draw(st.sampled_from(leaf_commands()))
    opts = [
        o
        for p in cmd.params
        if isinstance(p, click.Option) and p.name not in CONNECTION
        if p.name not in CONNECTION_FUZZED or p.name in fuzzed
        for o in p.opts
    ]
    rest: list[str] = []
    for _ in range(draw(st.integers(0, 5))):
        if opts and draw(st.booleans()):
            rest.append(draw(st.sampled_from(opts)))
        rest.append(draw(values))
    return list(path), rest


def answers_with_a_message(args: list[str], env: dict[str, str] | None = None) -> None:
    result = CliRunner().invoke(main, args, env=env, input="pw\npw\n")
    tried["n"] += 1
    assert "Traceback" not in result.output, (args, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        args,
        repr(result.exception),
    )


def test_cli_seed(redis_url):
    client = Client(redis_url)
    client.enqueue(Task("t", b"{}"), queue="q1", task_id="t1", retention=60)
    client.close()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(line=command_line())
def test_cli_never_crashes(redis_server, line):
    answers_with_a_message(line[0] + line[1], env={"REDIS_URL": redis_server.url})


@settings(max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=list(HealthCheck))
@given(line=command_line(fuzzed=frozenset(CONNECTION_FUZZED)))
def test_cli_connection_flags_never_crash(redis_server, line):
    """Go's connection flags with bad values, always on the test's own Redis: ``--uri`` comes
    right after the command, before anything generated (a generated ``--`` cannot hide it)."""
    path, rest = line
    answers_with_a_message([*path, "--uri", f"127.0.0.1:{redis_server.port}", *rest])


def test_report_inputs(report):
    report(
        scenario="bad input: CLI arguments (hypothesis)",
        tasks=0,
        kills=0,
        outages=0,
        inputs=tried["n"],
        lost=0,
        run_twice=0,
    )
