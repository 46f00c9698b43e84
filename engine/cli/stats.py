"""``pyasynq stats``: tasks by state and by queue, today's figures and Redis, as Go prints them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from pyasynq.cli._common import cli_now, guarded, inspector
from pyasynq.cli._connection import connection_options
from pyasynq.cli._gofmt import error_rate, heading, print_go_table, tabwriter
from pyasynq.states import STATES

if TYPE_CHECKING:
    from pyasynq.info import QueueInfo


def go_json_time(value: datetime | None) -> str:
    """Go's ``time.Time`` JSON (RFC 3339 with as many fraction digits as needed)."""
    if value is None:
        return "0001-01-01T00:00:00Z"
    t = value.astimezone(UTC)
    frac = f".{t.microsecond:06d}".rstrip("0") if t.microsecond else ""
    return t.strftime("%Y-%m-%dT%H:%M:%S") + frac + "Z"


def _queue_json(i: QueueInfo) -> dict[str, Any]:
    """Go's ``rdb.Stats`` (no JSON tags: Go's field names; latency in nanoseconds)."""
    return {
        "Queue": i.queue,
        "MemoryUsage": i.memory_usage,
        "Paused": i.paused,
        "Size": i.size,
        "Groups": i.groups,
        "Pending": i.pending,
        "Active": i.active,
        "Scheduled": i.scheduled,
        "Retry": i.retry,
        "Archived": i.archived,
        "Completed": i.completed,
        "Aggregating": i.aggregating,
        "Processed": i.processed,
        "Failed": i.failed,
        "ProcessedTotal": i.processed_total,
        "FailedTotal": i.failed_total,
        "Latency": int(i.latency.total_seconds() * 1e9),
        "Timestamp": go_json_time(i.timestamp),
    }


@click.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Output stats in JSON format.")
@connection_options
@guarded
def command(redis_url: str, as_json: bool) -> None:
    """View current state: tasks by state and by queue, today's figures and Redis info."""
    from pyasynq.broker.connection import parse_url

    insp = inspector(redis_url)
    infos = insp.get_queue_infos(insp.queues(), skip_missing=True)  # one round trip for all
    totals = {s: sum(getattr(i, s) for i in infos) for s in STATES}
    processed = sum(i.processed for i in infos)
    failed = sum(i.failed for i in infos)
    # a queue that could not be read has no timestamp: take a readable one's, else the clock
    now = next((i.timestamp for i in reversed(infos) if i.timestamp), None) or cli_now()
    cluster = parse_url(redis_url).scheme == "redis-cluster"
    redis_info = insp.redis_cluster_info() if cluster else insp.redis_info()
    if as_json:
        aggregate = {**totals, "processed": processed, "failed": failed}
        aggregate["timestamp"] = go_json_time(now)
        click.echo(
            json.dumps(
                {
                    "aggregate": aggregate,
                    "queues": [_queue_json(i) for i in infos] or None,
                    "redis": redis_info,
                },
                separators=(",", ":"),
                ensure_ascii=False,
            )
        )
        return
    heading("Task Count by State")
    width = max(9, *(len(str(totals[s])) for s in STATES))
    for line in tabwriter([STATES, ["-" * width] * len(STATES), [totals[s] for s in STATES]]):
        click.echo(line)
    click.echo()
    heading("Task Count by Queue")
    titles = [f"{i.queue} (paused)" if i.paused else i.queue for i in infos]
    rule = "-" * max((len(t) for t in titles), default=0)
    for line in tabwriter([titles, [rule] * len(titles), [i.size for i in infos]]) or ["", "", ""]:
        click.echo(line)
    click.echo()
    heading(f"Daily Stats {now.strftime('%Y-%m-%d')} UTC")
    print_go_table(
        ["processed", "failed", "error rate"], [[processed, failed, error_rate(processed, failed)]]
    )
    click.echo()
    if cluster:
        heading("Redis Cluster Info")
        print_go_table(
            ["State", "Known Nodes", "Cluster Size"],
            [
                [
                    redis_info.get("cluster_state", "").upper(),
                    redis_info.get("cluster_known_nodes", ""),
                    redis_info.get("cluster_size", ""),
                ]
            ],
        )
    else:
        heading("Redis Info")
        print_go_table(
            ["version", "uptime", "connections", "memory usage", "peak memory usage"],
            [
                [
                    redis_info.get("redis_version", ""),
                    f"{redis_info.get('uptime_in_days', '')} days",
                    redis_info.get("connected_clients", ""),
                    f"{redis_info.get('used_memory_human', '')}B",
                    f"{redis_info.get('used_memory_peak_human', '')}B",
                ]
            ],
        )
    click.echo()
