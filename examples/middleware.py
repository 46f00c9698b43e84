"""Middleware: a DEBUG trace of every task, and turning unexpected crashes into clean failures.

Failures need no line here: the worker itself logs each failed attempt and what happens next
(retry at T, archived) at WARNING."""

from __future__ import annotations

import logging
import time
import traceback

from pyasynq import RevokeTask, SkipRetry

log = logging.getLogger("pyasynq.examples.tasks")


def logging_middleware(handler):
    def wrapped(ctx, task):
        started = time.monotonic()
        log.debug("start %s id=%s queue=%s try=%d", task.type, task.id, ctx.queue, ctx.retry_count)
        try:
            result = handler(ctx, task)
        except Exception as exc:
            log.debug(
                "fail %s id=%s after %.3fs: %s", task.type, task.id, time.monotonic() - started, exc
            )
            raise
        log.debug("done %s id=%s in %.3fs", task.type, task.id, time.monotonic() - started)
        return result

    return wrapped


def recovery_middleware(handler):
    """A bug (TypeError, KeyError...) is a failure like any other: logged with its traceback,
    stored as a short message, retried under the normal rules."""

    def wrapped(ctx, task):
        try:
            return handler(ctx, task)
        except (SkipRetry, RevokeTask):
            raise
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            log.error("bug in handler for %s:\n%s", task.type, traceback.format_exc())
            raise RuntimeError(f"handler crashed: {type(exc).__name__}: {exc}") from exc

    return wrapped
