"""Metrics without Prometheus (per-minute throughput per queue, task types per state) and the
Prometheus endpoint ``<root>/metrics`` with Asynq's exporter names.

The throughput history is sampled into Redis by ``pyasynq.components.throughput`` from every
pyasynq Server and, unless ``record_throughput`` is off, from the console process itself, so a
console watching only Go workers still fills its charts.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any, cast

from flask import Blueprint, Flask, Response, abort, current_app, render_template, request
from flask.blueprints import BlueprintSetupState
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry

from pyasynq.console.actions import STATES
from pyasynq.console.backend import backend, inspector
from pyasynq.extras.exporter import QueueMetricsCollector, exposition

bp = Blueprint("metrics", __name__)

RANGES: dict[str, int] = {"1h": 60, "3h": 180, "6h": 360, "12h": 720, "24h": 1440}
DEFAULT_RANGE = "3h"
TYPE_SAMPLE = 1000
"""Tasks looked at per type count: bounded work on queues of any size."""


# -- the console's own recorder --------------------------------------------------------------


class _Recorder:
    """Starts one ThroughputRecorder per app on its first request, and stops it on close.

    Starting lazily (not at import or app creation) keeps threads out of a gunicorn master
    that forks its workers, and out of apps that never serve a request.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.recorder: Any = None
        self._lock = threading.Lock()
        self._closed = False

    def _settled(self) -> bool:
        """Started or closed: nothing left to do (read again under the lock)."""
        return self.recorder is not None or self._closed

    def ensure_started(self) -> None:
        if self._settled():
            return
        with self._lock:
            if self._settled():
                return
            broker = getattr(backend().inspector, "broker", None)
            if broker is None:  # a stand-in inspector (tests) has nothing to sample
                self._closed = True
                return
            from pyasynq.components.throughput import ThroughputRecorder

            self.recorder = ThroughputRecorder(broker, clock=broker.clock)
            self.recorder.start()

    def stop(self) -> None:
        with self._lock:
            self._closed = True
            recorder, self.recorder = self.recorder, None
        if recorder is not None:
            recorder.stop()


def _setup(state: BlueprintSetupState) -> None:
    app = state.app
    app.jinja_env.globals["throughput_card"] = _card_data
    if not app.config["CONSOLE"].record_throughput:
        return
    holder = _Recorder(cast(Flask, app))  # the setup state's app is the Flask app itself
    app.extensions["pyasynq.throughput"] = holder
    app.before_request(holder.ensure_started)
    app.extensions["pyasynq"].on_close(holder.stop)


bp.record_once(_setup)


# -- Prometheus ------------------------------------------------------------------------------


@bp.get("/metrics")
def prometheus() -> Any:
    """Prometheus text format: Asynq's metric names and labels plus ours (``asynq_up`` 0 when
    Redis is down, so the scrape itself still succeeds and alerts can fire on it). Answers 404
    when ``metrics_exporter`` is turned off (``ENABLE_METRICS_EXPORTER=false``)."""
    if not current_app.config["CONSOLE"].metrics_exporter:
        abort(404, "The metrics exporter is turned off (CONSOLE_METRICS_EXPORTER).")
    registry = CollectorRegistry()
    registry.register(QueueMetricsCollector(inspector()))
    return Response(exposition(registry), content_type=CONTENT_TYPE_LATEST)


# -- throughput ------------------------------------------------------------------------------


def _range_arg() -> str:
    value = request.args.get("range", DEFAULT_RANGE)
    if value not in RANGES:
        abort(400, f"'range' must be one of {', '.join(RANGES)}, got {value[:20]!r}.")
    return value


def _minutes_axis(minutes: int) -> list[int]:
    current = int(inspector().broker.now() // 60) * 60  # the Inspector's clock (tests pin it)
    return list(range(current - minutes * 60, current, 60))


def throughput_series(queues: list[str], minutes: int) -> dict[str, Any]:
    """Chart JSON: one ISO label per minute, per queue processed and failed (null = no sample)."""
    insp = inspector()
    axis = _minutes_axis(minutes)
    processed: dict[str, list[int | None]] = {}
    failed: dict[str, list[int | None]] = {}
    totals: dict[str, dict[str, Any]] = {}
    # one pipelined round trip for every queue; queues removed meanwhile are left out
    for q, found in insp.throughputs(queues, minutes=minutes).items():
        points = {int(p.minute.timestamp()): p for p in found}
        processed[q] = [points[m].processed if m in points else None for m in axis]
        failed[q] = [points[m].failed if m in points else None for m in axis]
        known = list(points.values())
        last = points[max(points)] if points else None  # the latest minute with a count
        totals[q] = {
            "processed": sum(p.processed for p in known),
            "failed": sum(p.failed for p in known),
            "peak": max((p.processed for p in known), default=0),
            "last": last.processed if last else None,
            "minutes": len(known),
        }
    labels = [datetime.fromtimestamp(m, UTC).isoformat().replace("+00:00", "Z") for m in axis]
    return {
        "labels": labels,
        "processed": {"kind": "line", "labels": labels, "series": processed},
        "failed": {"kind": "line", "labels": labels, "series": failed},
        "totals": totals,
    }


def _metrics_context() -> dict[str, Any]:
    range_key = _range_arg()
    insp = inspector()
    all_queues = insp.queues()
    queue = request.args.get("queue") or None
    if queue is not None and queue not in all_queues:
        abort(404, f"There is no queue {queue[:100]!r}.")
    data = throughput_series([queue] if queue else all_queues, RANGES[range_key])
    return {
        "range_key": range_key,
        "ranges": RANGES,
        "queue": queue,
        "queues": all_queues,
        "data": data,
        "recording": current_app.config["CONSOLE"].record_throughput,
    }


@bp.get("/throughput")
def index() -> Any:
    return render_template("metrics.html", **_metrics_context())


@bp.get("/_fragments/throughput")
def fragment() -> Any:
    """The polled part of the metrics page."""
    return render_template("_metrics_body.html", **_metrics_context())


CARD_LINES = 10


def _busiest_card(queues: list[str], limit: int) -> dict[str, Any]:
    """The card's chart with at most ``limit`` lines: with hundreds of queues (one per tenant)
    a line each is neither readable nor small (60 points x 1,000 queues was most of the
    dashboard's HTML and time), so the busiest ``limit - 1`` queues of the hour keep their line
    and the others are summed into one "other N queues" line (null where none had a sample)."""
    minutes = RANGES["1h"]
    found = inspector().throughputs(queues, minutes=minutes)
    busy = sorted(found, key=lambda q: (-sum(p.processed for p in found[q]), q))
    kept, rest = busy[: limit - 1], busy[limit - 1 :]
    data = throughput_series(kept, minutes)
    sums: dict[int, int] = {}
    for q in rest:
        for p in found[q]:
            at = int(p.minute.timestamp())
            sums[at] = sums.get(at, 0) + p.processed
    other = [sums.get(m) for m in _minutes_axis(minutes)]
    data["processed"]["series"][f"other {len(rest)} queues"] = other
    return data


def _card_data() -> dict[str, Any]:
    """Data of the dashboard's throughput card (a template global, so the dashboard renders
    the card in its first response, with or without live refresh)."""
    queues = inspector().queues()
    if len(queues) > CARD_LINES:
        return _busiest_card(queues, CARD_LINES)
    return throughput_series(queues, RANGES["1h"])


@bp.get("/_fragments/throughput-card")
def dashboard_card() -> Any:
    """The dashboard's throughput card: processed per minute, every queue, the last hour."""
    return render_template("_throughput_card.html", data=_card_data())


# -- a queue's insights: its throughput and the task types of one state ------------------------


@bp.get("/_fragments/queues/<name:queue>/insights")
def queue_insights(queue: str) -> Any:
    """Throughput of one queue (3 h) and type counts of the state shown on its page."""
    state = request.args.get("state", "active")
    if state not in STATES:
        abort(400, f"'state' must be one of {', '.join(STATES)}, got {state[:30]!r}.")
    group = request.args.get("group") or None
    insp = inspector()
    today = insp.get_queue_info(queue)  # 404 for an unknown queue; today's counts for the card
    types = None
    if state != "aggregating" or group:
        types = insp.task_type_counts(queue, state, sample=TYPE_SAMPLE, group=group)
    data = throughput_series([queue], RANGES[DEFAULT_RANGE])
    chart = {
        "kind": "line",
        "labels": data["labels"],
        "series": {
            "succeeded": [
                None if p is None else max(p - (f or 0), 0)
                for p, f in zip(
                    data["processed"]["series"].get(queue, []),
                    data["failed"]["series"].get(queue, []),
                    strict=True,
                )
            ],
            "failed": data["failed"]["series"].get(queue, []),
        },
    }
    return render_template(
        "_queue_insights.html",
        insights_loaded=True,
        queue=queue,
        state=state,
        group=group,
        types=types,
        chart=chart,
        totals=data["totals"].get(queue),
        today=today,
        sample=TYPE_SAMPLE,
    )
