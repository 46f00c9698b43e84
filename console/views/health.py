"""``/health``: one PING, for load balancers that call it every second."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from pyasynq.console.backend import backend
from pyasynq.errors import BrokerError

bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> Any:
    """200 ``{"status": "ok"}`` when Redis answers PING, else 503 with the reason.

    Only a PING: no queue scans, so it stays cheap however big the queues are.
    """
    try:
        backend().ping()
    except BrokerError as exc:
        body, status = {"status": "unavailable", "redis": "down", "error": str(exc)}, 503
    else:
        body, status = {"status": "ok", "redis": "up"}, 200
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
