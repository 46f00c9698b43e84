"""``pyasynq workflow ls|inspect|cancel``: workflows (chains, groups, chords) and their members."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from pyasynq.cli._common import (
    guarded,
    inspector,
    json_option,
    payload_text,
    print_json,
    print_table,
    redis_option,
)


@click.group("workflow")
def command() -> None:
    """Inspect and cancel workflows."""


def _age(when: datetime | None) -> str:
    if when is None:
        return ""
    return f"{int((datetime.now(UTC) - when).total_seconds())}s ago"


@command.command("ls")
@click.option("--page", type=click.IntRange(min=1), default=1)
@click.option("--size", type=click.IntRange(min=1, max=500), default=30)
@redis_option
@json_option
@guarded
def ls(page: int, size: int, redis_url: str, as_json: bool) -> None:
    """List workflows, newest first."""
    found, total = inspector(redis_url).list_workflows(page, size)
    if as_json:
        print_json({"total": total, "workflows": found})
        return
    rows = [
        [w.id, w.name, w.state, f"{w.stage + 1}/{len(w.stages)}", len(w.members), _age(w.created)]
        for w in found
    ]
    print_table(["ID", "Name", "State", "Stage", "Tasks", "Created"], rows)


@command.command("inspect")
@click.argument("workflow_id")
@redis_option
@json_option
@guarded
def inspect(workflow_id: str, redis_url: str, as_json: bool) -> None:
    """Show one workflow: every member's state, queue, duration, result or error."""
    info = inspector(redis_url).get_workflow(workflow_id)
    if as_json:
        print_json(info)
        return
    click.echo(f"Workflow {info.id} ({info.name}): {info.state}")
    rows = []
    for m in info.members:
        step = f"{m.stage + 1}" if m.stage >= 0 else m.role
        took = f"{m.duration.total_seconds():.3f}s" if m.duration else ""
        outcome = m.error or payload_text(m.result)
        rows.append([step, m.id, m.queue, m.type, m.state, took, outcome])
    print_table(["Step", "Task ID", "Queue", "Type", "State", "Took", "Result/Error"], rows)


@command.command("cancel")
@click.argument("workflow_id")
@redis_option
@guarded
def cancel(workflow_id: str, redis_url: str) -> None:
    """Stop a workflow: pending members deleted, running ones cancelled."""
    info = inspector(redis_url).cancel_workflow(workflow_id)
    click.echo(f"workflow {info.id}: {info.state}")


@command.command("reconcile")
@click.option(
    "--every",
    type=click.FloatRange(min=0.1),
    default=None,
    help="Repeat every N seconds until interrupted (default: once).",
)
@redis_option
@guarded
def reconcile(every: float | None, redis_url: str) -> None:
    """Fire continuations of members finished by Go workers (what pyasynq Servers' janitors
    do); for deployments whose workers are all Go."""
    import time

    from pyasynq.broker.broker import Broker
    from pyasynq.extras.workflows import reconcile as reconcile_once

    broker = Broker(redis_url)
    try:
        while True:
            settled = reconcile_once(broker)
            click.echo(f"settled {settled} member(s)")
            if every is None:
                return
            time.sleep(every)
    except KeyboardInterrupt:
        return
    finally:
        broker.close()
