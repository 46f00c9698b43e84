"""Bulk actions on a filtered set: confirm with the count, then act in bounded steps.

Each step is one POST that reads at most ``scan_limit`` tasks from a cursor, acts on at most
``bulk_batch_size`` matches through the Inspector's batch calls, and answers with the progress
and the next step. The whole state of the job travels in the form (filter, cursor, totals),
so a step can be retried or resumed after a restart, and no request does unbounded work. With
htmx the next step is posted automatically; without JavaScript a button continues it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, url_for

from pyasynq.console import filters
from pyasynq.console.actions import LABELS, ROW_ACTIONS, STATES, run_batch
from pyasynq.console.backend import inspector
from pyasynq.console.presenters import plural
from pyasynq.extras.search import TaskFilter

bp = Blueprint("bulk", __name__)

STATE_RULE = "any(" + ", ".join(f'"{s}"' for s in STATES) + ")"
COUNTERS = ("done", "failed", "scanned", "matched")


def _action(state: str) -> str:
    action = request.form.get("action", "")
    if state == "active" or action not in ROW_ACTIONS[state]:
        allowed = [a for a in ROW_ACTIONS[state] if a != "cancel"]
        abort(400, f"'action' must be one of {', '.join(allowed) or 'nothing'} for {state} tasks.")
    return action


def _counter(name: str) -> int:
    raw = request.form.get(name) or "0"
    if not raw.isdigit():
        abort(400, f"'{name}' must be a whole number.")
    return int(raw)


def _list_url(queue: str, state: str, group: str | None, flt: TaskFilter) -> str:
    values: dict[str, Any] = {"queue": queue, "state": state, "group": group, **flt.to_params()}
    return url_for("queues.show", **values)


@bp.post(f"/queues/<name:queue>/<{STATE_RULE}:state>/bulk")
def confirm(queue: str, state: str) -> Any:
    """Count what the filter matches in one bounded scan and ask before acting."""
    action = _action(state)
    flt = filters.parse(request.form, state)
    group = request.form.get("group") or None
    insp = inspector()
    insp.get_queue_info(queue)
    limit = filters.scan_limit()
    probe = filters.run(insp, queue, state, flt, cursor=0, page_size=limit, group=group)
    matched = len(probe.tasks)
    if probe.exhausted:
        count_text = f"{plural(matched, f'{state} task')} match"
    else:
        count_text = (
            f"At least {plural(matched, f'{state} task')} matched in the first "
            f"{probe.scanned} read (of {probe.total}); the job continues through the rest"
        )
    return render_template(
        "bulk_confirm.html",
        queue=queue,
        state=state,
        action=action,
        label=LABELS[action],
        group=group,
        fparams=flt.to_params(),
        matched=matched,
        exhausted=probe.exhausted,
        count_text=count_text,
        back=_list_url(queue, state, group, flt),
    )


@bp.post(f"/queues/<name:queue>/<{STATE_RULE}:state>/bulk/step")
def step(queue: str, state: str) -> Any:
    """Act on the next batch of matches from ``cursor``; answer with progress and the next step."""
    action = _action(state)
    if request.form.get("confirmed") != "1":
        abort(400, "Confirm the bulk action first.")
    flt = filters.parse(request.form, state)
    group = request.form.get("group") or None
    cursor = filters.cursor_arg(request.form)
    totals = {name: _counter(name) for name in COUNTERS}
    cfg = current_app.config["CONSOLE"]
    insp = inspector()
    page = filters.run(
        insp, queue, state, flt, cursor=cursor, page_size=cfg.bulk_batch_size, group=group
    )
    ids = [t.id for t in page.tasks]
    outcome = run_batch(insp, queue, ids, action) if ids else None
    done = outcome.done if outcome else 0
    totals["done"] += done
    totals["failed"] += len(outcome.errors) if outcome else 0
    totals["scanned"] += page.scanned
    totals["matched"] += len(ids)
    # the tasks we moved or deleted left the container, so later ones moved up by `done`
    next_cursor = None if page.next_cursor is None else max(0, page.next_cursor - done)
    finished = next_cursor is None
    ctx = dict(
        queue=queue,
        state=state,
        action=action,
        label=LABELS[action],
        group=group,
        fparams=flt.to_params(),
        totals=totals,
        cursor=next_cursor,
        finished=finished,
        position=page.total if finished else next_cursor,
        total=max(page.total, 1),
        errors=dict(list((outcome.errors if outcome else {}).items())[:5]),
        message=_message(action, totals, finished),
        back=_list_url(queue, state, group, flt),
    )
    if request.headers.get("HX-Request"):
        return render_template("_bulk_progress.html", **ctx)
    return render_template("bulk_progress.html", **ctx)


def _message(action: str, totals: dict[str, int], finished: bool) -> str:
    verb = {"run": "Ran", "archive": "Archived", "delete": "Deleted"}[action]
    text = (
        f"{verb} {plural(totals['done'], 'task')} so far"
        if not finished
        else f"{verb} {plural(totals['done'], 'task')}"
    )
    if totals["failed"]:
        text += f"; {plural(totals['failed'], 'task')} failed"
    return text + f" ({totals['scanned']} read)"
