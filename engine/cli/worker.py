"""``pyasynq worker MODULE:ATTR``: run a worker Server (or P of them under a supervisor).

Every ``Server`` setting has an option. A value option takes a value (``--shutdown-timeout 30``,
``--shutdown-timeout 30s``) or a ``MODULE:ATTR`` naming one; a function option (retry delay,
error handler, group aggregator, ...) takes ``MODULE:ATTR``. Invalid values are usage errors
(exit 2) in the parent, before any process starts.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from typing import Any

import click

from pyasynq import worker_log
from pyasynq.cli._common import F, import_object, redis_option
from pyasynq.option_strings import parse_go_duration
from pyasynq.server_config import ServerConfig, seconds

_IMPORT_SPEC = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


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


# -- Server settings as options --------------------------------------------------------------
def _seconds(value: Any, flag: str, minimum: float) -> float:
    if isinstance(value, str):
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            try:
                seconds = parse_go_duration(text)
            except ValueError:
                raise click.BadParameter(
                    f"{flag} takes seconds or a duration like 30s, 5m; got {value!r}"
                ) from None
    elif hasattr(value, "total_seconds"):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise click.BadParameter(f"{flag} must be a number of seconds, got {value!r}")
    if seconds < minimum:
        raise click.BadParameter(f"{flag} must be at least {minimum:g} seconds, got {value!r}")
    return seconds


def _count(value: Any, flag: str, minimum: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        number = int(value)
    else:
        raise click.BadParameter(f"{flag} must be a whole number, got {value!r}")
    if number < minimum:
        raise click.BadParameter(f"{flag} must be at least {minimum}, got {value!r}")
    return number


@dataclass(frozen=True)
class ServerOption:
    """One ``Server`` keyword as a command-line option."""

    flag: str
    kwarg: str
    kind: str  # "seconds", "count", "callable"
    help: str
    minimum: float = 0

    def convert(self, raw: str) -> Any:
        value: Any = raw
        if _IMPORT_SPEC.match(raw.strip()):
            value = import_object(raw.strip())
        elif self.kind == "callable":
            raise click.BadParameter(
                f"{self.flag} takes MODULE:ATTR naming a function, got {raw!r}"
            )
        if self.kind == "callable":
            if not callable(value) and not any(
                callable(getattr(value, m, None)) for m in ("aggregate", "handle_error")
            ):
                raise click.BadParameter(f"{self.flag}: {raw!r} is not callable")
            return value
        if self.kind == "seconds":
            return _seconds(value, self.flag, self.minimum)
        return _count(value, self.flag, int(self.minimum))


SERVER_OPTIONS: tuple[ServerOption, ...] = (
    ServerOption("--shutdown-timeout", "shutdown_timeout", "seconds", "Seconds to wait for in-flight tasks on shutdown (8)."),
    ServerOption("--retry-delay", "retry_delay_func", "callable", "MODULE:ATTR of retry_delay(n, error, task) -> seconds (Asynq's backoff)."),
    ServerOption("--is-failure", "is_failure", "callable", "MODULE:ATTR of is_failure(error) -> bool: False retries without counting a failure."),
    ServerOption("--error-handler", "error_handler", "callable", "MODULE:ATTR of handle_error(ctx, task, error), called on each failure."),
    ServerOption("--health-check", "health_check_func", "callable", "MODULE:ATTR of check(error_or_None), called after each Redis PING."),
    ServerOption("--health-check-interval", "health_check_interval", "seconds", "Seconds between health checks (15).", 0.001),
    ServerOption("--delayed-task-check-interval", "delayed_task_check_interval", "seconds", "Seconds between moves of due scheduled/retry tasks (5).", 0.001),
    ServerOption("--group-aggregator", "group_aggregator", "callable", "MODULE:ATTR of aggregate(group, tasks) -> Task: enables group aggregation."),
    ServerOption("--group-grace-period", "group_grace_period", "seconds", "Seconds a group waits for more tasks (60, at least 1).", 1),
    ServerOption("--group-max-delay", "group_max_delay", "seconds", "Longest wait of a group's oldest task (0: none)."),
    ServerOption("--group-max-size", "group_max_size", "count", "Tasks that make a group ready at once (0: none)."),
    ServerOption("--heartbeat-interval", "heartbeat_interval", "seconds", "Seconds between heartbeats and lease extensions (5).", 0.001),
    ServerOption("--recoverer-interval", "recoverer_interval", "seconds", "Seconds between recoveries of expired leases (60).", 0.001),
    ServerOption("--janitor-interval", "janitor_interval", "seconds", "Seconds between deletions of expired completed tasks (8).", 0.001),
    ServerOption("--janitor-batch-size", "janitor_batch_size", "count", "Completed tasks deleted per janitor step (100).", 1),
    ServerOption("--syncer-interval", "syncer_interval", "seconds", "Seconds between retries of failed result writes (5).", 0.001),
    ServerOption("--task-check-interval", "task_check_interval", "seconds", "Idle poll interval of empty queues (1).", 0.001),
    ServerOption("--throughput-interval", "throughput_interval", "seconds", "Seconds between per-minute throughput checks (10).", 0.001),
    ServerOption("--lease-duration", "lease_duration", "count", "Task lease in whole seconds, above the heartbeat interval (30).", 1),
    ServerOption("--lease-cutoff", "lease_cutoff", "seconds", "Clock-skew allowance before an expired lease is recovered (30)."),
)  # fmt: skip


def server_options(func: F) -> F:
    """Add one click option per ``SERVER_OPTIONS`` entry; values arrive raw in ``server_raw``."""
    for opt in reversed(SERVER_OPTIONS):
        func = click.option(
            opt.flag, opt.kwarg, default=None, metavar="VALUE|MODULE:ATTR", help=opt.help
        )(func)
    return func


def server_kwargs(raw: dict[str, str | None]) -> dict[str, Any]:
    """Convert the given raw option values to ``ServerConfig`` fields (usage errors on bad values)."""
    out: dict[str, Any] = {}
    for opt in SERVER_OPTIONS:
        text = raw.get(opt.kwarg)
        if text is None:
            continue
        try:
            out[opt.kwarg] = opt.convert(text)
        except click.BadParameter as exc:
            exc.param_hint = opt.flag
            raise
    return out


@click.command("worker")
@click.argument("handler_spec", metavar="MODULE:ATTR")
@redis_option
@click.option(
    "--concurrency",
    "-c",
    type=click.IntRange(min=1),
    default=None,
    help="Tasks in flight per process (default: CPUs usable by the process).",
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
@click.option(
    "--processes",
    "-p",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes.",
)
@click.option(
    "--record-throughput/--no-record-throughput",
    default=True,
    show_default=True,
    help="Sample per-minute throughput for the console's charts.",
)
@server_options
@click.option(
    "--log-level",
    type=click.Choice(worker_log.LOG_LEVELS, case_sensitive=False),
    default="info",
    show_default=True,
)
@click.option(
    "--log-format",
    type=click.Choice(worker_log.LOG_FORMATS),
    default="text",
    show_default=True,
    help="json: one JSON object per line, for log shippers.",
)
@click.option("--of-processes", type=int, default=1, hidden=True)
def command(
    handler_spec: str,
    redis_url: str,
    concurrency: int | None,
    async_concurrency: int | None,
    queues: str,
    strict: bool,
    processes: int,
    record_throughput: bool,
    log_level: str,
    log_format: str,
    of_processes: int,
    **raw: str | None,
) -> None:
    """Process tasks with the handler MODULE:ATTR (a ServeMux, function or handler object).

    SIGTERM/SIGINT shut down gracefully; SIGTSTP stops fetching new tasks. With --processes P
    a supervisor runs P worker processes and restarts any that dies.
    """
    worker_log.configure(log_level, log_format)
    queue_map = parse_queues(queues)
    settings = server_kwargs(raw)
    try:  # validated in the parent: a bad value or combination never starts children
        config = ServerConfig(
            concurrency=concurrency,
            async_concurrency=100 if async_concurrency is None else async_concurrency,
            queues=queue_map,
            strict_priority=strict,
            record_throughput=record_throughput,
            **settings,
        )
    except ValueError as exc:  # a combination ServerConfig refuses (e.g. lease vs heartbeat)
        raise click.UsageError(str(exc)) from exc
    handler = load_handler(handler_spec)
    if processes > 1:
        from pyasynq.supervisor import Supervisor

        child_args = [
            handler_spec,
            "--redis-url",
            redis_url,
            "--queues",
            queues,
            "--processes",
            "1",
            "--of-processes",
            str(processes),
            "--log-level",
            log_level,
            "--log-format",
            log_format,
        ]
        if concurrency is not None:
            child_args += ["--concurrency", str(concurrency)]
        if async_concurrency is not None:
            child_args += ["--async-concurrency", str(async_concurrency)]
        if strict:
            child_args.append("--strict")
        if not record_throughput:
            child_args.append("--no-record-throughput")
        for opt in SERVER_OPTIONS:
            if raw.get(opt.kwarg) is not None:
                child_args += [opt.flag, str(raw[opt.kwarg])]
        kill_after = seconds(config.shutdown_timeout) + 10
        sys.exit(Supervisor(child_args, processes, kill_after=kill_after).run())

    from pyasynq.server import Server

    server = Server(redis_url, config=config)
    server.process_count = of_processes
    supervisor_pid = os.environ.get("PYASYNQ_SUPERVISOR_PID")
    if supervisor_pid and int(supervisor_pid) == os.getppid():
        from pyasynq.supervisor import watch_parent

        watch_parent(os.getppid(), server.request_shutdown)
    server.run(handler)
