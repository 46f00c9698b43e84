"""The real ``pyasynq console`` command (gunicorn) in a child process, for tests that need it
served: the read-only fix, Asynqmon's variables, and Prometheus scraping ``/metrics``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.support.redis_server import free_port

REPO = Path(__file__).resolve().parents[2]


class ConsoleProcess:
    """``pyasynq console ARGS`` with ``env`` added to this process's environment."""

    def __init__(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        root: str = "/monitoring",
        port: int | None = None,
    ):
        self.port = port or free_port()
        self.root = root
        self.args = args
        self.env = {
            **os.environ,
            "PORT": str(self.port),
            "CONSOLE_POLL_INTERVAL": "0",
            "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
            **(env or {}),
        }
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.root}"

    def start(self, timeout: float = 30) -> ConsoleProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pyasynq.cli", "console", "--workers", "1", *self.args],
            cwd=REPO,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.base + "/health", timeout=3) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                output = self.stop()
                raise RuntimeError(f"pyasynq console did not start: {output[-2000:]}")
            time.sleep(0.2)

    def stop(self) -> str:
        """Stop the console; returns what it printed."""
        if self.proc is None:
            return ""
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # gunicorn's quick shutdown (TERM waits for workers)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        return proc.stdout.read().decode(errors="replace") if proc.stdout else ""
