"""The dashboard: the queues in a searchable, sortable, paged table (console/queue_table.py),
two charts, and pause/resume/delete per queue."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request

from pyasynq.console.actions import STATES
from pyasynq.console.backend import inspector
from pyasynq.console.queue_table import (
    SORT_KEYS,
    QueueTable,
    TableParamError,
    TableParams,
    build_table,
    parse_params,
)

bp = Blueprint("dashboard", __name__)

RANGES: dict[str, int] = {"today": 1, "7d": 7, "30d": 30, "90d": 90}
RANGE_LABELS = {"today": "Today", "7d": "Last 7 days", "30d": "Last 30 days", "90d": "Last 90 days"}


def _range_arg() -> str:
    value = request.args.get("range", "7d")
    if value not in RANGES:
        abort(400, f"'range' must be one of {', '.join(RANGES)}, got {value[:20]!r}.")
    return value


PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def _table_params() -> TableParams:
    try:
        return parse_params(request.args, default_size=PAGE_SIZE, max_size=MAX_PAGE_SIZE)
    except TableParamError as exc:
        abort(400, str(exc))


def _charts(insp: Any, table: QueueTable, range_key: str) -> dict[str, Any]:
    """Chart data as plain JSON for static/js/charts.js (no markup, no script in the page).

    The sizes and today's bars show the page's queues (what the table shows); the history
    sums every queue, one MGET per day (``Inspector.history_totals``)."""
    rows = table.rows
    sizes = {
        "labels": [q.queue for q in rows],
        "series": {state: [getattr(q, state) for q in rows] for state in STATES},
    }
    if range_key == "today":
        processed: dict[str, Any] = {
            "kind": "bar",
            "labels": [q.queue for q in rows],
            "series": {
                "succeeded": [max(q.processed - q.failed, 0) for q in rows],
                "failed": [q.failed for q in rows],
            },
        }
    else:
        days = insp.history_totals([q.queue for q in table.counts], days=RANGES[range_key])
        days.reverse()  # oldest first
        processed = {
            "kind": "line",
            "labels": [d.date.strftime("%Y-%m-%d") for d in days],
            "series": {
                "succeeded": [max(d.processed - d.failed, 0) for d in days],
                "failed": [d.failed for d in days],
            },
        }
    return {"sizes": sizes, "processed": processed}


def _context() -> dict[str, Any]:
    range_key = _range_arg()
    params = _table_params()
    insp = inspector()
    table = build_table(insp, params)
    return {
        "queues": table.rows,
        "table": table,
        "tp": params,
        "totals": table.totals,
        "charts": _charts(insp, table, range_key),
        "range_key": range_key,
        "ranges": RANGE_LABELS,
        "states": STATES,
        "sort_keys": SORT_KEYS,
    }


@bp.get("/")
def index() -> Any:
    return render_template("dashboard.html", **_context())


@bp.get("/_fragments/dashboard")
def fragment() -> Any:
    """The polled part of the dashboard: the queues table and the chart data."""
    return render_template("_dashboard_body.html", **_context())
