"""``pyasynq task list|inspect|cancel|archive|delete|run|archiveall|deleteall|runall|enqueue``,
Go's ``asynq task`` with its aliases (``ls``, ``rm``/``remove``) and flags."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, BinaryIO

import click

from pyasynq.cli._common import (
    EXIT_REFUSED,
    cli_clock,
    cli_now,
    fail,
    guarded,
    inspector,
    json_option,
    print_json,
)
from pyasynq.cli._connection import connection_options
from pyasynq.cli._gofmt import (
    RFC3339,
    GoDuration,
    go_quote,
    heading,
    next_process_time,
    print_go_table,
    process_in,
    sprint_bytes,
    unix_date,
)
from pyasynq.cli._group import GoGroup, aliased
from pyasynq.errors import AsynqError, BrokerError
from pyasynq.states import STATES, allowed, model

if TYPE_CHECKING:
    from pyasynq.inspector import Inspector
    from pyasynq.task import TaskInfo

# which bulk actions each state allows (the state model: Asynq's rules)
BULK = {
    action: tuple(s for s in STATES if allowed(s, action))
    for action in ("run", "archive", "delete")
}
# what Go prints after a single and a bulk action
DONE = {"run": "task is now pending", "archive": "task archived", "delete": "task deleted"}
DONE_ALL = {"run": "tasks are now pending", "archive": "tasks archived", "delete": "tasks deleted"}


@click.group("task", cls=GoGroup)
def command() -> None:
    """Manage tasks."""


def _columns(state: str, tasks: list[TaskInfo], now: datetime) -> tuple[list[str], list[list[Any]]]:
    """Go's columns for each state's listing."""

    def base(t: TaskInfo) -> list[Any]:
        return [t.id, t.type, sprint_bytes(t.payload)]

    if state in ("pending", "active"):
        return ["ID", "Type", "Payload"], [base(t) for t in tasks]
    if state == "aggregating":
        return ["ID", "Type", "Payload", "Group"], [base(t) + [t.group] for t in tasks]
    if state == "scheduled":
        return (
            ["ID", "Type", "Payload", "Process In"],
            [base(t) + [process_in(t.next_process_at, now)] for t in tasks],
        )
    if state == "retry":
        headers = ["ID", "Type", "Payload", "Next Retry", "Last Error", "Last Failed"]
        return (
            headers + ["Retried", "Max Retry"],
            [
                base(t)
                + [process_in(t.next_process_at, now), t.last_err, unix_date(t.last_failed_at)]
                + [t.retried, t.max_retry]
                for t in tasks
            ],
        )
    if state == "archived":
        return (
            ["ID", "Type", "Payload", "Last Failed", "Last Error"],
            [base(t) + [unix_date(t.last_failed_at), t.last_err] for t in tasks],
        )
    return (
        ["ID", "Type", "Payload", "CompletedAt", "Result"],
        [base(t) + [unix_date(t.completed_at), sprint_bytes(t.result)] for t in tasks],
    )


@command.command("list")
@aliased("ls")
@click.option("--queue", "-q", required=True, help="Queue to inspect.")
@click.option("--state", "-s", type=click.Choice(STATES), required=True, help="State of the tasks.")
@click.option("--group", "-g", default=None, help="Group (required for aggregating tasks).")
@click.option("--page", type=click.IntRange(1), default=1, show_default=True, help="Page number.")
@click.option("--size", type=click.IntRange(1, 1000), default=30, show_default=True,
              help="Page size.")  # fmt: skip
@connection_options
@json_option
@guarded
def list_tasks(
    queue: str, state: str, group: str | None, page: int, size: int, redis_url: str, as_json: bool
) -> None:
    """List tasks of the given state from the specified queue.

    For aggregating tasks, --group is required as well. The list is paged: the first 30 tasks by
    default; --page and --size choose another page."""
    insp = inspector(redis_url)
    if model(state).grouped and not group:
        fail("Flag --group is required for listing aggregating tasks")
    tasks = insp.list_tasks(queue, state, size, page, group=group)
    undecodable = list(getattr(tasks, "undecodable", ()))
    if undecodable:  # say which tasks were skipped, never hide them silently
        click.echo(
            f"{len(undecodable)} task(s) could not be decoded: {', '.join(undecodable)}", err=True
        )
    if as_json:
        print_json(tasks)
        return
    if not tasks:
        if state == "aggregating":
            click.echo(f"No aggregating tasks in group {go_quote(group or '')} ")
        else:
            click.echo(f"No {state} tasks in {go_quote(queue)} queue")
        return
    headers, rows = _columns(state, tasks, cli_now())
    print_go_table(headers, rows)


@command.command("inspect")
@click.option("--queue", "-q", required=True, help="Queue to which the task belongs.")
@click.option("--id", "task_id", "-i", required=True, help="ID of the task.")
@connection_options
@json_option
@guarded
def inspect(queue: str, task_id: str, redis_url: str, as_json: bool) -> None:
    """Display detailed information on the specified task.

    Go's lines; --json prints every field (payload, headers, result, ...)."""
    info = inspector(redis_url).get_task_info(queue, task_id)
    if as_json:
        print_json(info)
        return
    heading("Task Info")
    click.echo(f"Queue:   {info.queue}")
    click.echo(f"ID:      {info.id}")
    click.echo(f"Type:    {info.type}")
    click.echo(f"State:   {info.state.value}")
    click.echo(f"Retried: {info.retried}/{info.max_retry}")
    click.echo()
    click.echo(f"Next process time: {next_process_time(info.next_process_at, cli_now())}")
    if info.last_err:
        click.echo()
        heading("Last Failure")
        click.echo(f"Failed at:     {unix_date(info.last_failed_at)}")
        click.echo(f"Error message: {info.last_err}")


def _running_queue(insp: Inspector, task_id: str) -> str | None:
    """The queue whose active list holds ``task_id``, if any (a task runs only while active)."""
    for q in insp.queues():
        try:
            if insp.get_task_info(q, task_id).state.value == "active":
                return q
        except BrokerError:
            raise
        except (AsynqError, ValueError):
            continue
    return None


@command.command("cancel")
@click.argument("task_ids", nargs=-1, required=True)
@connection_options
@guarded
def cancel(task_ids: tuple[str, ...], redis_url: str) -> None:
    """Cancel one or more active tasks.

    An ID that no queue has as active is refused (exit 1): nothing was running, so there is
    nothing to cancel (Go sends the signal anyway and reports success)."""
    insp = inspector(redis_url)
    failures = 0
    for tid in task_ids:
        if _running_queue(insp, tid) is None:
            click.echo(f"error: task {tid} is not active: nothing was running to cancel", err=True)
            failures += 1
            continue
        insp.cancel_processing(tid)
        click.echo(f"Sent cancelation signal for task {tid}")
    if failures:
        raise SystemExit(EXIT_REFUSED)


def _single(action: str, aliases: tuple[str, ...] = ()) -> None:
    summary = {
        "run": "Run a task with the given id.",
        "archive": "Archive a task with the given id.",
        "delete": "Delete a task with the given id.",
    }[action]

    @command.command(action, help=summary)
    @aliased(*aliases)
    @click.option("--queue", "-q", required=True, help="Queue to which the task belongs.")
    @click.option("--id", "task_id", "-i", required=True, help="ID of the task.")
    @connection_options
    @guarded
    def run_action(queue: str, task_id: str, redis_url: str) -> None:
        getattr(inspector(redis_url), f"{action}_task")(queue, task_id)
        click.echo(DONE[action])


def _bulk(action: str) -> None:
    @command.command(f"{action}all", help=f"{action.capitalize()} all tasks in the given state.")
    @click.option("--queue", "-q", required=True, help="Queue to which the tasks belong.")
    @click.option("--state", "-s", type=click.Choice(BULK[action]), required=True)
    @click.option("--group", "-g", default=None, help="Group (required for aggregating tasks).")
    @connection_options
    @guarded
    def bulk_action(queue: str, state: str, group: str | None, redis_url: str) -> None:
        insp = inspector(redis_url)
        if model(state).grouped and not group:
            fail("Flag --group is required for aggregating tasks")
        n = insp.bulk(queue, state, action, group=group)
        click.echo(f"{n} {DONE_ALL[action]}")


_single("run")
_single("archive")
_single("delete", ("remove", "rm"))
for _action in ("archive", "delete", "run"):
    _bulk(_action)


@command.command("enqueue")
@click.option("--type_name", "--type", "-t", "task_type", required=True, help="Task type name.")
@click.option("--payload", "-l", default="", help="Payload text (--payload-file for bytes).")
@click.option("--payload-file", type=click.File("rb"), default=None, help="Payload from a file.")
@click.option("--queue", "-q", default=None, help="Queue (default: default).")
@click.option("--retry", "--max-retry", "max_retry", type=click.IntRange(0), default=None,
              help="Maximum retries.")  # fmt: skip
@click.option("--id", "task_id", default=None, help="ID to enqueue the task as.")
@click.option("--timeout", type=GoDuration(), default=None, help="How long it may run (1m30s).")
@click.option("--deadline", type=RFC3339(), default=None, help="Deadline, RFC 3339.")
@click.option("--unique", type=GoDuration(), default=None, help="Unique for this long (1h).")
@click.option("--process_at", "process_at", type=RFC3339(), default=None,
              help="When to process it, RFC 3339.")  # fmt: skip
@click.option("--process_in", "--process-in", "process_in_", type=GoDuration(), default=None,
              help="Process after this long (10m).")  # fmt: skip
@click.option("--retention", type=GoDuration(), default=None, help="Keep it this long when done.")
@click.option("--group", default=None, help="Group for the task (aggregation).")
@click.option("--header", multiple=True, help="key=value; repeatable (pyasynq).")
@connection_options
@json_option
@guarded
def enqueue(
    task_type: str,
    payload: str,
    payload_file: BinaryIO | None,
    queue: str | None,
    max_retry: int | None,
    task_id: str | None,
    timeout: float | None,
    deadline: datetime | None,
    unique: float | None,
    process_at: datetime | None,
    process_in_: float | None,
    retention: float | None,
    group: str | None,
    header: tuple[str, ...],
    redis_url: str,
    as_json: bool,
) -> None:
    """Enqueue a task.

    Durations take Go's syntax (100s, 10m, 1h30m) or plain seconds; times are RFC 3339
    (2024-12-14T01:23:45Z)."""
    from pyasynq import Client, Task

    headers = {}
    for item in header:
        key, sep, value = item.partition("=")
        if not sep or not key:
            fail(f"--header needs key=value, got {item!r}")
        headers[key] = value
    data = payload_file.read() if payload_file else payload.encode()
    client = Client(redis_url, clock=cli_clock())
    try:
        info = client.enqueue(
            Task(task_type, data, headers=headers),
            queue=queue,
            max_retry=max_retry,
            timeout=timeout,
            deadline=deadline,
            process_at=process_at,
            process_in=process_in_,
            unique=unique,
            retention=retention,
            group=group,
            task_id=task_id,
        )
    finally:
        client.close()
    if as_json:
        print_json(info)
    else:
        click.echo(f"Enqueued task {info.id} to queue {info.queue}")
