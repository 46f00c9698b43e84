"""``pyasynq alerts --rules FILE [--webhook URL]``: check alert rules and notify a webhook."""

from __future__ import annotations

import contextlib
import json
import signal
import threading

import click

from pyasynq.cli._common import guarded, redis_option


@click.command("alerts")
@click.option(
    "--rules",
    "rules_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="YAML or JSON file: {webhook?, interval?, rules: [{kind, ...}]}.",
)
@click.option(
    "--webhook", default=None, help="URL receiving a JSON POST per firing/resolved event."
)
@click.option(
    "--interval", type=click.FloatRange(min=0.1), default=None, help="Seconds between checks."
)
@click.option("--once", is_flag=True, help="Check once, print the events as JSON and exit.")
@redis_option
@guarded
def command(
    rules_file: str, webhook: str | None, interval: float | None, once: bool, redis_url: str
) -> None:
    """Check alert rules (archived above N, latency, paused too long, no server alive...)."""
    from pyasynq.extras.alerts import manager_from_file

    try:
        manager = manager_from_file(redis_url, rules_file, webhook)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--rules") from None
    if interval is not None:
        manager.interval = interval
    try:
        if once:
            click.echo(json.dumps(manager.check_once(), indent=2))
            return
        click.echo(
            f"checking {len(manager.rules)} rules every {manager.interval}s; Ctrl-C to stop",
            err=True,
        )
        done = threading.Event()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: done.set())
        manager.start()
        with contextlib.suppress(KeyboardInterrupt):
            done.wait()
    finally:
        manager.close()
