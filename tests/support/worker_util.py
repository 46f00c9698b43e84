"""Helpers for worker tests: poll for a condition, build a Server with short intervals."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pyasynq import Server


def wait_for(
    cond: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02, what: str | None = None
) -> Any:
    """Poll ``cond`` until truthy; fail the test with a clear message after ``timeout``."""
    end = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"condition not met within {timeout}s: {what or cond}")
        time.sleep(interval)


FAST = dict(
    task_check_interval=0.1,
    delayed_task_check_interval=0.1,
    heartbeat_interval=0.2,
    janitor_interval=0.1,
    syncer_interval=0.1,
    subscriber_retry_interval=0.2,
    tick=0.02,
    shutdown_timeout=2,
)


def fast_server(redis_url: str, **overrides: Any) -> Server:
    opts = {**FAST, **overrides}
    return Server(redis_url, **opts)
