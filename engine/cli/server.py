"""``pyasynq server list`` (Go's ``asynq server ls``)."""

from __future__ import annotations

import click

from pyasynq.cli._common import cli_now, guarded, inspector, json_option, print_json
from pyasynq.cli._connection import connection_options
from pyasynq.cli._gofmt import print_go_table, time_ago
from pyasynq.cli._group import GoGroup, aliased


@click.group("server", cls=GoGroup)
def command() -> None:
    """Manage servers."""


def format_queues(queues: dict[str, int]) -> str:
    """Go's ``formatQueues``: ``name:priority``, highest priority first, then by name."""
    ordered = sorted(queues.items(), key=lambda kv: (-kv[1], kv[0]))
    return " ".join(f"{q}:{p}" for q, p in ordered)


@command.command("list")
@aliased("ls")
@connection_options
@json_option
@guarded
def list_servers(redis_url: str, as_json: bool) -> None:
    """List the running worker servers (Go and Python alike).

    For each: host and PID, state ("active" pulls tasks, "stopped" no longer does), active
    workers out of the pool, queue priorities and when it started. --json adds the IDs."""
    servers = inspector(redis_url).servers()
    if as_json:
        print_json(servers)
        return
    if not servers:
        click.echo("No running servers")
        return
    now = cli_now()
    rows = [
        [
            s.host,
            s.pid,
            s.status,
            f"{len(s.active_workers)}/{s.concurrency}",
            format_queues(s.queues),
            time_ago(s.started, now),
        ]
        for s in sorted(servers, key=lambda s: (s.host, s.pid))
    ]
    print_go_table(["Host", "PID", "State", "Active Workers", "Queues", "Started"], rows)
