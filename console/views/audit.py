"""The audit page (``<root>/audit``) and its JSON export (``<root>/api/audit``)."""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, jsonify, render_template

from pyasynq.console.audit import audit_log
from pyasynq.console.guards import int_arg

bp = Blueprint("audit", __name__)

PAGE_SIZES = (20, 50, 100, 200)


def _page() -> tuple[int, int, int, list[Any]]:
    size = int_arg("size", 50, allowed=PAGE_SIZES)
    page = int_arg("page", 1)
    log = audit_log()
    total = log.count()
    return page, size, total, log.list(page, size)


@bp.get("/audit")
def index() -> Any:
    page, size, total, entries = _page()
    return render_template(
        "audit.html",
        entries=entries,
        page=page,
        size=size,
        total=total,
        last_page=max(1, math.ceil(total / size)),
    )


@bp.get("/api/audit")
def api() -> Any:
    """``{"total", "page", "size", "entries": [...]}``, newest first."""
    page, size, total, entries = _page()
    response = jsonify(
        {"total": total, "page": page, "size": size, "entries": [e.to_json() for e in entries]}
    )
    response.headers["Cache-Control"] = "no-store"
    return response
