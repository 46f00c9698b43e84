"""The JSON API under ``<root>/api/``: every read and action the pages offer.

Guards are the pages' guards, adapted to clients without a session:

* read-only mode refuses every write with 403 (checked in ``guards``, for the whole app);
* a write (any method but GET/HEAD/OPTIONS) must carry either ``Authorization: Bearer
  <api_token>`` (API clients; only when ``api_token`` is configured) or the session's CSRF
  token in ``X-CSRF-Token`` (the console's own pages and scripts). A Bearer token that does
  not match (or any Bearer token when none is configured) is a 403; no or a wrong CSRF token
  is a 400, exactly as for the pages' forms;
* reads need nothing more than the pages do (the sign-in of ``pyasynq.console.auth`` covers both).

Errors are ``{"error": {"code": ..., "message": ...}}`` with 400/401/403/404/409/503 and never
a traceback. The OpenAPI 3.1 description is served at ``/api/openapi.json`` (console/openapi.py).
"""

from __future__ import annotations

import hmac
import logging
import time
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request, session, url_for
from werkzeug.exceptions import HTTPException

from pyasynq.console import filters, forms, serialize
from pyasynq.console.actions import ROW_ACTIONS, STATES, allowed, run_all, run_batch, run_one
from pyasynq.console.backend import inspector
from pyasynq.console.errors import HANDLED, UNEXPECTED, reply_for
from pyasynq.console.guards import CSRF_FIELD, CSRF_HEADER, SAFE_METHODS
from pyasynq.console.presenters import list_preview_bytes
from pyasynq.console.queue_table import TableParamError, build_table, parse_params
from pyasynq.console.views.queues import MAX_BATCH, _list
from pyasynq.extras.previews import get_task_preview
from pyasynq.task import Task

log = logging.getLogger("console")

bp = Blueprint("api", __name__, url_prefix="/api")

STATE_RULE = "any(" + ", ".join(f'"{s}"' for s in STATES) + ")"
TASK_ACTIONS = 'any("run", "archive", "delete", "cancel")'
CRON_ACTIONS = 'any("run", "pause", "resume")'


# -- guards and errors ------------------------------------------------------------------------


def _error(status: int, code: str, message: str) -> Any:
    return jsonify({"error": {"code": code, "message": message}}), status


@bp.before_request
def _check_write() -> None:
    """CSRF header (browser session) or the configured Bearer token, for every write."""
    if request.method in SAFE_METHODS:
        return
    cfg = current_app.config["CONSOLE"]
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        if cfg.api_token and hmac.compare_digest(token.strip().encode(), cfg.api_token.encode()):
            return
        abort(
            403,
            "The API token is not valid."
            if cfg.api_token
            else "This console accepts no API token (api_token is not set).",
        )
    sent = request.headers.get(CSRF_HEADER, "")
    expected = session.get(CSRF_FIELD)
    if (
        sent
        and isinstance(expected, str)
        and expected
        and hmac.compare_digest(sent.encode(), expected.encode())
    ):
        return
    hint = " or 'Authorization: Bearer <api token>'" if cfg.api_token else ""
    abort(
        400, f"Writes need the console session's security token in the X-CSRF-Token header{hint}."
    )


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException) -> Any:
    reply = reply_for(exc)
    message = reply.message
    if reply.status == 404 and message.startswith("The requested URL"):
        message = "There is no API endpoint at this address."
    return _error(reply.status, reply.code, message)


def _engine_error(exc: Exception) -> Any:
    """An engine error as JSON, by the console's one error table (``console.errors``)."""
    reply = reply_for(exc)
    return _error(reply.status, reply.code, reply.message)


for _kind in HANDLED:
    bp.register_error_handler(_kind, _engine_error)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> Any:
    log.exception("unhandled API error on %s %s", request.method, request.path)
    return _error(UNEXPECTED.status, UNEXPECTED.code, UNEXPECTED.message)


def _body() -> dict[str, Any]:
    """The JSON object body, or the form fields; anything else is a 400.

    Bodies are at most 2 MiB (413 beyond); JSON nested too deeply for the parser is a 400.
    """
    if request.is_json:
        try:
            data = request.get_json(silent=True)
        except RecursionError:
            abort(400, "The JSON body is nested too deeply.")
        if not isinstance(data, dict):
            abort(400, "The body must be a JSON object.")
        return data
    return request.form.to_dict()


def _scalars(body: dict[str, Any]) -> dict[str, str]:
    """Fields that must be plain values (filters, cursor, action) as text; a list or object is a 400."""
    out = {}
    for key, value in body.items():
        if value is None:
            continue
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            abort(400, f"'{str(key)[:40]}' must be a string or a number.")
        out[key] = str(value)
    return out


def _int(name: str, default: int, *, low: int = 1, high: int = 10_000) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        abort(400, f"'{name}' must be a whole number.")
    if not low <= value <= high:
        abort(400, f"'{name}' must be from {low} to {high}.")
    return value


# -- queues -----------------------------------------------------------------------------------


QUEUES_PAGE_SIZE = 50
QUEUES_MAX_PAGE_SIZE = 1000


@bp.get("/queues")
def queues() -> Any:
    """A page of queues, searched and sorted server-side (console/queue_table.py): every queue's
    full info for thousands of queues took hundreds of milliseconds, so the list is paged by
    default (``total``, ``page``, ``size``, ``pages`` say where you are). ``totals`` sums every
    queue from the light counts when asked (``?totals=1``) or when sorting by a count (then
    they are read anyway); sorted by name, a page reads only its own queues. A queue with bad
    data comes with its "problems"."""
    try:
        params = parse_params(
            request.args, default_size=QUEUES_PAGE_SIZE, max_size=QUEUES_MAX_PAGE_SIZE
        )
    except TableParamError as exc:
        abort(400, str(exc))
    with_totals = request.args.get("totals", "") not in ("", "0", "false")
    table = build_table(inspector(), params, totals=with_totals)
    return jsonify(
        {
            "queues": [serialize.plain(info) for info in table.rows],
            "total": table.matched,
            "page": table.page,
            "size": params.size,
            "pages": table.pages,
            "q": params.q,
            "sort": params.sort,
            "order": params.order,
            "totals": table.totals or None,
        }
    )


@bp.get("/queues/<name:queue>")
def queue_info(queue: str) -> Any:
    return jsonify(serialize.plain(inspector().get_queue_info(queue)))


@bp.get("/queues/<name:queue>/history")
def queue_history(queue: str) -> Any:
    days = _int("days", 7, high=90)
    return jsonify({"history": serialize.plain(inspector().history(queue, days))})


@bp.post("/queues/<name:queue>/<any(pause, unpause):verb>")
def queue_pause(queue: str, verb: str) -> Any:
    insp = inspector()
    insp.get_queue_info(queue)
    (insp.pause_queue if verb == "pause" else insp.unpause_queue)(queue)
    return jsonify({"queue": queue, "paused": verb == "pause"})


@bp.post("/queues/<name:queue>/delete")
def queue_delete(queue: str) -> Any:
    force = request.args.get("force", "").lower() in ("1", "true", "yes")
    inspector().delete_queue(queue, force=force)
    return jsonify({"queue": queue, "deleted": True})


@bp.get("/queues/<name:queue>/groups")
def queue_groups(queue: str) -> Any:
    inspector().get_queue_info(queue)
    return jsonify({"groups": serialize.plain(inspector().groups(queue))})


# -- task lists, filters and bulk ----------------------------------------------------------------


@bp.get(f"/queues/<name:queue>/states/<{STATE_RULE}:state>/tasks")
def list_tasks(queue: str, state: str) -> Any:
    """A page (``page``, ``size``), or with any filter a bounded search from ``cursor``."""
    flt = filters.current(state)
    group = request.args.get("group") or None
    size = _int("size", 20, high=1000)
    limit = list_preview_bytes(current_app.config["CONSOLE"])
    insp = inspector()
    insp.get_queue_info(queue)
    if flt.active or "cursor" in request.args:
        found = filters.run(
            insp, queue, state, flt, cursor=filters.cursor_arg(), page_size=size, group=group
        )
        return jsonify(
            {
                "tasks": [serialize.task(t, limit) for t in found.tasks],
                "filter": flt.to_params(),
                "cursor": found.cursor,
                "next_cursor": found.next_cursor,
                "scanned": found.scanned,
                "exhausted": found.exhausted,
                "total": found.total,
            }
        )
    page = _int("page", 1, high=10**9)
    tasks = _list(insp, queue, state, group, size, page)
    return jsonify({"tasks": [serialize.task(t, limit) for t in tasks], "page": page, "size": size})


@bp.get(f"/queues/<name:queue>/states/<{STATE_RULE}:state>/export.<any(csv, json):fmt>")
def export(queue: str, state: str, fmt: str) -> Any:
    from pyasynq.console.views.export import export_response

    return export_response(queue, state, fmt)


def _action_for(state: str, body: dict[str, Any]) -> str:
    action = body.get("action") or ""
    if not isinstance(action, str):
        abort(400, "'action' must be a string.")
    if action not in ROW_ACTIONS[state]:
        abort(400, f"'action' must be one of {', '.join(ROW_ACTIONS[state])} for {state} tasks.")
    return action


@bp.post(f"/queues/<name:queue>/states/<{STATE_RULE}:state>/batch")
def batch(queue: str, state: str) -> Any:
    body = _body()
    action = _action_for(state, body)
    ids = body.get("ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
        abort(400, "'ids' must be a non-empty list of task IDs.")
    if len(ids) > MAX_BATCH:
        abort(400, f"At most {MAX_BATCH} tasks per batch.")
    inspector().get_queue_info(queue)
    outcome = run_batch(inspector(), queue, list(dict.fromkeys(ids)), action)
    return jsonify({"action": action, "done": outcome.done, "errors": outcome.errors})


@bp.post(f"/queues/<name:queue>/states/<{STATE_RULE}:state>/all")
def all_tasks(queue: str, state: str) -> Any:
    body = _body()
    action = _action_for(state, body)
    group = body.get("group") or None
    if group is not None and not isinstance(group, str):
        abort(400, "'group' must be a string.")
    if state == "aggregating" and not group:
        abort(400, "'group' is required for aggregating tasks.")
    outcome = run_all(inspector(), queue, state, action, group)
    return jsonify({"action": action, "done": outcome.done, "errors": outcome.errors})


@bp.post(f"/queues/<name:queue>/states/<{STATE_RULE}:state>/bulk")
def bulk_step(queue: str, state: str) -> Any:
    """One bounded step of an action on every task matching a filter; call again with
    ``cursor`` = the returned ``next_cursor`` until it is null."""
    body = _scalars(_body())
    action = _action_for(state, body)
    if action == "cancel":
        abort(400, "Bulk cancel is not offered; cancel active tasks by ID.")
    flt = filters.parse(body, state)
    group = body.get("group") or None
    cursor = filters.cursor_arg(body)
    cfg = current_app.config["CONSOLE"]
    insp = inspector()
    page = filters.run(
        insp, queue, state, flt, cursor=cursor, page_size=cfg.bulk_batch_size, group=group
    )
    ids = [t.id for t in page.tasks]
    outcome = run_batch(insp, queue, ids, action) if ids else None
    done = outcome.done if outcome else 0
    next_cursor = None if page.next_cursor is None else max(0, page.next_cursor - done)
    return jsonify(
        {
            "action": action,
            "matched": len(ids),
            "done": done,
            "errors": outcome.errors if outcome else {},
            "scanned": page.scanned,
            "next_cursor": next_cursor,
            "finished": next_cursor is None,
        }
    )


# -- one task ---------------------------------------------------------------------------------


@bp.post("/queues/<name:queue>/tasks")
def enqueue(queue: str) -> Any:
    body = _body()
    try:
        task_type, payload, options = forms.enqueue_request(body, default_queue=queue)
    except (ValueError, TypeError) as exc:
        abort(400, str(exc))
    options["queue"] = queue
    try:
        info = inspector().enqueue(Task(task_type, payload), **options)
    except (ValueError, TypeError) as exc:
        abort(400, str(exc))
    return jsonify(serialize.task(info)), 201


@bp.get("/queues/<name:queue>/tasks/<name:task_id>")
def get_task(queue: str, task_id: str) -> Any:
    """The task with at most ``inline_payload_limit`` bytes of payload and result inline;
    ``payload_url``/``result_url`` download the whole bytes."""
    limit = current_app.config["CONSOLE"].inline_payload_limit
    out = serialize.task(get_task_preview(inspector(), queue, task_id, limit=limit), limit)
    out["payload_url"] = url_for("api.download", queue=queue, task_id=task_id, what="payload")
    out["result_url"] = url_for("api.download", queue=queue, task_id=task_id, what="result")
    return jsonify(out)


@bp.get("/queues/<name:queue>/tasks/<name:task_id>/download/<any(payload, result):what>")
def download(queue: str, task_id: str, what: str) -> Any:
    """The whole payload or result as ``application/octet-stream``, streamed."""
    from pyasynq.console.views.tasks import download_response

    return download_response(queue, task_id, what)


@bp.post(f"/queues/<name:queue>/tasks/<name:task_id>/<{TASK_ACTIONS}:action>")
def task_action(queue: str, task_id: str, action: str) -> Any:
    insp = inspector()
    task = insp.get_task_info(queue, task_id)
    if not allowed(str(task.state), action):
        abort(409, f"Cannot {action} a task in {task.state} state.")
    run_one(insp, queue, task_id, action)
    return jsonify({"id": task_id, "action": action, "done": True})


@bp.post("/queues/<name:queue>/tasks/<name:task_id>/payload")
def update_payload(queue: str, task_id: str) -> Any:
    body = _body()
    try:
        if body.get("payload_b64") not in (None, ""):
            data = forms.payload_bytes(forms.text_field(body, "payload_b64"), "base64")
        else:
            fmt = forms.text_field(body, "format") or "text"
            data = forms.payload_bytes(body.get("payload", ""), fmt)
    except ValueError as exc:
        abort(400, str(exc))
    return jsonify(serialize.task(inspector().update_task_payload(queue, task_id, data)))


@bp.post("/queues/<name:queue>/tasks/<name:task_id>/reschedule")
def reschedule(queue: str, task_id: str) -> Any:
    try:
        at = forms.reschedule_time(_body(), time.time())
    except ValueError as exc:
        abort(400, str(exc))
    return jsonify(serialize.task(inspector().reschedule_task(queue, task_id, at)))


# -- servers, schedulers, redis, alerts ---------------------------------------------------------


@bp.get("/servers")
def servers() -> Any:
    return jsonify({"servers": serialize.plain(inspector().servers())})


@bp.get("/scheduler/entries")
def scheduler_entries() -> Any:
    insp = inspector()
    paused = insp.paused_scheduler_entries()
    out = []
    for entry in insp.scheduler_entries():
        item = serialize.plain(entry)
        item["paused"] = entry.id in paused
        out.append(item)
    return jsonify({"entries": out})


@bp.get("/scheduler/entries/<name:entry_id>/history")
def scheduler_history(entry_id: str) -> Any:
    size = _int("size", 30, high=1000)
    page = _int("page", 1, high=10**6)
    events = inspector().list_scheduler_enqueue_events(entry_id, page_size=size, page=page)
    return jsonify({"events": serialize.plain(events)})


@bp.post(f"/scheduler/entries/<name:entry_id>/<{CRON_ACTIONS}:action>")
def scheduler_action(entry_id: str, action: str) -> Any:
    insp = inspector()
    if action == "run":
        info = insp.run_scheduler_entry(entry_id)
        return jsonify({"entry_id": entry_id, "task": serialize.task(info)})
    if action == "pause":
        insp.pause_scheduler_entry(entry_id)
    else:
        insp.resume_scheduler_entry(entry_id)
    return jsonify({"entry_id": entry_id, "paused": action == "pause"})


@bp.get("/redis/info")
def redis_info() -> Any:
    return jsonify({"info": inspector().redis_info()})


@bp.get("/alerts")
def alerts() -> Any:
    from pyasynq.console.views.alerts import snapshot

    return jsonify(snapshot())


@bp.get("/<path:_rest>")
def not_found(_rest: str) -> Any:
    """Unknown addresses under /api/ answer in JSON too (not described in the OpenAPI doc)."""
    abort(404)


@bp.route("/<path:_rest>", methods=["POST", "PUT", "PATCH", "DELETE"], endpoint="not_found_write")
def not_found_write(_rest: str) -> Any:
    abort(404)


@bp.get("/openapi.json")
def openapi() -> Any:
    from pyasynq.console.openapi import document

    return jsonify(document(current_app))
