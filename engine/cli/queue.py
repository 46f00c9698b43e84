"""``pyasynq queue ls|inspect|history|pause|unpause|remove``."""

from __future__ import annotations

import click

from pyasynq.cli._common import (
    error_rate,
    guarded,
    inspector,
    json_option,
    print_json,
    print_table,
    redis_option,
)


@click.group("queue")
def command() -> None:
    """Inspect and manage queues."""


@command.command("ls")
@redis_option
@json_option
@guarded
def ls(redis_url: str, as_json: bool) -> None:
    """List queue names."""
    queues = inspector(redis_url).queues()
    if as_json:
        print_json(queues)
    else:
        for q in queues:
            click.echo(q)


@command.command("inspect")
@click.argument("queues", nargs=-1, required=True)
@redis_option
@json_option
@guarded
def inspect(queues: tuple[str, ...], redis_url: str, as_json: bool) -> None:
    """Show a queue's size, state counts and today's figures."""
    insp = inspector(redis_url)
    infos = insp.get_queue_infos(queues)
    if as_json:
        print_json(infos if len(infos) > 1 else infos[0])
        return
    for n, info in enumerate(infos):
        if n:
            click.echo()
        click.echo("Queue Info")
        click.echo(f"Name:   {info.queue}")
        click.echo(f"Size:   {info.size}")
        click.echo(f"Groups: {info.groups}")
        click.echo(f"Paused: {str(info.paused).lower()}")
        click.echo(f"Memory: {info.memory_usage} bytes")
        click.echo(f"Latency: {info.latency.total_seconds():.3f}s")
        click.echo()
        click.echo("Task Count by State")
        states = ("active", "pending", "aggregating", "scheduled", "retry", "archived", "completed")
        print_table(states, [[getattr(info, s) for s in states]])
        click.echo()
        day = info.timestamp.strftime("%Y-%m-%d") if info.timestamp else "today"
        click.echo(f"Daily Stats {day} UTC")
        print_table(
            ["processed", "failed", "error rate"],
            [[info.processed, info.failed, error_rate(info.processed, info.failed)]],
        )


@command.command("history")
@click.argument("queues", nargs=-1, required=True)
@click.option("--days", "-x", type=click.IntRange(1, 90), default=10, show_default=True)
@redis_option
@json_option
@guarded
def history(queues: tuple[str, ...], days: int, redis_url: str, as_json: bool) -> None:
    """Show processed and failed counts per day (today first)."""
    insp = inspector(redis_url)
    result = {q: insp.history(q, days) for q in queues}
    if as_json:
        print_json(result)
        return
    for n, (q, stats) in enumerate(result.items()):
        if n:
            click.echo()
        click.echo(f"Queue: {q}")
        click.echo()
        print_table(
            ["date (UTC)", "processed", "failed", "error rate"],
            [
                [
                    s.date.strftime("%Y-%m-%d"),
                    s.processed,
                    s.failed,
                    error_rate(s.processed, s.failed),
                ]
                for s in stats
            ],
        )


@command.command("pause")
@click.argument("queues", nargs=-1, required=True)
@redis_option
@guarded
def pause(queues: tuple[str, ...], redis_url: str) -> None:
    """Stop workers from taking tasks from these queues."""
    insp = inspector(redis_url)
    for q in queues:
        insp.pause_queue(q)
        click.echo(f"Successfully paused queue {q!r}")


@command.command("unpause")
@click.argument("queues", nargs=-1, required=True)
@redis_option
@guarded
def unpause(queues: tuple[str, ...], redis_url: str) -> None:
    """Let workers take tasks from these queues again."""
    insp = inspector(redis_url)
    for q in queues:
        insp.unpause_queue(q)
        click.echo(f"Successfully unpaused queue {q!r}")


@command.command("remove")
@click.argument("queues", nargs=-1, required=True)
@click.option("--force", "-f", is_flag=True, help="Remove even if the queue has tasks.")
@redis_option
@guarded
def remove(queues: tuple[str, ...], force: bool, redis_url: str) -> None:
    """Delete queues (refused for a non-empty queue unless --force)."""
    insp = inspector(redis_url)
    for q in queues:
        insp.delete_queue(q, force=force)
        click.echo(f"Successfully removed queue {q!r}")
