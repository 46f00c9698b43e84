"""``pyasynq cron ls|history``."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from pyasynq.cli._common import (
    go_time,
    guarded,
    inspector,
    json_option,
    payload_text,
    print_json,
    print_table,
    redis_option,
    relative,
)


@click.group("cron")
def command() -> None:
    """Inspect periodic (scheduler) entries."""


@command.command("ls")
@redis_option
@json_option
@guarded
def ls(redis_url: str, as_json: bool) -> None:
    """List entries registered by live schedulers."""
    entries = inspector(redis_url).scheduler_entries()
    if as_json:
        print_json(entries)
        return
    now = datetime.now(UTC)
    print_table(
        ["EntryID", "Spec", "Type", "Payload", "Options", "Next", "Prev"],
        [
            [
                e.id,
                e.spec,
                e.task_type,
                payload_text(e.task_payload),
                ", ".join(e.options),
                relative(e.next_enqueue_at, now),
                go_time(e.prev_enqueue_at) or "N/A",
            ]
            for e in sorted(entries, key=lambda e: (e.next_enqueue_at or now, e.id))
        ],
    )


@command.command("history")
@click.argument("entry_ids", nargs=-1, required=True)
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option("--size", type=click.IntRange(1, 1000), default=30, show_default=True)
@redis_option
@json_option
@guarded
def history(
    entry_ids: tuple[str, ...], page: int, size: int, redis_url: str, as_json: bool
) -> None:
    """Show the enqueue events of entries, newest first."""
    insp = inspector(redis_url)
    result = {
        e: insp.list_scheduler_enqueue_events(e, page_size=size, page=page) for e in entry_ids
    }
    if as_json:
        print_json(result)
        return
    for n, (entry, events) in enumerate(result.items()):
        if n:
            click.echo()
        click.echo(f"Entry: {entry}")
        click.echo()
        print_table(
            ["Enqueued At", "TaskID"], [[go_time(ev.enqueued_at), ev.task_id] for ev in events]
        )
