"""The per-task context a handler receives: task metadata, deadline and cancellation.

Go hands handlers a ``context.Context``; here it is a ``Context`` object. Cancellation is a
``threading.Event`` so a synchronous handler can poll (``ctx.cancelled``), wait interruptibly
(``ctx.wait(seconds)``) or raise (``ctx.check()``); async handlers are cancelled for real
(their asyncio task gets ``CancelledError``) through ``add_done_callback``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pyasynq.clock import SYSTEM_CLOCK, Clock

if TYPE_CHECKING:
    from pyasynq.broker.broker import Broker

DEADLINE_EXCEEDED = "context deadline exceeded"
CANCELED = "context canceled"


class ContextCancelledError(Exception):
    """Raised by ``Context.check()`` once the context is done; its text is Go's ``ctx.Err()``."""


class Context:
    """What a handler knows about the task it runs and whether it should stop.

    ``err`` is ``None`` while running, then ``"context deadline exceeded"`` (deadline passed) or
    ``"context canceled"`` (Inspector.cancel_processing, shutdown, lost lease).
    """

    def __init__(
        self,
        *,
        task_id: str,
        queue: str,
        retry_count: int,
        max_retry: int,
        deadline: float,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.task_id = task_id
        self.queue = queue
        self.retry_count = retry_count
        self.max_retry = max_retry
        self.deadline_ts = deadline
        self._clock = clock
        # made on first use (``done``/``wait``): most tasks never wait on it, and building an
        # Event (a Condition and two locks) cost more than the rest of a task's context
        self._event: threading.Event | None = None
        self._lock = threading.Lock()
        self._err: str | None = None
        self._callbacks: list[Callable[[Context], object]] = []

    @property
    def deadline(self) -> datetime:
        return datetime.fromtimestamp(self.deadline_ts, UTC)

    def time_remaining(self) -> float:
        """Seconds left before the deadline, by the server's clock (never negative)."""
        return max(0.0, self.deadline_ts - self._clock.now())

    @property
    def cancelled(self) -> bool:
        return self._err is not None

    def done(self) -> threading.Event:
        """The event that is set once the context is cancelled (Go's ``ctx.Done()``)."""
        return self._ensure_event()

    def _ensure_event(self) -> threading.Event:
        event = self._event
        if event is None:
            with self._lock:
                if self._event is None:
                    self._event = threading.Event()
                    if self._err is not None:
                        self._event.set()
                event = self._event
        return event

    @property
    def err(self) -> str | None:
        return self._err

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep up to ``timeout`` seconds, waking early on cancel; True when cancelled."""
        return self._ensure_event().wait(timeout)

    def check(self) -> None:
        """Raise ``ContextCancelledError`` when cancelled; a cheap call for loops in handlers."""
        if self._err is not None:
            raise ContextCancelledError(self._err)

    def add_done_callback(self, fn: Callable[[Context], object]) -> None:
        """Call ``fn(ctx)`` on cancellation (at once if already cancelled)."""
        with self._lock:
            if self._err is None:
                self._callbacks.append(fn)
                return
        fn(self)

    def cancel(self, reason: str = CANCELED) -> bool:
        """Cancel once; returns False if it was already cancelled. Used by the processor."""
        with self._lock:
            if self._err is not None:
                return False
            self._err = reason
            callbacks, self._callbacks = self._callbacks, []
            event = self._event
        if event is not None:
            event.set()
        for fn in callbacks:
            with contextlib.suppress(Exception):  # one callback must not stop the others
                fn(self)
        return True

    def __repr__(self) -> str:
        return f"Context(task_id={self.task_id!r}, queue={self.queue!r}, err={self._err!r})"


class ResultWriter:
    """``task.result_writer``: stores bytes in the task hash's ``result`` field (§4.20).

    Like Go, it refuses to write once the task's context is done.
    """

    def __init__(self, broker: Broker, queue: str, task_id: str, ctx: Context) -> None:
        self._broker = broker
        self._queue = queue
        self._task_id = task_id
        self._ctx = ctx

    @property
    def task_id(self) -> str:
        return self._task_id

    def write(self, data: bytes | str) -> int:
        if self._ctx.err is not None:
            raise ContextCancelledError(f"failed to write task result: {self._ctx.err}")
        if isinstance(data, str):
            data = data.encode("utf-8")
        return self._broker.write_result(self._queue, self._task_id, bytes(data))
