"""The limits page: every fleet-wide rate and concurrency limit, its use now, and (operators
only) forms to set and remove them. Also the queue page's marks (template globals
``queue_limits`` and ``limit_holds``) and the ``pyasynq_limit_*`` Prometheus collector.

Limits are pyasynq's own (``pyasynq:{limits}:*`` keys); Go workers ignore them, which the page
says. Changes reach every pyasynq worker within its refresh interval (2 s by default).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from pyasynq.console.backend import inspector
from pyasynq.errors import BrokerError
from pyasynq.extras.limits import Limit, LimitError, Limits, LimitUsage, parse_period

bp = Blueprint("limits", __name__)


def limits_api() -> Limits | None:
    """The Limits API on the console's own Redis (None for a stand-in inspector)."""
    broker = getattr(inspector(), "broker", None)
    return Limits(broker) if broker is not None else None


def _usages() -> list[LimitUsage]:
    api = limits_api()
    return api.usage() if api is not None else []


@bp.get("/limits")
def index() -> Any:
    return render_template("limits.html", usages=_usages(), form=request.args)


@bp.get("/_fragments/limits")
def fragment() -> Any:
    return render_template("_limits_body.html", usages=_usages())


def limit_from_form(form: Any) -> Limit:
    """Build a Limit from the page's form; LimitError says what is wrong."""
    kind = form.get("kind", "")
    raw = (form.get("limit") or "").strip()
    if not raw.isdigit():
        raise LimitError(f"limit must be a whole number >= 1, got {raw!r}")
    period = parse_period(form.get("period") or "1") if kind == "rate" else 0.0
    return Limit(
        name=(form.get("name") or "").strip(),
        kind=kind,
        limit=int(raw),
        period=period,
        queue=(form.get("queue") or "*").strip(),
        task_type=(form.get("task_type") or "*").strip(),
        key=(form.get("key") or "").strip(),
    )


@bp.post("/limits")
def save() -> Any:
    api = limits_api()
    try:
        limit = limit_from_form(request.form)
        if api is None:
            raise LimitError("this console has no Redis to store limits in")
        api.set(limit)
    except LimitError as exc:
        flash(f"Limit not saved: {exc}", "error")
        return redirect(url_for("limits.index"), 303)
    flash(
        f"Limit {limit.name} set: {limit.describe()} ({limit.scope()}). "
        "pyasynq workers apply it within seconds.",
        "success",
    )
    return redirect(url_for("limits.index"), 303)


@bp.post("/limits/<name:limit_name>/delete")
def delete(limit_name: str) -> Any:
    api = limits_api()
    if api is not None and api.remove(limit_name):
        flash(f"Limit {limit_name} removed.", "success")
    else:
        flash(f"No limit named {limit_name}.", "error")
    return redirect(url_for("limits.index"), 303)


# -- marks on the queue page -----------------------------------------------------------------
def _cached(key: str, make: Any) -> Any:
    if key not in request.environ:
        try:
            request.environ[key] = make()
        except BrokerError:  # the page itself reports Redis trouble; marks just stay away
            request.environ[key] = None
    return request.environ[key]


@bp.app_template_global("queue_limits")
def queue_limits(queue: str) -> list[LimitUsage]:
    """The limits that can hold tasks of ``queue``, with their use (once per request)."""
    usages = _cached("pyasynq.limit_usages", _usages) or []
    return [u for u in usages if u.limit.matches_queue(queue)]


@bp.app_template_global("limit_holds")
def limit_holds(rows: Any) -> dict[str, str]:
    """Task id -> the limit it waits on, for the task rows of a queue page."""

    def read() -> dict[str, str]:
        api = limits_api()
        ids = [row.task.id for row in rows]
        return api.waiting_among(ids) if api is not None and ids else {}

    return _cached("pyasynq.limit_holds", read) or {}


def is_full(usage: LimitUsage) -> bool:
    if usage.limit.kind == "concurrency":
        return usage.running >= usage.limit.limit and not usage.limit.key
    return usage.waiting > 0


bp.add_app_template_global(is_full, "limit_full")
