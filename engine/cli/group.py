"""``pyasynq group ls``."""

from __future__ import annotations

import click

from pyasynq.cli._common import (
    guarded,
    inspector,
    json_option,
    print_json,
    print_table,
    redis_option,
)


@click.group("group")
def command() -> None:
    """Inspect aggregation groups."""


@command.command("ls")
@click.option("--queue", "-q", required=True, help="Queue name.")
@click.option("--sizes", is_flag=True, help="Show each group's size.")
@redis_option
@json_option
@guarded
def ls(queue: str, sizes: bool, redis_url: str, as_json: bool) -> None:
    """List the groups that have aggregating tasks in a queue."""
    groups = inspector(redis_url).groups(queue)
    if as_json:
        print_json(groups)
    elif sizes:
        print_table(["Group", "Size"], [[g.group, g.size] for g in groups])
    else:
        for g in groups:
            click.echo(g.group)
