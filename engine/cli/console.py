"""``pyasynq console``: serve the web console under gunicorn.

The console package is loaded by gunicorn from the string ``pyasynq.console.wsgi:app``; the engine
itself never imports it. Settings travel as the console's environment variables: each flag given
on the command line sets its variable for the served app, and a flag not given sets nothing, so
the precedence is flag > environment > default and a default never overrides a variable.

Asynqmon's flags and variables are accepted with Asynqmon's meaning (``--port``/``PORT``,
``--redis-addr``/``REDIS_ADDR``, ``--read-only``/``READ_ONLY``, ... see docs/deployment.md).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import click

from pyasynq.cli._common import F, require_console

if TYPE_CHECKING:  # the console is an optional extra, imported only when the command runs
    from pyasynq.console.config import ConsoleConfig

ROOT_PATH_ENV = "CONSOLE_ROOT_PATH"

FLAG_VARIABLES: dict[str, str] = {
    "redis_url": "REDIS_URL",
    "redis_addr": "REDIS_ADDR",
    "redis_db": "REDIS_DB",
    "redis_password": "REDIS_PASSWORD",
    "redis_tls": "REDIS_TLS",
    "redis_insecure_tls": "REDIS_INSECURE_TLS",
    "redis_ca_cert": "REDIS_CA_CERT",
    "redis_client_cert": "REDIS_CLIENT_CERT",
    "redis_client_key": "REDIS_CLIENT_KEY",
    "redis_cluster_nodes": "REDIS_CLUSTER_NODES",
    "root_path": ROOT_PATH_ENV,
    "read_only": "CONSOLE_READ_ONLY",
    "poll_interval": "CONSOLE_POLL_INTERVAL",
    "max_payload_length": "CONSOLE_MAX_PAYLOAD_LENGTH",
    "max_result_length": "CONSOLE_MAX_RESULT_LENGTH",
    "enable_metrics_exporter": "CONSOLE_METRICS_EXPORTER",
    "prometheus_addr": "CONSOLE_PROMETHEUS_ADDR",
}
"""Flag (parameter name) -> the variable it sets for the served console."""

LOCATION_FLAGS = ("redis_url", "redis_addr", "redis_cluster_nodes")
"""A flag among these names the Redis completely: the environment's location variables
(``REDIS_URL``, ``REDIS_ADDR``, ``REDIS_CLUSTER_NODES``) are then dropped, so a flag always beats
the environment even where Asynqmon would let ``REDIS_URL`` beat ``--redis-addr``."""


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def console_env(
    redis_url: str | None = None,
    root_path: str | None = None,
    read_only: bool | None = None,
    poll_interval: float | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    **flags: Any,
) -> dict[str, str]:
    """The served console's environment: ``environ`` (default ``os.environ``) plus every setting
    given here (``None`` means "not given": the environment or the default applies)."""
    env = dict(os.environ if environ is None else environ)
    given = {
        "redis_url": redis_url,
        "root_path": root_path,
        "read_only": read_only,
        "poll_interval": poll_interval,
        **flags,
    }
    given = {k: v for k, v in given.items() if v is not None}
    unknown = set(given) - set(FLAG_VARIABLES)
    if unknown:
        raise TypeError(f"unknown console settings: {', '.join(sorted(unknown))}")
    if any(name in given for name in LOCATION_FLAGS):
        for name in LOCATION_FLAGS:
            env.pop(FLAG_VARIABLES[name], None)
    for name, value in given.items():
        env[FLAG_VARIABLES[name]] = _text(value)
    # no CONSOLE_SECRET_KEY needed: every worker shares one generated key through Redis
    return env


def checked_config(env: Mapping[str, str]) -> ConsoleConfig:
    """Build the console's config from ``env`` now, so a wrong setting is a usage error (exit 2)
    before gunicorn starts, instead of a worker that fails to boot."""
    from pyasynq.console.config import ConsoleConfig

    try:
        return ConsoleConfig.from_env(env)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


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


def _bool_flag(name: str, help_text: str) -> Callable[[F], F]:
    """A Go-style boolean flag: ``--name``, ``--name=true``/``--name=false`` (Asynqmon's form)."""
    return click.option(
        name,
        type=click.BOOL,
        is_flag=False,
        flag_value="true",
        default=None,
        help=help_text,
    )


@click.command("console")
@click.option("--redis-url", "-r", default=None, help="Redis URL (env REDIS_URL; any URL form).")
@click.option(
    "--uri", "--redis-addr", "redis_addr", default=None, help="Redis host:port (env REDIS_ADDR)."
)
@click.option(
    "--db",
    "--redis-db",
    "redis_db",
    type=click.IntRange(0),
    default=None,
    help="Redis database (env REDIS_DB).",
)
@click.option(
    "--password",
    "--redis-password",
    "redis_password",
    default=None,
    help="Redis password (env REDIS_PASSWORD).",
)
@click.option("--redis-tls", default=None, help="Use TLS; verify this server name (env REDIS_TLS).")
@_bool_flag(
    "--redis-insecure-tls", "TLS without verifying the certificate (env REDIS_INSECURE_TLS)."
)
@click.option("--redis-ca-cert", default=None, help="CA file for TLS (env REDIS_CA_CERT).")
@click.option(
    "--redis-client-cert", default=None, help="Client certificate file (env REDIS_CLIENT_CERT)."
)
@click.option("--redis-client-key", default=None, help="Client key file (env REDIS_CLIENT_KEY).")
@click.option(
    "--redis-cluster-nodes",
    default=None,
    help="host:port,... of a Redis Cluster (env REDIS_CLUSTER_NODES).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    envvar="CONSOLE_HOST",
    show_default=True,
    help="Address to bind (env CONSOLE_HOST).",
)
@click.option(
    "--port",
    "-p",
    type=click.IntRange(1, 65535),
    default=8080,
    envvar="PORT",
    show_default=True,
    help="Port (env PORT).",
)
@click.option(
    "--root-path", default=None, help="URL prefix (env CONSOLE_ROOT_PATH)  [default: /monitoring]"
)
@_bool_flag(
    "--read-only", "Hide every control and refuse every change (env CONSOLE_READ_ONLY, READ_ONLY)."
)
@click.option(
    "--poll-interval",
    type=click.FloatRange(0),
    default=None,
    help="Seconds between live refreshes.",
)
@click.option(
    "--max-payload-length",
    type=click.IntRange(1),
    default=None,
    help="Payload characters in a table cell (env MAX_PAYLOAD_LENGTH).",
)
@click.option(
    "--max-result-length",
    type=click.IntRange(1),
    default=None,
    help="Result characters in a table cell (env MAX_RESULT_LENGTH).",
)
@_bool_flag(
    "--enable-metrics-exporter",
    "Serve <root>/metrics (env ENABLE_METRICS_EXPORTER; on unless set false).",
)
@click.option(
    "--prometheus-addr",
    default=None,
    help="Prometheus to chart metrics from, http://host:9090 (env PROMETHEUS_ADDR).",
)
@click.option("--workers", type=click.IntRange(1), default=2, show_default=True)
def command(host: str, port: int, workers: int, **settings: Any) -> None:
    """Serve the monitoring console at http://HOST:PORT/ROOT_PATH (gunicorn).

    Takes Asynqmon's flags and environment variables too. A flag beats its environment
    variable, which beats the default; our CONSOLE_* variable beats Asynqmon's name.
    """
    require_console()
    env = console_env(**settings)
    config = checked_config(env)
    click.echo(f"console: http://{host}:{port}{config.root_path or '/'}", err=True)
    os.execvpe(sys.executable, gunicorn_argv(host, port, workers), env)
