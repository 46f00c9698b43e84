"""The console's one Inspector per app, made on first use.

Making it lazily means the app starts (and answers /health with 503) even when Redis is down
at boot; the Inspector's redis-py pool is thread-safe, so all requests share it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from flask import Flask, current_app

if TYPE_CHECKING:
    from pyasynq.inspector import Inspector

EXTENSION = "pyasynq"


class Backend:
    """Holds the Inspector for one app (``app.extensions["pyasynq"]``)."""

    def __init__(self, redis_url: str, inspector: Inspector | None = None) -> None:
        self.redis_url = redis_url
        self._inspector = inspector
        self._owned = inspector is None
        self._lock = threading.Lock()
        self._closers: list[Callable[[], None]] = []

    @property
    def inspector(self) -> Inspector:
        if self._inspector is None:
            with self._lock:
                if self._inspector is None:
                    from pyasynq.inspector import Inspector

                    self._inspector = Inspector(self.redis_url)
        return self._inspector

    def ping(self) -> bool:
        """True when Redis answers; raises ``BrokerError`` when it does not."""
        inspector = self.inspector
        ping = getattr(inspector, "ping", None)
        if callable(ping):
            return bool(ping())
        return bool(inspector.broker.ping())

    def on_close(self, closer: Callable[[], None]) -> None:
        """Run ``closer`` when the app's resources are released (e.g. stop a background thread)."""
        self._closers.append(closer)

    def close(self) -> None:
        closers, self._closers = self._closers, []
        for closer in closers:
            closer()
        if self._owned and self._inspector is not None:
            self._inspector.close()
            self._inspector = None


def init_app(app: Flask, redis_url: str, inspector: Inspector | None = None) -> Backend:
    backend = Backend(redis_url, inspector)
    app.extensions[EXTENSION] = backend
    return backend


def backend() -> Backend:
    return cast(Backend, current_app.extensions[EXTENSION])


def inspector() -> Inspector:
    """The Inspector of the current app."""
    return backend().inspector
