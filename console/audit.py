"""Record every change made through the console in the engine's audit log.

One ``after_request`` hook sees every state-changing request of every blueprint (the JSON API
included), so no view can forget to log. It writes who (the signed-in user, or ``anonymous``),
what (an action name from the endpoint), which queue and tasks, how many (the outcome the
action reported, else the IDs sent), the HTTP status and the message shown to the user, and
from which address. Confirmation pages change nothing and are not logged. A Redis failure
while logging never turns a done action into an error page: it is logged to stderr instead.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, g, has_app_context, request, session

from pyasynq.audit import AuditLog
from pyasynq.console.auth import current_user
from pyasynq.console.backend import inspector
from pyasynq.errors import BrokerError

log = logging.getLogger("console")

CONFIRMING = frozenset({"queues.delete", "queues.state_all", "queues.batch"})
"""Endpoints whose first POST only asks "are you sure?" (``confirmed`` is not 1)."""

NOT_LOGGED = frozenset({"static"})


def note_outcome(done: int, errors: int = 0) -> None:
    """Called where actions run (pyasynq.console.actions) so the log says how many tasks changed."""
    if has_app_context():
        g.audit_done = (done, errors)


def audit_log(app: Flask | None = None) -> AuditLog:
    """The app's AuditLog, on the same Redis as its Inspector."""
    from flask import current_app

    app = app or current_app  # type: ignore[assignment]
    found = app.extensions.get("pyasynq_audit")
    if found is None:
        found = AuditLog(inspector().broker)
        app.extensions["pyasynq_audit"] = found
    return found  # type: ignore[no-any-return]


def _action_name(endpoint: str, args: dict[str, Any]) -> str:
    if endpoint == "queues.pause":
        return "pause queue"
    if endpoint == "queues.unpause":
        return "resume queue"
    if endpoint == "queues.delete":
        return "delete queue"
    if endpoint == "queues.state_all":
        return f"{args.get('verb', '?')} {args.get('state', '')}".strip()
    if endpoint == "queues.batch":
        return f"{request.form.get('action', '?')} selected {args.get('state', '')}".strip()
    if endpoint == "tasks.act":
        return f"{args.get('action', '?')} task"
    if endpoint == "auth.login":
        return "login"
    if endpoint == "auth.logout":
        return "logout"
    return endpoint.replace("_", " ").replace(".", ": ")


def _last_flash() -> tuple[str | None, str | None]:
    flashes = session.get("_flashes") or []
    if flashes:
        category, message = flashes[-1]
        return str(category), str(message)
    return None, None


def _record(response: Any) -> Any:
    if request.method in ("GET", "HEAD", "OPTIONS") or request.endpoint in NOT_LOGGED:
        return response
    endpoint = request.endpoint or "unknown"
    if (
        endpoint in CONFIRMING
        and response.status_code == 200
        and request.form.get("confirmed") != "1"
    ):
        return response  # a confirmation page: nothing happened yet
    if endpoint == "auth.login" and response.status_code == 401:
        endpoint_action = "login failed"
    else:
        endpoint_action = _action_name(endpoint, dict(request.view_args or {}))
    args = dict(request.view_args or {})
    ids: list[str] = []
    if "task_id" in args:
        ids = [str(args["task_id"])]
    elif request.form:
        ids = [i for i in request.form.getlist("ids") if i]
    elif request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get("ids"), list):
            ids = [str(i) for i in body["ids"]]
    done = g.get("audit_done")
    count = done[0] if done else len(ids)
    category, message = _last_flash()
    user = current_user()
    name = (
        user.name
        if user
        else (request.form.get("username", "")[:100] if endpoint == "auth.login" else "anonymous")
    )
    try:
        audit_log().record(
            name or "anonymous",
            endpoint_action,
            queue=str(args["queue"]) if "queue" in args else (request.form.get("queue") or None),
            task_ids=ids,
            count=count,
            remote_addr=request.remote_addr,
            status=response.status_code,
            detail=(message or "")[:500] or None,
            outcome="error" if category == "error" or response.status_code >= 400 else "ok",
        )
    except BrokerError as exc:
        log.warning("could not write the audit log (%s %s): %s", request.method, request.path, exc)
    return response


def register(app: Flask) -> None:
    app.after_request(_record)
