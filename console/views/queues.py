"""The queue page (one tab per task state) and every action on a queue or on many tasks.

Reads are GET; every change is a POST (CSRF-checked in guards) answered with a redirect back
and a flash message saying what happened. Bulk actions first answer with a confirmation page
that states how many tasks they will touch; the user's second POST carries ``confirmed=1``.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from pyasynq.console import filters
from pyasynq.console.actions import LABELS, ROW_ACTIONS, STATES, Outcome, run_all, run_batch
from pyasynq.console.backend import inspector
from pyasynq.console.guards import int_arg, safe_next
from pyasynq.console.presenters import format_data, plural, summary
from pyasynq.errors import (
    AsynqError,
    BrokerError,
    GroupNotFoundError,
    QueueNotEmptyError,
    QueueNotFoundError,
)

bp = Blueprint("queues", __name__)

STATE_RULE = "any(" + ", ".join(f'"{s}"' for s in STATES) + ")"
ALL_VERBS = 'any("run-all", "archive-all", "delete-all", "cancel-all")'
MAX_BATCH = 1000
"""Selected IDs per batch request: a page holds at most 100, this only stops abuse."""


def _config() -> Any:
    return current_app.config["CONSOLE"]


def _state_arg() -> str:
    state = request.args.get("state", "active")
    if state not in STATES:
        abort(400, f"'state' must be one of {', '.join(STATES)}, got {state[:30]!r}.")
    return state


class Row:
    """One task as a table row: the TaskInfo plus its formatted payload/result and worker."""

    def __init__(self, task: Any, worker: Any = None) -> None:
        cfg = _config()
        self.task = task
        self.worker = worker
        self.payload = summary(
            format_data(task.type, task.payload, cfg.payload_formatter), cfg.max_payload_length
        )
        self.result = summary(
            format_data(task.type, task.result, cfg.result_formatter), cfg.max_result_length
        )


def active_workers(insp: Any) -> dict[str, Any]:
    """task id -> WorkerInfo from live servers, for an active task's start time and deadline."""
    return {w.task_id: w for server in insp.servers() for w in server.active_workers}


def _list(insp: Any, queue: str, state: str, group: str | None, size: int, page: int) -> list[Any]:
    if state == "aggregating":
        if not group:
            return []
        try:
            return insp.list_aggregating_tasks(queue, group, page_size=size, page=page)  # type: ignore[no-any-return]
        except GroupNotFoundError:
            return []
    lister = {
        "active": insp.list_active_tasks,
        "pending": insp.list_pending_tasks,
        "scheduled": insp.list_scheduled_tasks,
        "retry": insp.list_retry_tasks,
        "archived": insp.list_archived_tasks,
        "completed": insp.list_completed_tasks,
    }[state]
    # a TaskPage: a list that also names the tasks whose data could not be decoded
    return lister(queue, page_size=size, page=page)  # type: ignore[no-any-return]


def _context(queue: str) -> dict[str, Any]:
    cfg = _config()
    state = _state_arg()
    page = int_arg("page", 1)
    size = int_arg("size", cfg.page_size, allowed=cfg.page_sizes)
    insp = inspector()
    info = insp.get_queue_info(queue)
    groups = list(insp.groups(queue)) if state == "aggregating" else []
    group = request.args.get("group") or (groups[0].group if groups else None)
    flt = filters.current(state)
    found = None
    if flt.active:  # bounded search from the cursor instead of pages (console/filters.py)
        found = filters.run(
            insp, queue, state, flt, cursor=filters.cursor_arg(), page_size=size, group=group
        )
        tasks = found.tasks
    else:
        tasks = _list(insp, queue, state, group, size, page)
    workers = active_workers(insp) if state == "active" and tasks else {}
    if state == "aggregating":
        total = next((g.size for g in groups if g.group == group), 0)
    else:
        total = getattr(info, state)
    last_page = max(1, math.ceil(total / size))
    return {
        "queue": queue,
        "info": info,
        "state": state,
        "states": STATES,
        "page": page,
        "size": size,
        "total": total,
        "last_page": last_page,
        "rows": [Row(t, workers.get(t.id)) for t in tasks],
        "groups": groups,
        "group": group,
        "actions": ROW_ACTIONS[state],
        "labels": LABELS,
        "filter": flt,
        "fparams": flt.to_params(),
        "found": found,
        "undecodable": list(getattr(tasks, "undecodable", ())),
    }


@bp.get("/queues/<name:queue>")
def show(queue: str) -> Any:
    return render_template("queue.html", **_context(queue))


@bp.get("/_fragments/queues/<name:queue>")
def fragment(queue: str) -> Any:
    """The polled part of the queue page (summary, tabs and the task table)."""
    return render_template("_queue_body.html", **_context(queue))


@bp.get("/queues/<name:queue>/goto")
def goto(queue: str) -> Any:
    """Search by ID: jump to the task page (which 404s when there is no such task)."""
    task_id = request.args.get("id", "").strip()
    if not task_id:
        abort(400, "Enter a task ID to look for.")
    return redirect(url_for("tasks.show", queue=queue, task_id=task_id), 303)


# -- queue actions ------------------------------------------------------------------------------


def _back(default: str) -> Any:
    return redirect(safe_next(default), 303)


def _flash_error(exc: Exception) -> None:
    flash(str(exc), "error")


@bp.post("/queues/<name:queue>/pause")
def pause(queue: str) -> Any:
    inspector().get_queue_info(queue)  # 404 for an unknown queue, never create one
    try:
        inspector().pause_queue(queue)
        flash(f'Paused queue "{queue}": workers stop taking its tasks.', "success")
    except AsynqError as exc:
        if isinstance(exc, BrokerError | QueueNotFoundError):
            raise
        _flash_error(exc)
    return _back(url_for("dashboard.index"))


@bp.post("/queues/<name:queue>/unpause")
def unpause(queue: str) -> Any:
    inspector().get_queue_info(queue)
    try:
        inspector().unpause_queue(queue)
        flash(f'Resumed queue "{queue}".', "success")
    except AsynqError as exc:
        if isinstance(exc, BrokerError | QueueNotFoundError):
            raise
        _flash_error(exc)
    return _back(url_for("dashboard.index"))


@bp.post("/queues/<name:queue>/delete")
def delete(queue: str) -> Any:
    """Delete a queue; asks first, and a non-empty queue needs the explicit force option."""
    insp = inspector()
    info = insp.get_queue_info(queue)
    force = request.form.get("force") == "1"
    if request.form.get("confirmed") != "1":
        return render_template(
            "confirm_queue_delete.html",
            queue=queue,
            info=info,
            states=STATES,
            next=safe_next(url_for("dashboard.index")),
        )
    try:
        insp.delete_queue(queue, force=force)
    except QueueNotEmptyError:
        flash(
            f'Queue "{queue}" is not empty ({plural(info.size, "task")}); tick "also delete its tasks" to force it.',
            "error",
        )
        return redirect(url_for("dashboard.index"), 303)
    except AsynqError as exc:
        if isinstance(exc, BrokerError | QueueNotFoundError):
            raise
        _flash_error(exc)
        return redirect(url_for("dashboard.index"), 303)
    flash(f'Deleted queue "{queue}".', "success")
    return redirect(url_for("dashboard.index"), 303)


# -- bulk task actions ------------------------------------------------------------------------


def _verb_action(verb: str) -> str:
    return verb.removesuffix("-all")


def _queue_page(queue: str, state: str, group: str | None = None) -> str:
    args: dict[str, Any] = {"queue": queue, "state": state}
    if group:
        args["group"] = group
    return url_for("queues.show", **args)


def _confirm(**ctx: Any) -> Any:
    return render_template("confirm.html", **ctx)


@bp.post(f"/queues/<name:queue>/<{STATE_RULE}:state>/<{ALL_VERBS}:verb>")
def state_all(queue: str, state: str, verb: str) -> Any:
    """Run/archive/delete (or cancel) every task in one state of a queue."""
    action = _verb_action(verb)
    if action not in ROW_ACTIONS[state]:
        abort(400, f"{LABELS[action]} is not possible for {state} tasks.")
    group = request.values.get("group") or None
    if state == "aggregating" and not group:
        abort(400, "Choose a group first: aggregating actions apply to one group.")
    back = _queue_page(queue, state, group)
    insp = inspector()
    info = insp.get_queue_info(queue)
    if state == "aggregating":
        count = next((g.size for g in insp.groups(queue) if g.group == group), 0)
    else:
        count = getattr(info, state)
    if request.form.get("confirmed") != "1":
        where = f' in group "{group}"' if group else ""
        return _confirm(
            title=f"{LABELS[action]} all {state} tasks?",
            question=f'{LABELS[action]} all {plural(count, f"{state} task")}{where} of queue "{queue}"?',
            count=count,
            action=action,
            action_url=url_for(
                "queues.state_all", queue=queue, state=state, verb=verb, group=group
            ),
            ids=[],
            group=group,
            back=back,
            queue=queue,
        )
    try:
        outcome = run_all(insp, queue, state, action, group)
    except AsynqError as exc:
        if isinstance(exc, BrokerError | QueueNotFoundError):
            raise
        _flash_error(exc)
        return redirect(back, 303)
    flash(outcome.message(), "error" if outcome.errors else "success")
    return redirect(back, 303)


@bp.post(f"/queues/<name:queue>/<{STATE_RULE}:state>/batch")
def batch(queue: str, state: str) -> Any:
    """Run one action on the rows ticked on the page (form field ``ids``)."""
    action = request.form.get("action", "")
    if action not in ROW_ACTIONS[state]:
        abort(400, f"'action' must be one of {', '.join(ROW_ACTIONS[state])} for {state} tasks.")
    ids = list(dict.fromkeys(i for i in request.form.getlist("ids") if i))
    group = request.form.get("group") or None
    back = safe_next(_queue_page(queue, state, group))
    if not ids:
        flash("Select at least one task first.", "error")
        return redirect(back, 303)
    if len(ids) > MAX_BATCH:
        abort(400, f"At most {MAX_BATCH} tasks per batch.")
    insp = inspector()
    insp.get_queue_info(queue)  # 404 for an unknown queue before anything else
    if request.form.get("confirmed") != "1":
        return _confirm(
            title=f"{LABELS[action]} {plural(len(ids), 'task')}?",
            question=f'{LABELS[action]} {plural(len(ids), f"selected {state} task")} of queue "{queue}"?',
            count=len(ids),
            action=action,
            action_url=url_for("queues.batch", queue=queue, state=state),
            ids=ids,
            group=group,
            back=back,
            queue=queue,
        )
    outcome: Outcome = run_batch(insp, queue, ids, action)
    flash(outcome.message(), "error" if outcome.errors else "success")
    return redirect(back, 303)
