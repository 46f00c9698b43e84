"""A background job that runs every ``interval`` seconds on its own thread.

The wait between runs is an ``Event.wait``, so ``stop()`` returns at once instead of after a
sleep; ``trigger()`` runs the job now (tests use it instead of waiting for the interval), and
``trigger(wait=...)`` returns once that run is over, so a test can assert right after it.
"""

from __future__ import annotations

import logging
import threading

from pyasynq import worker_log
from pyasynq.errors import BrokerError


class Periodic:
    name = "periodic"

    def __init__(
        self, interval: float, *, run_at_start: bool, logger: logging.Logger | None = None
    ):
        if interval <= 0:
            raise ValueError(f"{self.name} interval must be positive")
        self.interval = interval
        self.run_at_start = run_at_start
        self.log = logger or logging.getLogger(f"pyasynq.{self.name}")
        self._stop = threading.Event()
        self._kick = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0
        # trigger(wait=...): kicks asked for, and the last kick a finished run had seen
        self._runs_cond = threading.Condition()
        self._kicks_asked = 0
        self._kicks_served = 0

    def run_once(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def on_stop(self) -> None:
        """Called on the component's thread after the last run (final flushes, cleanup)."""

    def _safe_run(self) -> None:
        broker = getattr(self, "broker", None)
        try:
            self.run_once()
        except BrokerError as exc:  # Redis is away: the shared notifier says so once
            if broker is None:
                self.log.warning("%s: %s", self.name, exc)
            else:
                worker_log.connection_health(broker).failed(exc, self.name, self.log)
        except Exception:
            self.log.exception("%s failed", self.name)
        else:
            if broker is not None:
                worker_log.connection_health(broker).ok(self.name, self.log)
        self.runs += 1

    def _loop(self) -> None:
        if self.run_at_start:
            self._safe_run()
        while not self._stop.is_set():
            self._kick.wait(self.interval)
            if self._stop.is_set():
                break
            self._kick.clear()
            with self._runs_cond:
                serving = self._kicks_asked
            self._safe_run()
            with self._runs_cond:
                self._kicks_served = serving
                self._runs_cond.notify_all()
        try:
            self.on_stop()
        except Exception:
            self.log.exception("%s: stopping failed", self.name)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=f"pyasynq-{self.name}", daemon=True)
        self._thread.start()

    def trigger(self, *, wait: float | None = None) -> bool:
        """Run the job now on the component's thread; with ``wait``, block up to ``wait`` seconds
        until a run that started after this call has finished (False if it did not in time)."""
        with self._runs_cond:
            self._kicks_asked += 1
            asked = self._kicks_asked
        self._kick.set()
        if wait is None:
            return True
        with self._runs_cond:
            return self._runs_cond.wait_for(lambda: self._kicks_served >= asked, timeout=wait)

    def stop(self) -> None:
        self._stop.set()
        self._kick.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)
