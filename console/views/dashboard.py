"""The dashboard: every queue in a table, two charts, and pause/resume/delete per queue."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from flask import Blueprint, abort, render_template, request

from pyasynq.console.actions import STATES
from pyasynq.console.backend import inspector

if TYPE_CHECKING:
    from pyasynq.info import QueueInfo
    from pyasynq.inspector import Inspector

bp = Blueprint("dashboard", __name__)

RANGES: dict[str, int] = {"today": 1, "7d": 7, "30d": 30, "90d": 90}
RANGE_LABELS = {"today": "Today", "7d": "Last 7 days", "30d": "Last 30 days", "90d": "Last 90 days"}


def _range_arg() -> str:
    value = request.args.get("range", "7d")
    if value not in RANGES:
        abort(400, f"'range' must be one of {', '.join(RANGES)}, got {value[:20]!r}.")
    return value


def _queue_infos(insp: Inspector) -> list[QueueInfo]:
    """Every queue's info in one pipelined round trip (``Inspector.get_queue_infos``): one
    script call per queue, not several round trips each, so 50 queues stay well under 50 ms.
    A queue removed between listing and reading is left out."""
    return insp.get_queue_infos(sorted(insp.queues()), skip_missing=True)


def _charts(insp: Any, infos: list[Any], range_key: str) -> dict[str, Any]:
    """Chart data as plain JSON for static/js/charts.js (no markup, no script in the page)."""
    sizes = {
        "labels": [q.queue for q in infos],
        "series": {state: [getattr(q, state) for q in infos] for state in STATES},
    }
    if range_key == "today":
        processed: dict[str, Any] = {
            "kind": "bar",
            "labels": [q.queue for q in infos],
            "series": {
                "succeeded": [max(q.processed - q.failed, 0) for q in infos],
                "failed": [q.failed for q in infos],
            },
        }
    else:
        days = RANGES[range_key]
        by_date: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        histories = insp.histories([q.queue for q in infos], days=days)  # one round trip
        for q in infos:
            for stat in histories[q.queue]:
                row = by_date[stat.date.strftime("%Y-%m-%d")]
                row[0] += max(stat.processed - stat.failed, 0)
                row[1] += stat.failed
        dates = sorted(by_date)
        processed = {
            "kind": "line",
            "labels": dates,
            "series": {
                "succeeded": [by_date[d][0] for d in dates],
                "failed": [by_date[d][1] for d in dates],
            },
        }
    return {"sizes": sizes, "processed": processed}


def _context() -> dict[str, Any]:
    range_key = _range_arg()
    insp = inspector()
    infos = _queue_infos(insp)
    totals = {state: sum(getattr(q, state) for q in infos) for state in STATES}
    totals.update(
        size=sum(q.size for q in infos),
        processed=sum(q.processed for q in infos),
        failed=sum(q.failed for q in infos),
        memory=sum(q.memory_usage for q in infos),
    )
    return {
        "queues": infos,
        "totals": totals,
        "charts": _charts(insp, infos, range_key),
        "range_key": range_key,
        "ranges": RANGE_LABELS,
        "states": STATES,
    }


@bp.get("/")
def index() -> Any:
    return render_template("dashboard.html", **_context())


@bp.get("/_fragments/dashboard")
def fragment() -> Any:
    """The polled part of the dashboard: the queues table and the chart data."""
    return render_template("_dashboard_body.html", **_context())
