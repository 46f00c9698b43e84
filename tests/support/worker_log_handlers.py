"""Handlers and Server settings named by ``MODULE:ATTR`` in the worker logging/option tests."""

from __future__ import annotations

import os

from pyasynq import ServeMux, SkipRetry, Task

mux = ServeMux()
RETRY_IN = 1000  # seconds: far enough that the task stays in retry while the test looks


@mux.handle("boom")
def boom(ctx, task):
    raise RuntimeError("kaboom")


@mux.handle("hopeless")
def hopeless(ctx, task):
    raise SkipRetry("bad input")


def retry_delay(n: int, error: BaseException, task: Task) -> float:
    return RETRY_IN


def error_handler(ctx, task, error) -> None:
    """Leave a trace the test can read: one line per failure in $ERROR_LOG."""
    with open(os.environ["ERROR_LOG"], "a") as f:
        f.write(f"{task.type} {error}\n")


def aggregate(group: str, tasks: list[Task]) -> Task:
    return Task("boom", b"".join(t.payload for t in tasks))


GRACE = 2
