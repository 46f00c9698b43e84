"""Enqueue a task from the console, edit a waiting task's payload, and reschedule it.

Every change is a POST (CSRF and read-only are checked in guards) answered with a redirect
and a flash; a form with a mistake is shown again with the values kept and a 400.
"""

from __future__ import annotations

import base64
import time
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from pyasynq.console import forms
from pyasynq.console.backend import inspector
from pyasynq.console.guards import safe_next
from pyasynq.errors import (
    AsynqError,
    BrokerError,
    DuplicateTaskError,
    QueueNotFoundError,
    TaskIDConflictError,
)
from pyasynq.task import Task

bp = Blueprint("edit", __name__)


def _form(values: dict[str, Any], error: str | None = None, status: int = 200) -> Any:
    queues = inspector().queues()
    return render_template("enqueue.html", values=values, error=error, queues=queues), status


@bp.get("/enqueue")
def enqueue_form() -> Any:
    values = {"queue": request.args.get("queue", "default"), "format": "json", "payload": "{}"}
    return _form(values)


@bp.post("/enqueue")
def enqueue() -> Any:
    values = {k: request.form.get(k, "") for k in forms.ENQUEUE_FIELDS}
    try:
        task_type, payload, options = forms.enqueue_request(values)
        info = inspector().enqueue(Task(task_type, payload), **options)
    except (ValueError, TypeError) as exc:
        return _form(values, str(exc), 400)
    except (DuplicateTaskError, TaskIDConflictError) as exc:
        return _form(values, str(exc), 409)
    flash(
        f'Enqueued task {info.id} ({info.type}) in queue "{info.queue}" as {info.state}.', "success"
    )
    return redirect(url_for("tasks.show", queue=info.queue, task_id=info.id), 303)


def _task_page(queue: str, task_id: str) -> str:
    return url_for("tasks.show", queue=queue, task_id=task_id)


@bp.post("/queues/<name:queue>/tasks/<name:task_id>/payload")
def update_payload(queue: str, task_id: str) -> Any:
    """Replace the payload of a pending, scheduled, retry or archived task."""
    back = safe_next(_task_page(queue, task_id))
    try:
        data = forms.payload_bytes(
            request.form.get("payload", ""), request.form.get("format", "text")
        )
        inspector().update_task_payload(queue, task_id, data)
    except ValueError as exc:
        flash(f"Payload not saved: {exc}", "error")
        return redirect(back, 303)
    except AsynqError as exc:
        if isinstance(exc, BrokerError | QueueNotFoundError):
            raise
        flash(f"Payload not saved: {exc}", "error")
        return redirect(back, 303)
    flash(f"Saved the new payload of task {task_id} ({len(data)} bytes).", "success")
    return redirect(back, 303)


@bp.post("/queues/<name:queue>/tasks/<name:task_id>/reschedule")
def reschedule(queue: str, task_id: str) -> Any:
    """Process a waiting task at a new time (pending and archived tasks become scheduled)."""
    back = safe_next(_task_page(queue, task_id))
    try:
        at = forms.reschedule_time(request.form, time.time())
        info = inspector().reschedule_task(queue, task_id, at)
    except ValueError as exc:
        flash(f"Not rescheduled: {exc}", "error")
        return redirect(back, 303)
    except AsynqError as exc:
        if isinstance(exc, BrokerError | QueueNotFoundError):
            raise
        flash(f"Not rescheduled: {exc}", "error")
        return redirect(back, 303)
    flash(
        f"Task {task_id} will run at {info.next_process_at:%Y-%m-%d %H:%M:%S} UTC ({info.state}).",
        "success",
    )
    return redirect(back, 303)


def payload_text(data: bytes) -> tuple[str, str]:
    """(text, format) to prefill the edit box: JSON or text as is, other bytes as base64."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return base64.b64encode(data).decode("ascii"), "base64"
    try:
        import json

        json.loads(text)
        return text, "json"
    except ValueError:
        return text, "text"


@bp.app_template_global("editable_payload")
def editable_payload(data: bytes) -> tuple[str, str]:
    return payload_text(data)
