"""The queue page (one tab per task state) and every action on a queue or on many tasks.

Reads are GET; every change is a POST (CSRF-checked in guards) answered with a redirect back
and a flash message saying what happened. Bulk actions first answer with a confirmation page
that states how many tasks they will touch; the user's second POST carries ``confirmed=1``.
"""

from __future__ import annotations

import math
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from pyasynq.console import filters
from pyasynq.console.actions import LABELS, ROW_ACTIONS, STATES, Outcome, run_all, run_batch
from pyasynq.console.backend import inspector
from pyasynq.console.guards import int_arg, safe_next
from pyasynq.console.presenters import list_preview_bytes, plural, preview_view, summary
from pyasynq.errors import (
    AsynqError,
    BadDataError,
    BrokerError,
    GroupNotFoundError,
    QueueNotEmptyError,
    QueueNotFoundError,
)
from pyasynq.extras.previews import list_task_previews

bp = Blueprint("queues", __name__)

STATE_RULE = "any(" + ", ".join(f'"{s}"' for s in STATES) + ")"
ALL_VERBS = 'any("run-all", "archive-all", "delete-all", "cancel-all")'
MAX_BATCH = 1000
"""Selected IDs per batch request: a page holds at most 100, this only stops abuse."""


def _config() -> Any:
    return current_app.config["CONSOLE"]


DEFAULT_TAB_ORDER = (
    "pending",
    "retry",
    "active",
    "archived",
    "scheduled",
    "aggregating",
    "completed",
)
"""The tab a queue page opens on when the URL names none: the first that holds tasks, in this
order. Pending first because the backlog is what an operator opening a queue usually comes to
see (it is what latency measures and it stays put between refreshes, unlike Active, which is
usually empty or gone a second later); then Retry, the tasks failing right now; then the rest."""

PAGE_SIZE_COOKIE = "pyasynq_page_size"

COLUMNS: dict[str, tuple[tuple[str, bool], ...]] = {
    "active": (("Status", False), ("Started", False), ("Deadline", False)),
    "pending": (("Retried", True), ("Max retry", True)),
    "aggregating": (("Group", False),),
    "scheduled": (("Process in", False),),
    "retry": (("Retry in", False), ("Last error", False), ("Retried", True), ("Max retry", True)),
    "archived": (("Last failed", False), ("Last error", False)),
    "completed": (("Completed", False), ("Result", False), ("TTL", False)),
}
"""The columns a state's table adds after ID, Type and Payload: (header, numeric)."""


def default_state(info: Any) -> str:
    """The most useful tab for a queue (see ``DEFAULT_TAB_ORDER``); Pending when all are empty."""
    return next((s for s in DEFAULT_TAB_ORDER if getattr(info, s, 0)), "pending")


def _state_arg(info: Any = None) -> str:
    state = request.args.get("state")
    if state is None or state == "":
        return default_state(info) if info is not None else "pending"
    if state not in STATES:
        abort(400, f"'state' must be one of {', '.join(STATES)}, got {state[:30]!r}.")
    return state


def _page_size(cfg: Any) -> int:
    """``size`` from the URL, else the one this browser last chose (cookie), else the default."""
    remembered = request.cookies.get(PAGE_SIZE_COOKIE, "")
    default = int(remembered) if remembered.isdigit() else cfg.page_size
    if default not in cfg.page_sizes:
        default = cfg.page_size
    return int_arg("size", default, allowed=cfg.page_sizes)


def _remember_page_size(response: Any) -> Any:
    """A ``size`` chosen in the URL becomes this browser's default rows per page."""
    size = request.args.get("size", "")
    cfg = _config()
    if size.isdigit() and int(size) in cfg.page_sizes:
        response.set_cookie(
            PAGE_SIZE_COOKIE,
            size,
            max_age=365 * 86400,
            path=request.script_root or "/",
            samesite="Lax",
            httponly=True,
        )
    return response


class Row:
    """One task as a table row: the TaskInfo plus its formatted payload/result and worker."""

    def __init__(self, task: Any, worker: Any = None) -> None:
        cfg = _config()
        self.task = task
        self.worker = worker
        self.payload = summary(
            preview_view(task.type, task.payload, task.payload_size, cfg.payload_formatter),
            cfg.max_payload_length,
        )
        self.result = summary(
            preview_view(task.type, task.result, task.result_size, cfg.result_formatter),
            cfg.max_result_length,
        )


def active_workers(insp: Any) -> dict[str, Any]:
    """task id -> WorkerInfo from live servers, for an active task's start time and deadline."""
    return {w.task_id: w for server in insp.servers() for w in server.active_workers}


def _list(insp: Any, queue: str, state: str, group: str | None, size: int, page: int) -> list[Any]:
    """A TaskPage (a list that also names the tasks whose data could not be decoded).

    Payloads and results are previews cut inside Redis (pyasynq.extras.previews), so a page of huge
    tasks costs the page's size, not the payloads'. Completed is newest first.
    """
    if state == "aggregating" and not group:
        return []
    try:
        return list_task_previews(
            insp,
            queue,
            state,
            page_size=size,
            page=page,
            limit=list_preview_bytes(_config()),
            group=group,
            newest_first=state == "completed",
        )
    except GroupNotFoundError:
        return []


def _context(queue: str) -> dict[str, Any]:
    cfg = _config()
    page = int_arg("page", 1)
    size = _page_size(cfg)
    insp = inspector()
    info = insp.get_queue_info(queue)
    state = _state_arg(info)
    flt = filters.current(state)
    found, groups, group, list_problem = None, [], None, ""
    try:  # a state whose key holds bad data is named; the rest of the queue page still shows
        groups = list(insp.groups(queue)) if state == "aggregating" else []
        group = request.args.get("group") or (groups[0].group if groups else None)
        if flt.active:  # bounded search from the cursor instead of pages (console/filters.py)
            found = filters.run(
                insp, queue, state, flt, cursor=filters.cursor_arg(), page_size=size, group=group
            )
            tasks = found.tasks
        else:
            tasks = _list(insp, queue, state, group, size, page)
    except BadDataError as exc:
        tasks, list_problem = [], str(exc)
    queue_names = insp.queues()
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
        "columns": COLUMNS[state],
        "labels": LABELS,
        "filter": flt,
        "fparams": flt.to_params(),
        "found": found,
        "undecodable": list(getattr(tasks, "undecodable", ())),
        "queue_names": queue_names,
        "task_problems": dict(getattr(tasks, "problems", {})),
        "list_problem": list_problem,
    }


@bp.get("/queues/<name:queue>")
def show(queue: str) -> Any:
    return _remember_page_size(make_response(render_template("queue.html", **_context(queue))))


@bp.get("/_fragments/queues/<name:queue>")
def fragment(queue: str) -> Any:
    """The polled part of the queue page (summary, tabs and the task table)."""
    return render_template("_queue_body.html", **_context(queue))


@bp.get("/switch-queue")
def switch() -> Any:
    """The queue switcher's target: the chosen queue's page, on the same tab when one is given."""
    queue = request.args.get("queue", "").strip()
    if not queue:  # nothing chosen (a bookmark, a crawler): the dashboard lists every queue
        return redirect(url_for("dashboard.index"), 303)
    state = request.args.get("state") or None
    if state is not None and state not in STATES:
        state = None
    return redirect(url_for("queues.show", queue=queue, state=state), 303)


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
    back = safe_next(url_for("dashboard.index"))
    try:
        insp.delete_queue(queue, force=force)
    except QueueNotEmptyError:
        flash(
            f'Queue "{queue}" is not empty ({plural(info.size, "task")}); tick "also delete its tasks" to force it.',
            "error",
        )
        return redirect(back, 303)
    except AsynqError as exc:
        if isinstance(exc, BrokerError | QueueNotFoundError):
            raise
        _flash_error(exc)
        return redirect(back, 303)
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
    back = safe_next(_queue_page(queue, state, group))
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
