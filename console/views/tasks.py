"""The task page (every field of one task) and the actions on a single task."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for

from pyasynq.console.actions import LABELS, ROW_ACTIONS, allowed, run_one
from pyasynq.console.backend import inspector
from pyasynq.console.guards import safe_next
from pyasynq.console.presenters import preview_view
from pyasynq.console.security import content_disposition
from pyasynq.console.views.queues import active_workers
from pyasynq.errors import AsynqError, BrokerError, QueueNotFoundError, TaskNotFoundError
from pyasynq.extras.previews import get_task_preview, task_bytes

bp = Blueprint("tasks", __name__)

TASK_ACTIONS = 'any("run", "archive", "delete", "cancel")'


def _actions(task: Any) -> tuple[str, ...]:
    """The actions this task's state allows; an orphaned task has no worker to cancel."""
    actions = ROW_ACTIONS[str(task.state)]
    if task.is_orphaned:
        actions = tuple(a for a in actions if a != "cancel")
    return actions


def _context(queue: str, task_id: str) -> dict[str, Any]:
    cfg = current_app.config["CONSOLE"]
    insp = inspector()
    task = get_task_preview(insp, queue, task_id, limit=cfg.inline_payload_limit)
    worker = active_workers(insp).get(task.id) if str(task.state) == "active" else None
    expires_at = None
    if task.completed_at is not None and task.retention:
        try:
            expires_at = task.completed_at + task.retention
        except OverflowError:  # a time or duration out of range: each is shown as invalid
            expires_at = None
    ttl: timedelta | None = None
    if expires_at is not None:
        ttl = expires_at - datetime.now(UTC)
    return {
        "queue": queue,
        "task": task,
        "state": str(task.state),
        "worker": worker,
        "payload": preview_view(task.type, task.payload, task.payload_size, cfg.payload_formatter),
        "result": preview_view(task.type, task.result, task.result_size, cfg.result_formatter),
        "expires_at": expires_at,
        "ttl": ttl,
        "actions": _actions(task),
        "labels": LABELS,
    }


@bp.get("/queues/<name:queue>/tasks/<name:task_id>")
def show(queue: str, task_id: str) -> Any:
    return render_template("task.html", **_context(queue, task_id))


@bp.get("/_fragments/queues/<name:queue>/tasks/<name:task_id>")
def fragment(queue: str, task_id: str) -> Any:
    return render_template("_task_body.html", **_context(queue, task_id))


DOWNLOAD_CHUNK = 256 * 1024


def download_response(queue: str, task_id: str, what: str) -> Response:
    """The whole payload or result as a download, sent in chunks (shared with the JSON API).

    Pages and APIs show a bounded preview; this is the one place that reads all the bytes.
    """
    data = task_bytes(inspector(), queue, task_id, what)

    def chunks() -> Any:
        view = memoryview(data)
        for start in range(0, len(view), DOWNLOAD_CHUNK):
            yield bytes(view[start : start + DOWNLOAD_CHUNK])

    resp = Response(chunks(), mimetype="application/octet-stream")
    resp.headers["Content-Length"] = str(len(data))
    resp.headers["Content-Disposition"] = content_disposition(f"{task_id}-{what}.bin")
    return resp


@bp.get("/queues/<name:queue>/tasks/<name:task_id>/download/<any(payload, result):what>")
def download(queue: str, task_id: str, what: str) -> Response:
    return download_response(queue, task_id, what)


@bp.post(f"/queues/<name:queue>/tasks/<name:task_id>/<{TASK_ACTIONS}:action>")
def act(queue: str, task_id: str, action: str) -> Any:
    """Run, archive, delete or cancel one task, if its current state allows it."""
    insp = inspector()
    task_page = url_for("tasks.show", queue=queue, task_id=task_id)
    queue_page = url_for("queues.show", queue=queue)
    try:
        task = insp.get_task_info(queue, task_id)
    except TaskNotFoundError:
        flash(f'Task {task_id} no longer exists in queue "{queue}".', "error")
        return redirect(queue_page, 303)
    state = str(task.state)
    back = safe_next(url_for("queues.show", queue=queue, state=state))
    if not allowed(state, action) or (action == "cancel" and task.is_orphaned):
        flash(
            f"Cannot {action} task {task_id}: it is {'orphaned' if task.is_orphaned else state}.",
            "error",
        )
        return redirect(back, 303)
    try:
        run_one(insp, queue, task_id, action)
    except AsynqError as exc:
        if isinstance(exc, BrokerError | QueueNotFoundError):
            raise
        flash(str(exc), "error")
        return redirect(back, 303)
    done = {
        "run": f"Task {task_id} moved to pending.",
        "archive": f"Archived task {task_id}.",
        "delete": f"Deleted task {task_id}.",
        "cancel": f"Sent a cancel signal to task {task_id}.",
    }[action]
    flash(done, "success")
    if action == "delete" and back == task_page:
        back = url_for("queues.show", queue=queue, state=state)
    return redirect(back, 303)
