"""Run P worker processes under one supervisor: restart a child that dies, pass signals on.

Children are fresh interpreters (``python -m pyasynq.cli._worker_process <worker args>``, named
by ``CHILD_MODULE`` so this module imports nothing of the CLI), not forks, so
no Redis connection or thread is shared with the parent. A child that exits while the
supervisor is not shutting down is restarted after a backoff (0.5 s doubling to 10 s, reset
once a child has lived 30 s). SIGTERM/SIGINT to the supervisor are passed to every child as
SIGTERM (graceful shutdown); the supervisor exits once all children have exited, and kills
those still alive ``kill_after`` seconds later. Children watch their parent and shut down if it
disappears, so even a SIGKILLed supervisor leaves no worker behind for long.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

log = logging.getLogger("pyasynq.supervisor")

CHILD_MODULE = "pyasynq.cli._worker_process"


@dataclass
class Child:
    slot: int
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    backoff: float = 0.5
    restart_at: float = 0.0
    restarts: int = 0
    pids: list[int] = field(default_factory=list)


class Supervisor:
    def __init__(
        self,
        child_args: list[str],
        processes: int,
        *,
        kill_after: float = 30.0,
        min_backoff: float = 0.5,
        max_backoff: float = 10.0,
        healthy_after: float = 30.0,
    ) -> None:
        if processes < 1:
            raise ValueError("processes must be at least 1")
        self.child_args = list(child_args)
        self.children = [Child(slot=i, backoff=min_backoff) for i in range(processes)]
        self.kill_after = kill_after
        self.min_backoff, self.max_backoff, self.healthy_after = (
            min_backoff,
            max_backoff,
            healthy_after,
        )
        self._stopping = threading.Event()

    def command(self) -> list[str]:
        return [sys.executable, "-m", CHILD_MODULE, *self.child_args]

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        paths = [os.getcwd(), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]]
        env["PYTHONPATH"] = os.pathsep.join(paths)
        env["PYASYNQ_SUPERVISOR_PID"] = str(os.getpid())
        return env

    def _spawn(self, child: Child) -> None:
        child.proc = subprocess.Popen(self.command(), env=self._env())
        child.started = time.monotonic()
        child.pids.append(child.proc.pid)
        log.info("worker process %d started (pid %d)", child.slot, child.proc.pid)

    def request_stop(self, *_args: object) -> None:
        self._stopping.set()

    def run(self) -> int:
        previous = {}
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(ValueError):  # not the main thread: no handlers
                previous[sig] = signal.signal(sig, self.request_stop)
        try:
            for child in self.children:
                self._spawn(child)
            while not self._stopping.wait(0.1):
                self._watch()
            return self._stop_all()
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)

    def _watch(self) -> None:
        now = time.monotonic()
        for child in self.children:
            proc = child.proc
            if proc is not None and proc.poll() is not None:
                lived = now - child.started
                if lived >= self.healthy_after:
                    child.backoff = self.min_backoff
                log.warning(
                    "worker process %d (pid %d) exited with %s; restarting in %.1fs",
                    child.slot,
                    proc.pid,
                    proc.returncode,
                    child.backoff,
                )
                child.proc = None
                child.restart_at = now + child.backoff
                child.backoff = min(self.max_backoff, child.backoff * 2)
            if child.proc is None and now >= child.restart_at:
                child.restarts += 1
                self._spawn(child)

    def _stop_all(self) -> int:
        live = [c.proc for c in self.children if c.proc is not None and c.proc.poll() is None]
        for proc in live:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        end = time.monotonic() + self.kill_after
        for proc in live:
            try:
                proc.wait(timeout=max(0.0, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("worker pid %d did not exit in time; killing it", proc.pid)
                proc.kill()
                proc.wait()
        log.info("all worker processes exited")
        return 0


def watch_parent(
    expected_ppid: int, on_orphaned: object, interval: float = 1.0
) -> threading.Thread:
    """Call ``on_orphaned()`` once the parent process is gone (our ppid changes)."""

    def loop() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != expected_ppid:
                on_orphaned()  # type: ignore[operator]
                return

    t = threading.Thread(target=loop, name="pyasynq-parent-watch", daemon=True)
    t.start()
    return t
