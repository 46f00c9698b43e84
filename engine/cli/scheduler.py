"""``pyasynq scheduler MODULE:ATTR``: run a Scheduler (or PeriodicTaskManager) from user code."""

from __future__ import annotations

import inspect
import logging
from typing import Any

import click

from pyasynq.cli._common import EXIT_REFUSED, fail, import_object, redis_option


def load_target(target: str) -> Any:
    """The object named by ``MODULE:ATTR``."""
    return import_object(target)


def _runnable(obj: Any) -> bool:
    """A Scheduler or PeriodicTaskManager instance (duck-typed: ``run`` plus ``register``/``sync``)."""
    if isinstance(obj, type):
        return False
    return callable(getattr(obj, "run", None)) and (
        callable(getattr(obj, "register", None)) or callable(getattr(obj, "sync", None))
    )


def materialize(obj: Any, redis_url: str) -> Any:
    """A Scheduler/PeriodicTaskManager as is; a factory is called (with the URL if it takes one)."""
    if _runnable(obj):
        return obj
    if not callable(obj):
        raise TypeError(f"{obj!r} is neither a Scheduler nor a callable returning one")
    try:
        params = inspect.signature(obj).parameters
    except (TypeError, ValueError):
        params = inspect.Signature().parameters  # none known: called with the URL
    takes_url = "redis_url" in params or any(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
        for p in params.values()
    )
    made = obj(redis_url) if takes_url else obj()
    if not _runnable(made):
        raise TypeError(f"{obj!r} returned {type(made).__name__}, not a Scheduler")
    return made


@click.command("scheduler")
@click.argument("target", metavar="MODULE:ATTR")
@redis_option
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"], case_sensitive=False),
)
def command(target: str, redis_url: str, log_level: str) -> None:
    """Run the Scheduler at MODULE:ATTR until SIGTERM or SIGINT.

    ATTR is a Scheduler (or PeriodicTaskManager), or a callable returning one; a callable that
    takes an argument receives the Redis URL (--redis-url, env REDIS_URL).
    """
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        obj = materialize(load_target(target), redis_url)
    except (click.BadParameter, TypeError) as exc:
        fail(f"cannot load {target}: {exc}", EXIT_REFUSED)
    obj.run()
