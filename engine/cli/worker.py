"""``pyasynq worker MODULE:ATTR``: run a worker Server (or P of them under a supervisor)."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import click

from pyasynq.cli._common import import_object, redis_option


def parse_queues(text: str) -> dict[str, int]:
    """``critical=6,default=3,low=1`` -> dict; a name without ``=`` has priority 1."""
    queues: dict[str, int] = {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        name, _, prio = part.partition("=")
        name = name.strip()
        if not name:
            raise click.BadParameter(f"empty queue name in {text!r}")
        try:
            queues[name] = int(prio) if prio.strip() else 1
        except ValueError:
            raise click.BadParameter(f"priority of queue {name!r} must be an integer") from None
        if queues[name] <= 0:
            raise click.BadParameter(f"priority of queue {name!r} must be positive")
    if not queues:
        raise click.BadParameter("no queue given")
    return queues


def load_handler(spec: str) -> Any:
    """The handler object named by ``MODULE:ATTR``."""
    return import_object(spec)


@click.command("worker")
@click.argument("handler_spec", metavar="MODULE:ATTR")
@redis_option
@click.option(
    "--concurrency",
    "-c",
    type=int,
    default=None,
    help="Tasks in flight per process (default: CPUs).",
)
@click.option(
    "--async-concurrency",
    type=click.IntRange(min=0),
    default=None,
    help="async def handlers in flight per process, on its event loop (default: 100; "
    "0: run them on the --concurrency threads).",
)
@click.option("--queues", "-q", default="default=1", show_default=True, help="name=priority,...")
@click.option(
    "--strict", is_flag=True, help="Strict priority: higher queues are always emptied first."
)
@click.option("--processes", "-p", type=int, default=1, show_default=True, help="Worker processes.")
@click.option(
    "--shutdown-timeout",
    type=float,
    default=8.0,
    show_default=True,
    help="Seconds to wait for in-flight tasks.",
)
@click.option("--log-level", default="info", show_default=True)
def command(
    handler_spec: str,
    redis_url: str,
    concurrency: int | None,
    async_concurrency: int | None,
    queues: str,
    strict: bool,
    processes: int,
    shutdown_timeout: float,
    log_level: str,
) -> None:
    """Process tasks with the handler MODULE:ATTR (a ServeMux, function or handler object).

    SIGTERM/SIGINT shut down gracefully; SIGTSTP stops fetching new tasks. With --processes P
    a supervisor runs P worker processes and restarts any that dies.
    """
    logging.basicConfig(
        level=getattr(logging, log_level.upper(), logging.INFO),
        format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s",
    )
    queue_map = parse_queues(queues)
    if processes < 1:
        raise click.BadParameter("--processes must be at least 1")
    if processes > 1:
        from pyasynq.supervisor import Supervisor

        load_handler(handler_spec)  # fail fast in the parent on a bad MODULE:ATTR
        child_args = [
            handler_spec,
            "--redis-url",
            redis_url,
            "--queues",
            queues,
            "--processes",
            "1",
            "--shutdown-timeout",
            str(shutdown_timeout),
            "--log-level",
            log_level,
        ]
        if concurrency is not None:
            child_args += ["--concurrency", str(concurrency)]
        if async_concurrency is not None:
            child_args += ["--async-concurrency", str(async_concurrency)]
        if strict:
            child_args.append("--strict")
        sys.exit(Supervisor(child_args, processes, kill_after=shutdown_timeout + 10).run())

    from pyasynq.server import Server

    handler = load_handler(handler_spec)
    server = Server(
        redis_url,
        concurrency=concurrency,
        async_concurrency=async_concurrency,
        queues=queue_map,
        strict_priority=strict,
        shutdown_timeout=shutdown_timeout,
    )
    supervisor_pid = os.environ.get("PYASYNQ_SUPERVISOR_PID")
    if supervisor_pid and int(supervisor_pid) == os.getppid():
        from pyasynq.supervisor import watch_parent

        watch_parent(os.getppid(), server.request_shutdown)
    click.echo(
        f"pyasynq worker pid {os.getpid()}: concurrency {server.concurrency} "
        f"(async {server.async_concurrency}), "
        f"queues {server.queues}{' (strict)' if strict else ''}",
        err=True,
    )
    server.run(handler)
