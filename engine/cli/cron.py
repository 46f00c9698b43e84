"""``pyasynq cron list|history`` (Go's ``asynq cron``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from pyasynq.cli._common import cli_now, guarded, inspector, json_option, print_json
from pyasynq.cli._connection import connection_options
from pyasynq.cli._gofmt import go_duration, print_go_table, sprint_bytes, time_ago, time_string
from pyasynq.cli._group import GoGroup, aliased

if TYPE_CHECKING:
    from pyasynq.info import SchedulerEntry

SEPARATOR = "================================================="


@click.group("cron", cls=GoGroup)
def command() -> None:
    """Manage cron (periodic tasks of live schedulers)."""


@command.command("list")
@aliased("ls")
@connection_options
@json_option
@guarded
def list_entries(redis_url: str, as_json: bool) -> None:
    """List cron entries (sorted by spec, as Go's)."""
    entries = inspector(redis_url).scheduler_entries()
    if as_json:
        print_json(entries)
        return
    if not entries:
        click.echo("No scheduler entries")
        return
    now = cli_now()

    def next_run(e: SchedulerEntry) -> str:
        if e.next_enqueue_at is None:
            return "Now"
        delta = (e.next_enqueue_at - now).total_seconds()
        return "Now" if delta <= -0.5 else f"In {go_duration(delta)}"

    print_go_table(
        ["EntryID", "Spec", "Type", "Payload", "Options", "Next", "Prev"],
        [
            [
                e.id,
                e.spec,
                e.task_type,
                sprint_bytes(e.task_payload),
                f"[{' '.join(e.options)}]",
                next_run(e),
                time_ago(e.prev_enqueue_at, now),
            ]
            for e in sorted(entries, key=lambda e: e.spec)
        ],
    )


@command.command("history")
@click.argument("entry_ids", nargs=-1, required=True)
@click.option("--page", type=click.IntRange(1), default=1, show_default=True, help="Page number.")
@click.option("--size", type=click.IntRange(1, 1000), default=30, show_default=True,
              help="Page size.")  # fmt: skip
@connection_options
@json_option
@guarded
def history(
    entry_ids: tuple[str, ...], page: int, size: int, redis_url: str, as_json: bool
) -> None:
    """Show the history of each cron entry: the tasks it enqueued, newest first."""
    insp = inspector(redis_url)
    result = {
        e: insp.list_scheduler_enqueue_events(e, page_size=size, page=page) for e in entry_ids
    }
    if as_json:
        print_json(result)
        return
    for n, (entry, events) in enumerate(result.items()):
        if n:
            click.echo(f"\n{SEPARATOR}")
        click.echo()
        click.echo(f"Entry: {entry}\n")
        if not events:
            click.echo(f"No scheduler enqueue events found for entry: {entry}")
            continue
        print_go_table(
            ["TaskID", "EnqueuedAt"],
            [[ev.task_id, time_string(ev.enqueued_at) if ev.enqueued_at else ""] for ev in events],
        )
