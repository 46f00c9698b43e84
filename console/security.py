"""Protective HTTP headers on every response, and HTTPS awareness behind a proxy.

The console serves only its own files (vendored htmx and Chart.js, our JS and CSS) and has no
inline script or style, so a strict Content Security Policy costs nothing: if a task's payload,
error or queue name ever slipped through escaping, the browser would still refuse to run it.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from flask import Flask, abort, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

HEADERS: dict[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _add_headers(response: Any) -> Any:
    for name, value in HEADERS.items():
        response.headers[name] = value
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9!#$&+.^_`|~ -]")


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """An RFC 6266 header: an ASCII ``filename`` fallback plus the exact name in ``filename*``.

    Any queue name (non-Latin-1, quotes, slashes, control characters) gives a valid header
    that no client can read as a path or a second parameter.
    """
    fallback = _UNSAFE_ASCII.sub("_", filename).strip(" .") or "download"
    exact = quote(filename, safe="")
    return f"{disposition}; filename=\"{fallback[:150]}\"; filename*=UTF-8''{exact}"


def secure_cookie(app: Flask) -> bool:
    """Mark the session cookie Secure when this request came over HTTPS (or always, if set)."""
    return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def _refuse_oversized() -> None:
    """413 with a sentence before anything reads a body larger than ``MAX_CONTENT_LENGTH``.

    Werkzeug would refuse it too, but only when a view first touches the body, with a generic
    message; here the answer names the limit.
    """
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and request.content_length is not None and request.content_length > limit:
        abort(413, f"The request body is larger than this console accepts ({limit // 1024} KiB).")


def register(app: Flask, *, trust_proxy: bool) -> None:
    """Headers after every request; with ``trust_proxy`` read X-Forwarded-* from one proxy.

    Without ``trust_proxy`` the forwarded headers are ignored: anyone could send them, and a
    client claiming HTTPS must not decide how our cookies are flagged.
    """
    app.after_request(_add_headers)
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_oversized)
    if trust_proxy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
