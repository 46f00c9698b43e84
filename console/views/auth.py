"""The login form (``auth="form"``) and logout, for the console's built-in users."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from pyasynq.console import audit, sessions
from pyasynq.console.auth import current_user, sign_in
from pyasynq.console.guards import has_control_chars

bp = Blueprint("auth", __name__)


def _safe_target(raw: str) -> str:
    """Follow ``next`` only to a path inside this console, never to another site."""
    root = request.script_root + "/"
    if has_control_chars(raw):
        return url_for("dashboard.index")
    if raw.startswith(root) and not raw.startswith("//") and "\\" not in raw and "://" not in raw:
        return raw
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    config = current_app.config["CONSOLE"]
    if config.auth != "form":
        abort(404, "This console has no login page (auth is not 'form').")
    target = _safe_target(request.values.get("next", ""))
    error = None
    if request.method == "POST":
        name = request.form.get("username", "")[:200]
        password = request.form.get("password", "")[:1000]
        user = sign_in(config, name, password)
        if user is not None:
            # A fresh session on sign-in: nothing from before (a planted token) carries over.
            sessions.start(next(u for u in config.users if u.name == user.name))
            audit.record_action("login", user=user.name)
            return redirect(target, 303)
        error = "Wrong user name or password."
        audit.record_refused("login failed", user=name)
    status = 401 if error else 200
    return render_template("login.html", error=error, next=target), status


@bp.post("/logout")
def logout() -> Any:
    """End the session everywhere (POST only, CSRF-checked, so no link elsewhere can sign anyone out).

    The user's session generation moves on in Redis, so this cookie and every copy of it (and
    the user's sessions in other browsers) stop working, not just this browser's.
    """
    config = current_app.config["CONSOLE"]
    user = current_user()
    if config.auth == "form" and user is not None:
        sessions.revoke(user.name)
    audit.record_action("logout")
    session.clear()
    if config.auth == "form":
        flash("Signed out.", "success")
        return redirect(url_for("auth.login"), 303)
    return redirect(url_for("dashboard.index"), 303)
