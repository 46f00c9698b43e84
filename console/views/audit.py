"""The audit page (``<root>/audit``) and its JSON export (``<root>/api/audit``)."""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request

from pyasynq.console.audit import audit_log
from pyasynq.console.guards import int_arg

bp = Blueprint("audit", __name__)

PAGE_SIZES = (20, 50, 100, 200)


LOGS = ("actions", "refused")
"""``?log=refused`` reads the separate list of refused requests (failed sign-ins, 401/403/...)."""


def _which() -> str:
    which = request.args.get("log", "actions")
    if which not in LOGS:
        abort(400, "'log' must be actions or refused.")
    return which


def _page() -> tuple[int, int, int, list[Any]]:
    size = int_arg("size", 50, allowed=PAGE_SIZES)
    page = int_arg("page", 1)
    log = audit_log(refused=_which() == "refused")
    total = log.count()
    last_page = max(1, math.ceil(total / size))
    if page > last_page:
        page = last_page  # bounded: a huge page number reads nothing from Redis
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
        log=_which(),
    )


@bp.get("/api/audit")
def api() -> Any:
    """``{"total", "page", "size", "entries": [...]}``, newest first."""
    page, size, total, entries = _page()
    response = jsonify(
        {
            "log": _which(),
            "total": total,
            "page": page,
            "size": size,
            "entries": [e.to_json() for e in entries],
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response
