"""``pyasynq exporter``: a standalone Prometheus exporter serving ``/metrics``."""

from __future__ import annotations

import signal
import threading

import click

from pyasynq.cli._common import redis_option


@click.command("exporter")
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=9876, show_default=True)
@redis_option
def command(host: str, port: int, redis_url: str) -> None:
    """Serve Asynq-compatible Prometheus metrics on http://HOST:PORT/metrics."""
    from prometheus_client import CollectorRegistry, start_http_server

    from pyasynq.extras.exporter import QueueMetricsCollector
    from pyasynq.inspector import Inspector

    registry = CollectorRegistry()
    registry.register(QueueMetricsCollector(Inspector(redis_url)))
    server, thread = start_http_server(port, addr=host, registry=registry)
    click.echo(f"serving metrics on http://{host}:{port}/metrics", err=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    server.shutdown()
    thread.join(5)
