"""``pyasynq server ls``."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from pyasynq.cli._common import (
    guarded,
    inspector,
    json_option,
    print_json,
    print_table,
    redis_option,
)


@click.group("server")
def command() -> None:
    """Inspect worker servers."""


@command.command("ls")
@redis_option
@json_option
@guarded
def ls(redis_url: str, as_json: bool) -> None:
    """List live worker servers (Go and Python alike)."""
    servers = inspector(redis_url).servers()
    if as_json:
        print_json(servers)
        return
    now = datetime.now(UTC)
    rows = []
    for s in sorted(servers, key=lambda s: (s.host, s.pid)):
        queues = ", ".join(f"{q}:{p}" for q, p in sorted(s.queues.items()))
        uptime = str(now - s.started).split(".")[0] if s.started else ""
        rows.append(
            [
                s.host,
                s.pid,
                s.id,
                f"{len(s.active_workers)}/{s.concurrency}",
                queues,
                "strict" if s.strict_priority else "weighted",
                s.status,
                uptime,
            ]
        )
    print_table(["Host", "PID", "ID", "Active", "Queues", "Priority", "State", "Uptime"], rows)
