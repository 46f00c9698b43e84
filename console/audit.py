"""Record every change made through the console in the engine's audit log.

One ``after_request`` hook sees every state-changing request of every blueprint (the JSON API
included), so no view can forget to log. It writes who (the signed-in user, or ``anonymous``),
what (the action a view named with ``record_action``, else a name derived from the endpoint),
which queue and tasks, how many (the outcome the action reported, else the IDs sent), the HTTP
status and the message shown to the user, and from which address.

Two lists, so the trail cannot be flushed by strangers:

* **actions** (``pyasynq:audit``, 10,000 entries): requests that passed sign-in, role, CSRF
  and read-only checks and reached an action;
* **refused** (``pyasynq:audit:refused``, 1,000 entries): requests answered 400, 401, 403,
  405, 413, 415 or 429, and failed sign-ins. Each console process writes at most
  ``REFUSED_PER_MINUTE`` of them a minute and counts the rest in the next entry it writes.

Confirmation pages change nothing and are not logged. Nothing here can turn a response into an
error: any failure while logging (Redis down, odd input) is written to the process's log.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, g, has_app_context, request, session

from pyasynq.console.auth import current_user
from pyasynq.console.backend import inspector
from pyasynq.extras.audit import AuditLog

log = logging.getLogger("console")

CONFIRMING = frozenset({"queues.delete", "queues.state_all", "queues.batch"})
"""Endpoints whose first POST only asks "are you sure?" (``confirmed`` is not 1)."""

NOT_LOGGED = frozenset({"static"})

REFUSED_STATUSES = frozenset({400, 401, 403, 405, 413, 415, 429})
"""Answers that mean "not done because of who asked or how": they go to the refused list."""

REFUSED_PER_MINUTE = 30


def note_outcome(done: int, errors: int = 0) -> None:
    """Called where actions run (pyasynq.console.actions) so the log says how many tasks changed."""
    if has_app_context():
        g.audit_done = (done, errors)


def record_action(action: str, **fields: Any) -> None:
    """Name the action this request performs (``user``, ``queue``, ``detail`` may be given)."""
    g.audit_action = (action, fields)


def record_refused(action: str, **fields: Any) -> None:
    """Mark this request as refused (e.g. a wrong password): it goes to the refused list."""
    g.audit_refused = (action, fields)


def audit_log(app: Flask | None = None, *, refused: bool = False) -> AuditLog:
    """The app's AuditLog (or its refused-requests log), on the same Redis as its Inspector."""
    from flask import current_app

    app = app or current_app
    name = "pyasynq_audit_refused" if refused else "pyasynq_audit"
    found = app.extensions.get(name)
    if found is None:
        broker = inspector().broker
        found = AuditLog.refused(broker) if refused else AuditLog(broker)
        app.extensions[name] = found
    return found


class RateLimit:
    """At most ``per_minute`` writes a minute; ``take`` says how many were skipped since the last."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute, self.clock = per_minute, clock
        self._window, self._used, self._skipped = 0.0, 0, 0
        self._lock = threading.Lock()

    def take(self) -> int | None:
        """None when over the limit (counted as skipped), else the number skipped before."""
        with self._lock:
            now = self.clock()
            if now - self._window >= 60:
                self._window, self._used = now, 0
            if self._used >= self.per_minute:
                self._skipped += 1
                return None
            self._used += 1
            skipped, self._skipped = self._skipped, 0
            return skipped


# -- what the request did ---------------------------------------------------------------------

_NAMES: dict[str, Callable[[dict[str, Any]], str]] = {
    "queues.pause": lambda a: "pause queue",
    "queues.unpause": lambda a: "resume queue",
    "queues.delete": lambda a: "delete queue",
    "queues.state_all": lambda a: f"{a.get('verb', '?')} {a.get('state', '')}".strip(),
    "queues.batch": lambda a: (
        f"{request.form.get('action', '?')[:40]} selected {a.get('state', '')}".strip()
    ),
    "tasks.act": lambda a: f"{a.get('action', '?')} task",
    "auth.login": lambda a: "login",
    "auth.logout": lambda a: "logout",
}


def _action_name(endpoint: str, args: dict[str, Any]) -> str:
    name = _NAMES.get(endpoint)
    return name(args) if name else endpoint.replace("_", " ").replace(".", ": ")


def _task_ids(args: dict[str, Any]) -> list[str]:
    if "task_id" in args:
        return [str(args["task_id"])]
    if request.form:
        return [i for i in request.form.getlist("ids") if i]
    if request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get("ids"), list):
            return [str(i) for i in body["ids"]]
    return []


def _last_flash() -> tuple[str | None, str | None]:
    flashes = session.get("_flashes") or []
    if flashes:
        category, message = flashes[-1]
        return str(category), str(message)
    return None, None


def _who(fields: dict[str, Any]) -> str:
    if fields.get("user"):
        return str(fields["user"])[:100]
    user = current_user()
    return user.name if user else "anonymous"


def _is_confirmation(endpoint: str, status: int) -> bool:
    return endpoint in CONFIRMING and status == 200 and request.form.get("confirmed") != "1"


def _write_refused(response: Any, action: str, fields: dict[str, Any]) -> None:
    limit: RateLimit = _app_extension("pyasynq_refused_rate", lambda: RateLimit(REFUSED_PER_MINUTE))
    skipped = limit.take()
    if skipped is None:
        return
    detail = response.status
    if skipped:
        detail += f" ({skipped} more refused requests were not logged)"
    audit_log(refused=True).record(
        _who(fields),
        action,
        remote_addr=request.remote_addr,
        status=response.status_code,
        detail=detail[:500],
        outcome="refused",
        method=request.method,
        path=request.path[:200],
    )


def _write_action(response: Any, endpoint: str, args: dict[str, Any]) -> None:
    no_fields: dict[str, Any] = {}
    action, fields = g.get("audit_action") or (_action_name(endpoint, args), no_fields)
    ids = _task_ids(args)
    done = g.get("audit_done")
    category, message = _last_flash()
    queue = fields.get("queue") or args.get("queue") or request.form.get("queue") or None
    audit_log().record(
        _who(fields),
        action,
        queue=None if queue is None else str(queue)[:300],
        task_ids=ids,
        count=done[0] if done else len(ids),
        remote_addr=request.remote_addr,
        status=response.status_code,
        detail=(fields.get("detail") or message or "")[:500] or None,
        outcome="error" if category == "error" or response.status_code >= 400 else "ok",
    )


def _app_extension(name: str, make: Callable[[], Any]) -> Any:
    from flask import current_app

    extensions = current_app.extensions
    if name not in extensions:
        extensions[name] = make()
    return extensions[name]


def _record(response: Any) -> Any:
    """Write the request's entry; whatever goes wrong here, the response goes out unchanged."""
    try:
        if request.method in ("GET", "HEAD", "OPTIONS") or request.endpoint in NOT_LOGGED:
            return response
        endpoint = request.endpoint or "unknown"
        refused = g.get("audit_refused")
        if refused is not None:
            _write_refused(response, refused[0], refused[1])
        elif response.status_code in REFUSED_STATUSES:
            _write_refused(response, _action_name(endpoint, {}) + " refused", {})
        elif not _is_confirmation(endpoint, response.status_code):
            _write_action(response, endpoint, dict(request.view_args or {}))
    except Exception as exc:  # never let the trail break the answer
        log.warning("could not write the audit log (%s %s): %s", request.method, request.path, exc)
    return response


def register(app: Flask) -> None:
    app.after_request(_record)
