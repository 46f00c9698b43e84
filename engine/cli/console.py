"""``pyasynq console``: serve the web console under gunicorn.

The console package is loaded by gunicorn from the string ``pyasynq.console.wsgi:app``; the engine
itself never imports it. Settings travel as the console's environment variables.
"""

from __future__ import annotations

import os
import sys

import click

from pyasynq.cli._common import redis_option, require_console


def console_env(
    redis_url: str, root_path: str, read_only: bool, poll_interval: float | None
) -> dict[str, str]:
    env = dict(os.environ)
    env["REDIS_URL"] = redis_url
    env["CONSOLE_ROOT_PATH"] = root_path
    env["CONSOLE_READ_ONLY"] = "1" if read_only else "0"
    if poll_interval is not None:
        env["CONSOLE_POLL_INTERVAL"] = str(poll_interval)
    # no CONSOLE_SECRET_KEY needed: every worker shares one generated key through Redis
    return env


def gunicorn_argv(host: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--graceful-timeout",
        "5",
        "--access-logfile",
        "-",
        "pyasynq.console.wsgi:app",
    ]


@click.command("console")
@redis_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8080, show_default=True, envvar="PORT"
)
@click.option("--root-path", default="/monitoring", show_default=True, envvar="CONSOLE_ROOT_PATH")
@click.option("--read-only", is_flag=True, help="Hide every control and refuse every change.")
@click.option(
    "--poll-interval",
    type=click.FloatRange(0),
    default=None,
    help="Seconds between live refreshes.",
)
@click.option("--workers", type=click.IntRange(1), default=2, show_default=True)
def command(
    redis_url: str,
    host: str,
    port: int,
    root_path: str,
    read_only: bool,
    poll_interval: float | None,
    workers: int,
) -> None:
    """Serve the monitoring console at http://HOST:PORT/ROOT_PATH (gunicorn)."""
    require_console()
    env = console_env(redis_url, root_path, read_only, poll_interval)
    click.echo(f"console: http://{host}:{port}{root_path or '/'}", err=True)
    os.execvpe(sys.executable, gunicorn_argv(host, port, workers), env)
