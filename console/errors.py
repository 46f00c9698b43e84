"""The console's one error table: which status, code and message each error gets.

Pages (``guards``: an HTML error page) and the JSON API (``views.api``: ``{"error": {...}}``)
render the same decision, so an error cannot be a 422 on a page and a 500 in the API. The
table is read top to bottom and the first type the error is an instance of wins, so more
specific types come first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.exceptions import HTTPException

from pyasynq.errors import (
    BadDataError,
    BrokerError,
    DuplicateTaskError,
    GroupNotFoundError,
    QueueNotEmptyError,
    QueueNotFoundError,
    QueueStateError,
    RedisUnavailableError,
    TaskIDConflictError,
    TaskNotFoundError,
    TaskStateError,
    WorkflowNotFoundError,
)
from pyasynq.inspector_actions import EntryNotFoundError

log = logging.getLogger("console")


@dataclass(frozen=True)
class ErrorReply:
    """What the user is told: an HTTP status, a stable machine code and a sentence."""

    status: int
    code: str
    message: str


def _redis_unavailable(exc: Exception) -> str:
    log.warning("Redis unavailable: %s", exc)
    text = str(exc)
    # the broker's message already names the Redis ("cannot reach Redis at ..."): say it once
    return f"The console {text}" if text.startswith("cannot reach") else text


def _bad_data(exc: Exception) -> str:
    log.error("bad data in Redis: %s", exc)
    return f"Redis holds data the console cannot read: {exc}"


def _redis_refused(exc: Exception) -> str:
    log.warning("Redis refused: %s", exc)
    return f"Redis refused the request. {exc}"


ERROR_TABLE: tuple[tuple[type[Exception], int, str, Callable[[Exception], str]], ...] = (
    (QueueNotFoundError, 404, "not_found", str),
    (TaskNotFoundError, 404, "not_found", str),
    (GroupNotFoundError, 404, "not_found", str),
    (EntryNotFoundError, 404, "not_found", str),
    (WorkflowNotFoundError, 404, "not_found", str),
    (TaskStateError, 409, "conflict", str),
    (QueueStateError, 409, "conflict", str),
    (QueueNotEmptyError, 409, "conflict", str),
    (DuplicateTaskError, 409, "conflict", str),
    (TaskIDConflictError, 409, "conflict", str),
    # Redis holds what Asynq's layout does not allow (an undecodable message, a key of the
    # wrong type): Redis itself is fine, so not a 503
    (BadDataError, 422, "bad_data", _bad_data),
    # 503 "unavailable" only for connection problems; any other refusal is "redis_error"
    (RedisUnavailableError, 503, "redis_unavailable", _redis_unavailable),
    (BrokerError, 503, "redis_error", _redis_refused),
)
"""(exception type, status, code, message) for every error a view may let through."""

HANDLED: tuple[type[Exception], ...] = tuple(row[0] for row in ERROR_TABLE)

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "bad_data",
    503: "redis_unavailable",
}
"""The machine code of an HTTP error a view raised with ``abort``."""

UNEXPECTED = ErrorReply(
    500, "internal", "Something went wrong on the server; the details are in its log."
)


def reply_for(exc: Exception) -> ErrorReply:
    """The table's answer for ``exc``; anything not in it is a 500 that shows no details (the
    renderer logs its traceback with the request)."""
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        return ErrorReply(status, HTTP_CODES.get(status, "error"), exc.description or "")
    for kind, status, code, message in ERROR_TABLE:
        if isinstance(exc, kind):
            return ErrorReply(status, code, message(exc))
    return UNEXPECTED
