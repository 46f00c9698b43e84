"""The console mounted inside a team's own Flask app, at ``/admin/queues``.

``gunicorn pyasynq.examples.host_app:app`` — the host app keeps its routes; the console answers
under the prefix the dispatcher gives it.
"""

from __future__ import annotations

import os

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from pyasynq.console import create_app
from pyasynq.console.config import ConsoleConfig

host = Flask(__name__)


@host.get("/")
def index() -> str:
    return '<h1>Acme back office</h1><p><a href="/admin/queues/">Job queues</a></p>'


console = create_app(
    ConsoleConfig(
        redis_url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        secret_key=os.environ.get("SECRET_KEY", "change-me-in-production"),
        read_only=os.environ.get("CONSOLE_READ_ONLY", "0") == "1",
    )
)
host.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]  # Flask's documented way
    host.wsgi_app, {"/admin/queues": console}
)
app = host
