"""Cron controls: run a periodic entry now, pause and resume it (honoured by our Scheduler).

Pausing writes the entry ID to ``pyasynq:scheduler:paused``; pyasynq schedulers skip a paused
entry's runs but keep its timing, so resuming picks up at the next regular instant. Go
schedulers do not read that set; the page says so.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for

from pyasynq.console.backend import inspector
from pyasynq.console.guards import safe_next
from pyasynq.errors import AsynqError, BrokerError

bp = Blueprint("cron_controls", __name__)


def _back() -> str:
    default = (
        url_for("schedulers.index")
        if "schedulers.index" in _endpoints()
        else url_for("dashboard.index")
    )
    return safe_next(default)


def _endpoints() -> set[str]:
    from flask import current_app

    return set(current_app.view_functions)


@bp.post('/schedulers/<name:entry_id>/<any("run", "pause", "resume"):action>')
def act(entry_id: str, action: str) -> Any:
    insp = inspector()
    try:
        if action == "run":
            info = insp.run_scheduler_entry(entry_id)
            flash(f"Enqueued task {info.id} ({info.type}) from entry {entry_id} now.", "success")
        elif action == "pause":
            insp.pause_scheduler_entry(entry_id)
            flash(
                f"Paused entry {entry_id}: pyasynq schedulers skip its runs until resumed.",
                "success",
            )
        else:
            insp.resume_scheduler_entry(entry_id)
            flash(f"Resumed entry {entry_id}.", "success")
    except AsynqError as exc:
        if isinstance(exc, BrokerError):
            raise
        flash(str(exc), "error")
    return redirect(_back(), 303)


@bp.app_template_global("paused_entries")
def paused_entries() -> set[str]:
    """Paused entry IDs, read once per request (templates call this for every row)."""
    cache = request.environ.setdefault("pyasynq.paused_entries", None)
    if cache is None:  # per request, not per app context (tests may share one of those)
        cache = request.environ["pyasynq.paused_entries"] = inspector().paused_scheduler_entries()
    return cache
