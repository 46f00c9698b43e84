"""``pyasynq task wait``: block until a task is completed or archived, then show it.

Added to the ``task`` group from its own module (registered on import), so the task module
stays as it is. Exit codes: 0 completed, 4 archived (the task failed for good), 5 timed out,
1 refused (no such task, no retention), 3 Redis unreachable.
"""

from __future__ import annotations

import sys

import click

from pyasynq.cli._common import guarded, json_option, payload_text, print_json, redis_option
from pyasynq.cli.task import command as task_group
from pyasynq.errors import WaitTimeoutError

EXIT_ARCHIVED = 4
EXIT_TIMEOUT = 5


@task_group.command("wait")
@click.option("--queue", "-q", default="default", show_default=True)
@click.option("--id", "task_id", "-i", required=True)
@click.option(
    "--timeout",
    "-t",
    type=click.FloatRange(min=0, max=7 * 86400),
    default=30.0,
    show_default=True,
    help="Seconds to wait (at most a week).",
)
@redis_option
@json_option
@guarded
def wait(queue: str, task_id: str, timeout: float, redis_url: str, as_json: bool) -> None:
    """Wait for a task (with a retention) to finish; print its result or error."""
    from pyasynq.broker.broker import Broker
    from pyasynq.results import wait_for_task

    broker = Broker(redis_url)
    try:
        info = wait_for_task(broker, task_id, queue=queue, timeout=timeout)
    except WaitTimeoutError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_TIMEOUT)
    finally:
        broker.close()
    if as_json:
        print_json(info)
    else:
        click.echo(f"State:  {info.state.value}")
        if info.state.value == "completed":
            click.echo(f"Result: {payload_text(info.result, 10_000)}")
        else:
            click.echo(f"Error:  {info.last_err}")
    if info.state.value == "archived":
        sys.exit(EXIT_ARCHIVED)
