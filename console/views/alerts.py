"""The alerts page: each rule's state (when the console runs an AlertManager) and recent firings.

With ``alerts_file`` set, the console checks the rules itself in a background thread (one per
process: with several gunicorn workers prefer the ``pyasynq alerts`` command). Firings are read
from Redis, so those of a separate ``pyasynq alerts`` process show here too.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, current_app, render_template

from pyasynq.console.backend import inspector
from pyasynq.console.serialize import plain
from pyasynq.extras.alerts import AlertManager, events_from, manager_from_file

log = logging.getLogger("console")

bp = Blueprint("alerts", __name__)
EXTENSION = "pyasynq_alerts"


@bp.record_once
def _start(state: Any) -> None:
    app: Flask = state.app
    cfg = app.config["CONSOLE"]
    if not cfg.alerts_file:
        return
    try:
        manager = manager_from_file(cfg.redis_url, cfg.alerts_file)
    except (OSError, ValueError) as exc:
        raise ValueError(f"alerts_file {cfg.alerts_file!r}: {exc}") from exc
    app.extensions[EXTENSION] = manager.start()
    log.info("console: checking %d alert rules every %ss", len(manager.rules), manager.interval)


def manager() -> AlertManager | None:
    return current_app.extensions.get(EXTENSION)


def snapshot(count: int = 100) -> dict[str, Any]:
    """Rule states (if this console checks rules) and recent firings from Redis."""
    mgr = manager()
    events = events_from(inspector(), count)
    return {
        "checking": mgr is not None,
        "webhook": bool(mgr and mgr.webhook_url),
        "rules": [plain(s) for s in mgr.states.values()] if mgr else [],
        "events": list(events),
        "problems": list(getattr(events, "problems", ())),
    }


@bp.get("/alerts")
def index() -> Any:
    return render_template("alerts.html", **snapshot())
