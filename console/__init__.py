"""pyasynq's web console: a server-rendered Flask app to watch and steer queues.

``create_app(config)`` builds a standalone WSGI app that answers under ``config.root_path``
(``/monitoring`` by default); ``mount(host_app, "/ops/queues", config)`` hangs it inside
another WSGI app. Every URL is built with ``url_for``, so both work at any prefix.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

if __name__ != "pyasynq.console":  # pragma: no cover - see pyasynq/__init__.py
    raise ImportError(f"the console is 'pyasynq.console', not {__name__!r}: import pyasynq.console")

try:
    from flask import Flask, redirect, request
    from flask.sessions import SecureCookieSessionInterface
    from werkzeug.middleware.dispatcher import DispatcherMiddleware
except ImportError as exc:  # pragma: no cover - exercised in the packaging test's core-only venv
    raise ImportError("pyasynq's console needs its extra: pip install 'pyasynq[console]'") from exc

from pyasynq import states
from pyasynq.console import audit, auth, backend, guards, presenters, security
from pyasynq.console.config import ConsoleConfig
from pyasynq.console.paths import static_dir, templates_dir

__all__ = ["ConsoleConfig", "create_app", "mount"]

log = logging.getLogger("pyasynq.console")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _SessionInterface(SecureCookieSessionInterface):
    """Scope the session cookie to the console's own prefix.

    Two consoles mounted in one site (or a console beside the host's own Flask session) then
    never overwrite each other's cookie.
    """

    def get_cookie_path(self, app: Flask) -> str:
        return (request.script_root or "") + "/"

    def get_signing_serializer(self, app: Flask) -> Any:
        """Resolve the shared key on first use when the operator set none (see create_app)."""
        if not app.secret_key:
            app.secret_key = backend.inspector().console_secret_key()
        return super().get_signing_serializer(app)

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure whenever the request came over HTTPS (see ``ConsoleConfig.trust_proxy``)."""
        return security.secure_cookie(app)


class _RootPath:
    """WSGI middleware that moves ``root_path`` from PATH_INFO into SCRIPT_NAME.

    Standalone (no SCRIPT_NAME from the server), requests outside the root path get a redirect
    (``/``) or a 404. When a dispatcher or the server already set SCRIPT_NAME, that prefix is
    trusted and requests pass through, so the same app mounts anywhere.
    """

    def __init__(self, app: WSGIApp, root: str) -> None:
        self.app = app
        self.root = root

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        root = self.root
        path = environ.get("PATH_INFO", "") or "/"
        if root and (path == root or path.startswith(root + "/")):
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "").rstrip("/") + root
            environ["PATH_INFO"] = path[len(root) :]
            if environ["PATH_INFO"] == "":
                # /monitoring -> /monitoring/ so relative links and cookies line up.
                start_response(
                    "308 Permanent Redirect", [("Location", environ["SCRIPT_NAME"] + "/")]
                )
                return [b""]
        elif root and not environ.get("SCRIPT_NAME"):
            if path == "/metrics":  # where Asynqmon serves it: its scrape configs keep working
                environ["SCRIPT_NAME"] = root
                return self.app(environ, start_response)
            if path == "/":
                start_response("302 Found", [("Location", root + "/")])
                return [b""]
            body = b"Not found: the console lives under " + root.encode() + b"/\n"
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [body]
        return self.app(environ, start_response)


def create_app(
    config: ConsoleConfig | None = None,
    *,
    inspector: Any = None,
    authenticate: auth.Authenticate | None = None,
) -> Flask:
    """Build the console app.

    ``config`` defaults to ``ConsoleConfig.from_env()``. ``inspector`` lets a caller (or a
    test) share an existing ``pyasynq.inspector.Inspector``; otherwise one is made on first use
    from ``config.redis_url`` and closed with the app's resources. ``authenticate(request)``
    returns a ``pyasynq.console.auth.User`` (or ``None``) from the host app's own sign-in.
    """
    config = config or ConsoleConfig.from_env()
    app = Flask(
        "console",
        template_folder=str(templates_dir()),
        static_folder=str(static_dir()),
        static_url_path="/static",
    )
    # Without CONSOLE_SECRET_KEY every console process shares one generated key kept in Redis
    # (pyasynq:console:secret-key), read on the first request: forms then work across gunicorn
    # workers and restarts with no setting at all.
    app.secret_key = config.secret_key or None
    app.config.update(
        CONSOLE=config,
        SESSION_COOKIE_NAME="pyasynq_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PROPAGATE_EXCEPTIONS=False,
        TRAP_HTTP_EXCEPTIONS=False,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    app.session_interface = _SessionInterface()
    app.jinja_env.autoescape = True
    app.jinja_env.filters.update(presenters.FILTERS)
    app.jinja_env.globals.update(
        cfg=config,
        plural=presenters.plural,
        has_endpoint=lambda endpoint: endpoint in app.view_functions,
        task_states=states.MODELS,
    )

    backend.init_app(app, config.redis_url, inspector)
    guards.register(app)
    auth.register(app, authenticate)
    audit.register(app)
    security.register(app, trust_proxy=config.trust_proxy)

    from pyasynq.console.views import register_blueprints

    register_blueprints(app)

    @app.after_request
    def _headers(response: Any) -> Any:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
            response.vary.add("HX-Request")
        return response

    @app.route("/favicon.ico")
    def _favicon() -> Any:
        return redirect(app.url_for("static", filename="favicon.svg"), 301)

    app.wsgi_app = _RootPath(app.wsgi_app, config.root_path)  # type: ignore[method-assign]
    return app


def mount(host: Flask, prefix: str, config: ConsoleConfig | None = None, **kwargs: Any) -> Flask:
    """Serve a console inside ``host`` at ``prefix`` (e.g. ``/ops/queues``); returns the console.

    The host's own routes keep working; the console sees the prefix as SCRIPT_NAME, so its
    ``root_path`` setting does not apply here.
    """
    prefix = "/" + prefix.strip("/")
    console_app = create_app(config, **kwargs)
    host.wsgi_app = DispatcherMiddleware(host.wsgi_app, {prefix: console_app})  # type: ignore[method-assign]
    return console_app
