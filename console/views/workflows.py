"""Workflow pages: the list (newest first) and one workflow's stages, members and outcome,
plus its cancel button. Reads and acts only through the Inspector."""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for

from pyasynq.console.backend import inspector
from pyasynq.console.guards import int_arg, safe_next
from pyasynq.console.presenters import format_data
from pyasynq.errors import AsynqError, BrokerError, WorkflowNotFoundError

bp = Blueprint("workflows", __name__)

BADGES = {
    # workflow states
    "running": "active",
    "succeeded": "completed",
    "failed": "archived",
    # member states (task states keep their own badge)
    "waiting": "scheduled",
    "enqueued": "pending",
    "lost": "archived",
    "cancelled": "paused",
}


@bp.app_template_filter("workflow_badge")
def workflow_badge(state: str) -> str:
    """The badge colour class suffix of a workflow or member state."""
    return BADGES.get(state, state)


def _list_context() -> dict[str, Any]:
    cfg = current_app.config["CONSOLE"]
    page = int_arg("page", 1)
    size = int_arg("size", cfg.page_size, allowed=cfg.page_sizes)
    found, total = inspector().list_workflows(page, size)
    return {
        "workflows": found,
        "page": page,
        "size": size,
        "total": total,
        "last_page": max(1, math.ceil(total / size)),
    }


@bp.get("/workflows")
def index() -> Any:
    return render_template("workflows.html", **_list_context())


@bp.get("/_fragments/workflows")
def fragment() -> Any:
    return render_template("_workflows_body.html", **_list_context())


def _detail_context(workflow_id: str) -> dict[str, Any]:
    cfg = current_app.config["CONSOLE"]
    try:
        info = inspector().get_workflow(workflow_id)
    except WorkflowNotFoundError as exc:
        abort(404, str(exc))
    results = {
        m.id: format_data(m.type, m.result, cfg.result_formatter)
        for m in info.members
        if m.result is not None
    }
    return {"wf": info, "results": results}


@bp.get("/workflows/<workflow_id>")
def show(workflow_id: str) -> Any:
    return render_template("workflow.html", **_detail_context(workflow_id))


@bp.get("/_fragments/workflows/<workflow_id>")
def show_fragment(workflow_id: str) -> Any:
    return render_template("_workflow_body.html", **_detail_context(workflow_id))


@bp.post("/workflows/<workflow_id>/cancel")
def cancel(workflow_id: str) -> Any:
    try:
        info = inspector().cancel_workflow(workflow_id)
        if info.state == "cancelled":
            flash(
                f"Cancelled workflow {workflow_id}: pending members deleted, running ones "
                "asked to stop.",
                "success",
            )
        else:
            flash(f"Workflow {workflow_id} had already {info.state}; nothing to cancel.", "info")
    except AsynqError as exc:
        if isinstance(exc, BrokerError):
            raise
        flash(str(exc), "error")
    return redirect(safe_next(url_for("workflows.show", workflow_id=workflow_id)), 303)
