"""Rules every request passes through: CSRF, read-only mode, input parsing and error pages.

They live in one place so a view cannot forget them: state changes are refused before any
view runs, and every error (ours, the engine's or an unexpected one) becomes a page without a
traceback. htmx requests get a small fragment instead of a whole page.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, render_template, request, session
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

from pyasynq.console.errors import HANDLED, UNEXPECTED, reply_for

log = logging.getLogger("console")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


# -- URL converter for queue names and task IDs -----------------------------------------------


_CODES = {"2F": "/", "2E": ".", "7E": "~"}
_UNESCAPE = re.compile(r"~(2F|2E|7E)")


class NameConverter(BaseConverter):
    """One path segment holding any queue name or task ID, slashes included.

    WSGI servers decode ``%2F`` before routing, so a ``/`` inside a name cannot be sent as is;
    it travels as ``~2F`` (and ``~`` itself as ``~7E``). Names without ``/`` or ``~`` look the
    same in the URL as everywhere else.
    """

    regex = r"[^/]+"
    part_isolating = True

    def to_python(self, value: str) -> str:
        return _UNESCAPE.sub(lambda m: _CODES[m.group(1)], value)

    def to_url(self, value: str) -> str:
        encoded = value.replace("~", "~7E").replace("/", "~2F")
        if encoded in (".", ".."):
            encoded = encoded.replace(".", "~2E")
        return super().to_url(encoded)


# -- CSRF ------------------------------------------------------------------------------------


def csrf_token() -> str:
    """The session's token, made on first use; forms and htmx requests send it back."""
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


def _check_csrf() -> None:
    expected = session.get(CSRF_FIELD)
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
    if not isinstance(expected, str) or not expected or not sent:
        abort(
            400,
            "The form's security token is missing or your session expired. Reload the page and try again.",
        )
    if not hmac.compare_digest(expected.encode(), sent.encode()):
        abort(
            400,
            "The form's security token does not match this session. Reload the page and try again.",
        )


def before_request() -> None:
    """Refuse every state change in read-only mode (403) and every POST without CSRF (400)."""
    if request.method in SAFE_METHODS:
        return
    if current_app.config["CONSOLE"].read_only:
        abort(403, "The console is in read-only mode: no changes are allowed.")
    if request.blueprint == "api":  # the JSON API checks a CSRF header or its Bearer token
        return
    _check_csrf()


# -- input ------------------------------------------------------------------------------------


MAX_INT_ARG = 10**9
"""Largest page number (or other count) a query may ask for: far past any real list."""


def has_control_chars(text: str) -> bool:
    """CR, LF, NUL and friends: never part of a URL we redirect to."""
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def int_arg(name: str, default: int, *, allowed: tuple[int, ...] | None = None) -> int:
    """A positive integer query argument; anything else is a 400 that names the argument."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        abort(400, f"'{name}' must be a whole number, got {raw[:40]!r}.")
    if allowed is not None and value not in allowed:
        abort(400, f"'{name}' must be one of {', '.join(map(str, allowed))}, got {value}.")
    if not 1 <= value <= MAX_INT_ARG:
        abort(400, f"'{name}' must be from 1 to {MAX_INT_ARG}, got {raw[:40]!r}.")
    return value


def safe_next(default: str) -> str:
    """The form's ``next`` URL when it points inside this console, else ``default``.

    Only same-site paths under our own prefix are followed, so a crafted form cannot turn an
    action into an open redirect.
    """
    target = request.form.get("next", "")
    if not target or len(target) > 2000:
        return default
    # A backslash or control character can make a browser read "/\\evil" as "//evil".
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return default
    if has_control_chars(target):
        return default
    parts = urlsplit(target)
    root = request.script_root + "/"
    if parts.scheme or parts.netloc or not target.startswith(root) or target.startswith("//"):
        return default
    return target


# -- error pages ------------------------------------------------------------------------------

_TITLES = {
    400: "Bad request",
    401: "Sign in required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Unreadable data in Redis",
    500: "Internal error",
    503: "Redis unavailable",
}


def render_error(status: int, message: str, **extra: Any) -> tuple[str, int, dict[str, str]]:
    template = "_error.html" if request.headers.get("HX-Request") else "error.html"
    try:
        body = render_template(
            template, status=status, title=_TITLES.get(status, "Error"), message=message, **extra
        )
    except Exception:  # the error page itself failed (e.g. a template error): plain text
        log.exception("rendering the %s error page failed", status)
        body = f"{status} {_TITLES.get(status, 'Error')}: {message}"
    return body, status, {"Cache-Control": "no-store"}


def _http_error(exc: HTTPException) -> Any:
    status = exc.code or 500
    if status == 405:
        return render_error(405, f"{request.method} is not allowed here.")
    message = exc.description or _TITLES.get(status, "Error")
    if status == 404 and message.startswith("The requested URL was not found"):
        message = "There is no page at this address."
    return render_error(status, message)


def _engine_error(exc: Exception) -> Any:
    """An engine error as a page, by the console's one error table (``console.errors``)."""
    reply = reply_for(exc)
    if reply.code != "redis_unavailable":
        return render_error(reply.status, reply.message)
    # Retry repeats this very request when it was a page (GET); after a failed action, the page
    # it came from, else the dashboard.
    here = request.script_root + request.full_path.rstrip("?")
    retry = here if request.method == "GET" else safe_next("")
    return render_error(503, reply.message, redis_down=True, retry_url=retry or None)


def _unexpected(exc: Exception) -> Any:
    log.exception("unhandled error on %s %s", request.method, request.path)
    return render_error(UNEXPECTED.status, UNEXPECTED.message)


def _check_names(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """A blank queue name or task ID can never exist: 404 before the engine calls it invalid."""
    for key in ("queue", "task_id"):
        if values and key in values and not str(values[key]).strip():
            abort(404, f"There is no {'queue' if key == 'queue' else 'task'} with a blank name.")


def register(app: Flask) -> None:
    app.url_map.converters["name"] = NameConverter
    app.url_value_preprocessor(_check_names)
    app.before_request(before_request)
    app.register_error_handler(HTTPException, _http_error)
    for kind in HANDLED:
        app.register_error_handler(kind, _engine_error)
    app.register_error_handler(Exception, _unexpected)
    app.jinja_env.globals["csrf_token"] = csrf_token
