"""``pyasynq group list`` (Go's ``asynq group ls``)."""

from __future__ import annotations

import click

from pyasynq.cli._common import guarded, inspector, json_option, print_json
from pyasynq.cli._connection import connection_options
from pyasynq.cli._gofmt import go_quote, print_go_table
from pyasynq.cli._group import GoGroup, aliased


@click.group("group", cls=GoGroup)
def command() -> None:
    """Manage groups."""


@command.command("list")
@aliased("ls")
@click.option("--queue", "-q", required=True, help="Queue to inspect.")
@click.option("--sizes", is_flag=True, help="Show each group's size (pyasynq).")
@connection_options
@json_option
@guarded
def list_groups(queue: str, sizes: bool, redis_url: str, as_json: bool) -> None:
    """List the groups that have aggregating tasks in a queue."""
    groups = inspector(redis_url).groups(queue)
    if as_json:
        print_json(groups)
    elif not groups:
        click.echo(f"No groups found in queue {go_quote(queue)}")
    elif sizes:
        print_go_table(["Group", "Size"], [[g.group, g.size] for g in groups])
    else:
        for g in groups:
            click.echo(g.group)
