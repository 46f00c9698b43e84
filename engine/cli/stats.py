"""``pyasynq stats``: task counts by state and by queue, today's figures and Redis info."""

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

STATES = ("active", "pending", "aggregating", "scheduled", "retry", "archived", "completed")


@click.command("stats")
@redis_option
@json_option
@guarded
def command(redis_url: str, as_json: bool) -> None:
    """Show task counts by state and by queue, today's processed/failed, and Redis info."""
    insp = inspector(redis_url)
    infos = insp.get_queue_infos(insp.queues(), skip_missing=True)  # one round trip for all
    totals = {s: sum(getattr(i, s) for i in infos) for s in STATES}
    processed = sum(i.processed for i in infos)
    failed = sum(i.failed for i in infos)
    redis_info = insp.redis_info()
    if as_json:
        print_json(
            {
                "states": totals,
                "queues": {i.queue: {"size": i.size, "paused": i.paused} for i in infos},
                "processed": processed,
                "failed": failed,
                "redis": {
                    k: redis_info.get(k)
                    for k in (
                        "redis_version",
                        "uptime_in_days",
                        "connected_clients",
                        "used_memory_human",
                        "used_memory_peak_human",
                    )
                },
            }
        )
        return
    click.echo("Task Count by State")
    print_table(STATES, [[totals[s] for s in STATES]])
    click.echo()
    click.echo("Task Count by Queue")
    print_table(
        [f"{i.queue} (paused)" if i.paused else i.queue for i in infos], [[i.size for i in infos]]
    )
    click.echo()
    click.echo("Daily Stats (today, UTC)")
    print_table(
        ["processed", "failed", "error rate"], [[processed, failed, error_rate(processed, failed)]]
    )
    click.echo()
    click.echo("Redis Info")
    print_table(
        ["version", "uptime", "connections", "memory usage", "peak memory usage"],
        [
            [
                redis_info.get("redis_version", ""),
                f"{redis_info.get('uptime_in_days', '0')} days",
                redis_info.get("connected_clients", ""),
                redis_info.get("used_memory_human", ""),
                redis_info.get("used_memory_peak_human", ""),
            ]
        ],
    )
