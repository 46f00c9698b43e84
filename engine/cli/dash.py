"""``pyasynq dash``: Go's ``asynq dash``, the interactive terminal dashboard (Textual)."""

from __future__ import annotations

import importlib.util
import sys

import click

from pyasynq.cli._common import cli_clock, fail, guarded, inspector
from pyasynq.cli._connection import connection_options
from pyasynq.cli._gofmt import GoDuration


def require_dash() -> None:
    """Refuse, saying how to install it, when the dash extra (Textual) is missing."""
    if importlib.util.find_spec("textual") is None:
        raise click.UsageError("this command needs the dash extra: pip install 'pyasynq[dash]'")


@click.command("dash")
@click.option(
    "--refresh",
    type=GoDuration(),
    default="8s",
    show_default=True,
    help="Interval between data refreshes (Go duration such as 3s; at least 1s).",
)
@connection_options
@guarded
def command(refresh: float, redis_url: str) -> None:
    """View dashboard: queues, their tasks by state, groups and task details.

    Keys as Go's: j/k or arrows move, h/l or left/right change the task state, Enter selects,
    n/p page, ? help, Esc/q go back (quit from the queues), Ctrl+C quits.
    """
    if refresh < 1:
        raise click.BadParameter("--refresh cannot be less than 1s", param_hint="--refresh")
    require_dash()
    from pyasynq.dash.app import DashApp

    insp = inspector(redis_url)
    insp.queues()  # Redis unreachable: exit 3 now, not a dashboard full of errors
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        insp.close()
        fail("pyasynq dash needs a terminal (stdin and stdout are not one)")
    try:
        DashApp(insp, refresh=refresh, clock=cli_clock()).run()
    finally:
        insp.close()
