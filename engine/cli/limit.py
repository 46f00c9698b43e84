"""``pyasynq limit ls|set|rm``: the fleet's rate and concurrency limits (pyasynq only; Go's
workers ignore them, see docs/limits.md). Every pyasynq worker picks a change up within its
refresh interval (2 s by default)."""

from __future__ import annotations

import click

from pyasynq.cli._common import fail, guarded, json_option, print_json, print_table, redis_option
from pyasynq.extras.limits import Limit, Limits, parse_rate


@click.group("limit")
def command() -> None:
    """Fleet-wide rate and concurrency limits."""


@command.command("ls")
@redis_option
@json_option
@guarded
def ls(redis_url: str, as_json: bool) -> None:
    """List every limit with its use now."""
    usages = Limits(redis_url).usage()
    if as_json:
        print_json(usages)
        return
    rows = [
        [
            u.limit.name,
            u.limit.kind,
            u.limit.describe(),
            u.limit.scope(),
            u.running if u.limit.kind == "concurrency" else "",
            u.last_minute,
            u.waiting,
            u.held_total,
        ]
        for u in usages
    ]
    print_table(
        ["Name", "Kind", "Limit", "Applies to", "Running", "Last minute", "Waiting", "Held"], rows
    )


@command.command("set")
@click.argument("name")
@click.option("--rate", "rate", default=None, help="N/period, e.g. 50/s, 100/1m, 10/30s.")
@click.option("--concurrency", type=int, default=None, help="At most N running at once.")
@click.option("--queue", "-q", default="*", show_default=True, help="Queue name or glob.")
@click.option("--type", "task_type", default="*", show_default=True, help="Task type glob.")
@click.option(
    "--key", default="", help="One budget per value of header:<name> or json:<dotted.path>."
)
@redis_option
@json_option
@guarded
def set_limit(
    name: str,
    rate: str | None,
    concurrency: int | None,
    queue: str,
    task_type: str,
    key: str,
    redis_url: str,
    as_json: bool,
) -> None:
    """Create or replace limit NAME (give exactly one of --rate and --concurrency)."""
    if (rate is None) == (concurrency is None):
        raise click.UsageError("give exactly one of --rate N/period and --concurrency N")
    if rate is not None:
        n, period = parse_rate(rate)
        limit = Limit(name, "rate", n, period, queue, task_type, key)
    else:
        limit = Limit(name, "concurrency", int(concurrency or 0), 0.0, queue, task_type, key)
    Limits(redis_url).set(limit)
    if as_json:
        print_json(limit)
    else:
        click.echo(f"limit {name}: {limit.describe()} ({limit.scope()})")


@command.command("rm")
@click.argument("name")
@redis_option
@guarded
def rm(name: str, redis_url: str) -> None:
    """Delete limit NAME and its counters."""
    if not Limits(redis_url).remove(name):
        fail(f"no limit named {name!r}")
    click.echo(f"limit {name} removed")
