"""``pyasynq task ls|inspect|cancel|delete|archive|run|deleteall|archiveall|runall|enqueue``."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from pyasynq.cli._common import (
    fail,
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

STATES = ("active", "pending", "aggregating", "scheduled", "retry", "archived", "completed")

# which bulk actions each state allows (Asynq's rules)
BULK = {
    "run": ("scheduled", "retry", "archived", "aggregating"),
    "archive": ("pending", "scheduled", "retry", "aggregating"),
    "delete": ("pending", "scheduled", "retry", "archived", "completed", "aggregating"),
}


@click.group("task")
def command() -> None:
    """Inspect and act on tasks."""


def _columns(state: str, tasks: list, now: datetime) -> tuple[list[str], list[list]]:
    base = lambda t: [t.id, t.type, payload_text(t.payload)]  # noqa: E731
    if state == "pending" or state == "active":
        return ["ID", "Type", "Payload"], [base(t) for t in tasks]
    if state == "aggregating":
        return ["ID", "Type", "Payload", "Group"], [base(t) + [t.group] for t in tasks]
    if state == "scheduled":
        return (
            ["ID", "Type", "Payload", "Process In"],
            [base(t) + [relative(t.next_process_at, now)] for t in tasks],
        )
    if state == "retry":
        return (
            [
                "ID",
                "Type",
                "Payload",
                "Next Retry",
                "Last Error",
                "Last Failed",
                "Retried",
                "Max Retry",
            ],
            [
                base(t)
                + [
                    relative(t.next_process_at, now),
                    t.last_err,
                    go_time(t.last_failed_at),
                    t.retried,
                    t.max_retry,
                ]
                for t in tasks
            ],
        )
    if state == "archived":
        return (
            ["ID", "Type", "Payload", "Last Failed", "Last Error"],
            [base(t) + [go_time(t.last_failed_at), t.last_err] for t in tasks],
        )
    return (
        ["ID", "Type", "Payload", "CompletedAt", "Result"],
        [base(t) + [go_time(t.completed_at), payload_text(t.result)] for t in tasks],
    )


@command.command("ls")
@click.option("--queue", "-q", required=True)
@click.option("--state", "-s", type=click.Choice(STATES), required=True)
@click.option("--group", "-g", default=None, help="Group name (aggregating state).")
@click.option("--page", "-p", type=click.IntRange(1), default=1, show_default=True)
@click.option("--size", "-n", type=click.IntRange(1, 1000), default=30, show_default=True)
@redis_option
@json_option
@guarded
def ls(
    queue: str, state: str, group: str | None, page: int, size: int, redis_url: str, as_json: bool
) -> None:
    """List one page of a queue's tasks in a state."""
    insp = inspector(redis_url)
    if state == "aggregating":
        if not group:
            fail("--group is required with --state aggregating")
        tasks = insp.list_aggregating_tasks(queue, group, page_size=size, page=page)
    else:
        tasks = getattr(insp, f"list_{state}_tasks")(queue, page_size=size, page=page)
    undecodable = list(getattr(tasks, "undecodable", ()))
    if undecodable:  # say which tasks were skipped, never hide them silently
        click.echo(
            f"{len(undecodable)} task(s) could not be decoded: {', '.join(undecodable)}", err=True
        )
    if as_json:
        print_json(tasks)
        return
    if not tasks:
        click.echo(f"No {state} tasks in {queue!r}")
        return
    headers, rows = _columns(state, tasks, datetime.now(UTC))
    print_table(headers, rows)


@command.command("inspect")
@click.option("--queue", "-q", required=True)
@click.option("--id", "task_id", "-i", required=True)
@redis_option
@json_option
@guarded
def inspect(queue: str, task_id: str, redis_url: str, as_json: bool) -> None:
    """Show every field of one task."""
    info = inspector(redis_url).get_task_info(queue, task_id)
    if as_json:
        print_json(info)
        return
    click.echo("Task Info")
    click.echo(f"Queue:   {info.queue}")
    click.echo(f"ID:      {info.id}")
    click.echo(f"Type:    {info.type}")
    click.echo(f"State:   {info.state.value}")
    click.echo(f"Retried: {info.retried}/{info.max_retry}")
    if info.group:
        click.echo(f"Group:   {info.group}")
    if info.headers:
        click.echo("Headers: " + ", ".join(f"{k}={v}" for k, v in sorted(info.headers.items())))
    click.echo()
    if info.next_process_at:
        when = relative(info.next_process_at, datetime.now(UTC))
        click.echo(f"Next process time: {'now' if when == 'right now' else when}")
    if info.last_err:
        click.echo(f"Last error: {info.last_err} at {go_time(info.last_failed_at)}")
    if info.completed_at:
        click.echo(f"Completed at: {go_time(info.completed_at)}")
    click.echo(f"Payload: {payload_text(info.payload, 1000)}")
    if info.result:
        click.echo(f"Result:  {payload_text(info.result, 1000)}")


@command.command("cancel")
@click.argument("task_ids", nargs=-1, required=True)
@redis_option
@guarded
def cancel(task_ids: tuple[str, ...], redis_url: str) -> None:
    """Ask the worker running these tasks to cancel them."""
    insp = inspector(redis_url)
    for tid in task_ids:
        insp.cancel_processing(tid)
        click.echo(f"Sent cancelation signal for task {tid}")


def _single(action: str):
    @command.command(action, help=f"{action.capitalize()} one task.")
    @click.option("--queue", "-q", required=True)
    @click.option("--id", "task_id", "-i", required=True)
    @redis_option
    @guarded
    def run_action(queue: str, task_id: str, redis_url: str) -> None:
        getattr(inspector(redis_url), f"{action}_task")(queue, task_id)
        past = {"run": "ran", "archive": "archived", "delete": "deleted"}[action]
        click.echo(f"Task {past}: {task_id}")

    return run_action


def _bulk(action: str):
    @command.command(f"{action}all", help=f"{action.capitalize()} every task of a state.")
    @click.option("--queue", "-q", required=True)
    @click.option("--state", "-s", type=click.Choice(BULK[action]), required=True)
    @click.option("--group", "-g", default=None, help="Group name (aggregating state).")
    @redis_option
    @guarded
    def bulk_action(queue: str, state: str, group: str | None, redis_url: str) -> None:
        insp = inspector(redis_url)
        if state == "aggregating":
            if not group:
                fail("--group is required with --state aggregating")
            n = getattr(insp, f"{action}_all_aggregating_tasks")(queue, group)
        else:
            n = getattr(insp, f"{action}_all_{state}_tasks")(queue)
        past = {"run": "ran", "archive": "archived", "delete": "deleted"}[action]
        click.echo(f"{n} tasks {past}")

    return bulk_action


for _action in ("run", "archive", "delete"):
    _single(_action)
    _bulk(_action)


@command.command("enqueue")
@click.option("--type", "task_type", "-t", required=True, help="Task type name.")
@click.option("--payload", "-p", default="", help="Payload text (use --payload-file for bytes).")
@click.option("--payload-file", type=click.File("rb"), default=None)
@click.option("--queue", "-q", default="default", show_default=True)
@click.option("--max-retry", type=click.IntRange(0), default=None)
@click.option("--timeout", type=click.FloatRange(0), default=None, help="Seconds.")
@click.option("--process-in", type=click.FloatRange(0), default=None, help="Seconds from now.")
@click.option("--unique", type=click.FloatRange(1), default=None, help="Unique TTL, seconds.")
@click.option("--retention", type=click.FloatRange(0), default=None, help="Seconds.")
@click.option("--group", default=None)
@click.option("--id", "task_id", default=None)
@click.option("--header", multiple=True, help="key=value; repeatable.")
@redis_option
@json_option
@guarded
def enqueue(
    task_type: str,
    payload: str,
    payload_file,
    queue: str,
    max_retry,
    timeout,
    process_in,
    unique,
    retention,
    group,
    task_id,
    header,
    redis_url: str,
    as_json: bool,
) -> None:
    """Enqueue one task."""
    from pyasynq import Client, Task

    headers = {}
    for item in header:
        key, sep, value = item.partition("=")
        if not sep or not key:
            fail(f"--header needs key=value, got {item!r}")
        headers[key] = value
    data = payload_file.read() if payload_file else payload.encode()
    client = Client(redis_url)
    info = client.enqueue(
        Task(task_type, data, headers=headers),
        queue=queue,
        max_retry=max_retry,
        timeout=timeout,
        process_in=process_in,
        unique=unique,
        retention=retention,
        group=group,
        task_id=task_id,
    )
    if as_json:
        print_json(info)
    else:
        click.echo(f"Enqueued task {info.id} in queue {info.queue!r} ({info.state.value})")
