"""Queue metrics charted from Prometheus (Asynqmon's metrics page), when ``prometheus_addr`` is set.

Prometheus scrapes the console's ``<root>/metrics`` (or a ``pyasynq exporter``); this page asks
it for ranges with PromQL ``query_range`` and draws per-queue size, latency, memory and
processed/failed per second. The console makes every Prometheus request itself, so the browser
only ever talks to the console: ``<root>/api/metrics`` is Asynqmon's proxy route (same query
parameters ``duration``, ``endtime``, ``queues`` and the same JSON keys, each holding Prometheus's
own answer), and the page's charts are built server-side from the same queries.
"""

from __future__ import annotations

import json
import math
import re
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, jsonify, render_template, request

from pyasynq.console.backend import inspector

bp = Blueprint("prometheus", __name__)

TIMEOUT = 10.0
"""Seconds one Prometheus request may take: a stuck Prometheus never holds a page for long."""

RANGES: dict[str, int] = {
    "1h": 3600,
    "3h": 3 * 3600,
    "6h": 6 * 3600,
    "12h": 12 * 3600,
    "1d": 86400,
    "3d": 3 * 86400,
    "7d": 7 * 86400,
}
DEFAULT_RANGE = "1h"
MAX_DURATION = 30 * 86400

# Asynqmon's queries and JSON keys, QUEUE_FILTER replaced by an optional queue matcher.
ASYNQMON_QUERIES: dict[str, str] = {
    "queue_size": "asynq_queue_size{QUEUE_FILTER}",
    "queue_latency_seconds": "asynq_queue_latency_seconds{QUEUE_FILTER}",
    "queue_memory_usage_approx_bytes": "asynq_queue_memory_usage_approx_bytes{QUEUE_FILTER}",
    "tasks_processed_per_second": "rate(asynq_tasks_processed_total{QUEUE_FILTER}[5m])",
    "tasks_failed_per_second": "rate(asynq_tasks_failed_total{QUEUE_FILTER}[5m])",
    "error_rate": "rate(asynq_tasks_failed_total{QUEUE_FILTER}[5m]) / "
    "rate(asynq_tasks_processed_total{QUEUE_FILTER}[5m])",
    "pending_tasks_by_queue": 'asynq_tasks_enqueued_total{state="pending",QUEUE_FILTER}',
    "retry_tasks_by_queue": 'asynq_tasks_enqueued_total{state="retry",QUEUE_FILTER}',
    "archived_tasks_by_queue": 'asynq_tasks_enqueued_total{state="archived",QUEUE_FILTER}',
}

# The page's charts: one line per queue. ``max by (queue)`` folds the copies that several
# exporters of one Redis (two consoles, a console and an exporter) report for the same queue.
CHARTS: tuple[tuple[str, str, str, str], ...] = (
    ("processed", "Processed per second", "/s", "rate(asynq_tasks_processed_total{QUEUE_FILTER}[5m])"),
    ("failed", "Failed per second", "/s", "rate(asynq_tasks_failed_total{QUEUE_FILTER}[5m])"),
    ("size", "Queue size", "tasks", "asynq_queue_size{QUEUE_FILTER}"),
    ("latency", "Queue latency", "s", "asynq_queue_latency_seconds{QUEUE_FILTER}"),
    ("memory", "Memory usage (approx.)", "bytes", "asynq_queue_memory_usage_approx_bytes{QUEUE_FILTER}"),
)  # fmt: skip


class PrometheusError(Exception):
    """Prometheus could not be asked, or answered with an error; the text says which."""


def step_seconds(duration: int) -> int:
    """Asynqmon's resolution: at most a few thousand points whatever the range."""
    if duration <= 6 * 3600:
        return 10
    if duration <= 86400:
        return 60
    if duration <= 8 * 86400:
        return 180
    if duration <= 30 * 86400:
        return 600
    return max(duration // 3000, 1)


def _promql_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def apply_queue_filter(promql: str, queues: Sequence[str]) -> str:
    """Insert ``queue=~"a|b"`` (names taken literally, not as patterns) for ``QUEUE_FILTER``."""
    if not queues:
        return promql.replace(",QUEUE_FILTER", "").replace("{QUEUE_FILTER}", "")
    pattern = "|".join(re.escape(q) for q in queues)
    return promql.replace("QUEUE_FILTER", f'queue=~"{_promql_string(pattern)}"')


def _addr() -> str | None:
    return current_app.config["CONSOLE"].prometheus_addr  # type: ignore[no-any-return]


def query_range(addr: str, promql: str, start: int, end: int, step: int) -> dict[str, Any]:
    """Prometheus's JSON answer to one ``/api/v1/query_range``; ``PrometheusError`` otherwise."""
    params = urlencode({"query": promql, "start": start, "end": end, "step": step})
    url = f"{addr}/api/v1/query_range?{params}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as resp:
            body = resp.read(16 * 1024 * 1024)
    except urllib.error.HTTPError as exc:  # Prometheus explains a bad query in its JSON body
        try:
            detail = json.loads(exc.read(64 * 1024)).get("error") or exc.reason
        except ValueError:
            detail = exc.reason
        raise PrometheusError(f"Prometheus at {addr} refused a query: {detail}") from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PrometheusError(f"cannot reach Prometheus at {addr}: {reason}") from None
    try:
        answer = json.loads(body)
    except ValueError:
        raise PrometheusError(f"Prometheus at {addr} did not answer JSON") from None
    if not isinstance(answer, dict) or answer.get("status") != "success":
        raise PrometheusError(f"Prometheus at {addr} answered: {answer.get('error', answer)!r}")
    return answer


def _many(addr: str, queries: dict[str, str], start: int, end: int, step: int) -> dict[str, Any]:
    """Run the queries side by side (as Asynqmon does); the first failure is raised."""
    with ThreadPoolExecutor(max_workers=len(queries)) as pool:
        futures = {
            k: pool.submit(query_range, addr, q, start, end, step) for k, q in queries.items()
        }
        return {k: f.result() for k, f in futures.items()}


def _window() -> tuple[int, int, list[str]]:
    """``duration`` (s), ``endtime`` (Unix s) and ``queues`` (comma list) as Asynqmon reads them."""
    try:
        duration = int(request.args.get("duration", "3600"))
        end = int(request.args.get("endtime") or time.time())
    except ValueError:
        raise ValueError("'duration' and 'endtime' must be whole numbers of seconds") from None
    if not 0 < duration <= MAX_DURATION:
        raise ValueError(f"'duration' must be between 1 and {MAX_DURATION} seconds")
    queues = [q for q in request.args.get("queues", "").split(",") if q]
    return duration, end, queues


def _error(status: int, code: str, message: str) -> Any:
    return jsonify({"error": {"code": code, "message": message}}), status


@bp.get("/api/metrics")
def api_metrics() -> Any:
    """Asynqmon's ``GET /api/metrics``: Prometheus's answers to its nine queries."""
    addr = _addr()
    if not addr:
        return _error(404, "not_configured", "No Prometheus is configured: set PROMETHEUS_ADDR.")
    try:
        duration, end, queues = _window()
    except ValueError as exc:
        return _error(400, "bad_request", str(exc))
    queries = {k: apply_queue_filter(q, queues) for k, q in ASYNQMON_QUERIES.items()}
    try:
        answers = _many(addr, queries, end - duration, end, step_seconds(duration))
    except PrometheusError as exc:
        return _error(502, "prometheus_unavailable", str(exc))
    return jsonify(answers)


# -- the page ----------------------------------------------------------------------------------


def _series(answer: dict[str, Any], start: int, end: int, step: int) -> dict[str, Any]:
    """A Prometheus matrix as chart JSON: ISO labels on the step grid, one line per queue."""
    axis = list(range(start, end + 1, step))
    index = {t: i for i, t in enumerate(axis)}
    series: dict[str, list[float | None]] = {}
    for item in answer.get("data", {}).get("result", []):
        name = str(item.get("metric", {}).get("queue", "all"))
        line = series.setdefault(name, [None] * len(axis))
        for stamp, value in item.get("values", []):
            i = index.get(int(float(stamp)))
            if i is None:
                continue
            try:
                number = float(value)
            except ValueError:
                continue
            line[i] = None if number != number else number  # NaN (0/0) is a gap
    labels = [datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z") for t in axis]
    return {"kind": "line", "labels": labels, "series": dict(sorted(series.items()))}


def _page_context() -> dict[str, Any]:
    addr = _addr()
    range_key = request.args.get("range", DEFAULT_RANGE)
    if range_key not in RANGES:
        abort(400, f"'range' must be one of {', '.join(RANGES)}, got {range_key[:20]!r}.")
    queue = request.args.get("queue") or None
    context: dict[str, Any] = {
        "addr": addr,
        "ranges": RANGES,
        "range_key": range_key,
        "queue": queue,
        "queues": [],
        "charts": [],
        "error": None,
    }
    if not addr:
        return context
    context["queues"] = inspector().queues()
    duration = RANGES[range_key]
    step = step_seconds(duration)
    end = math.ceil(time.time())  # as Asynqmon, up to now: the newest sample always shows
    start = end - duration
    queries = {key: apply_queue_filter(q, [queue] if queue else []) for key, _, _, q in CHARTS}
    queries = {k: f"max by (queue) ({q})" for k, q in queries.items()}
    try:
        answers = _many(addr, queries, start, end, step)
    except PrometheusError as exc:
        context["error"] = str(exc)
        return context
    context["charts"] = [
        {"id": f"chart-prom-{key}", "title": title, "unit": unit, "data": _series(answers[key], start, end, step)}
        for key, title, unit, _ in CHARTS
    ]  # fmt: skip
    return context


@bp.get("/prometheus")
def index() -> Any:
    return render_template("prometheus.html", **_page_context())


@bp.get("/_fragments/prometheus")
def fragment() -> Any:
    """The polled part of the page."""
    return render_template("_prometheus_body.html", **_page_context())
