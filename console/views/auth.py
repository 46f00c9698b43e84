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

from pyasynq.console.auth import SESSION_USER, sign_in
from pyasynq.console.guards import CSRF_FIELD

bp = Blueprint("auth", __name__)


def _safe_target(raw: str) -> str:
    """Follow ``next`` only to a path inside this console, never to another site."""
    root = request.script_root + "/"
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
            session.clear()
            session[SESSION_USER] = user.name
            session.permanent = False
            return redirect(target, 303)
        error = "Wrong user name or password."
    status = 401 if error else 200
    return render_template("login.html", error=error, next=target), status


@bp.post("/logout")
def logout() -> Any:
    """Forget the user (POST only, CSRF-checked, so a link elsewhere cannot sign anyone out)."""
    session.pop(SESSION_USER, None)
    session.pop(CSRF_FIELD, None)
    config = current_app.config["CONSOLE"]
    if config.auth == "form":
        flash("Signed out.", "success")
        return redirect(url_for("auth.login"), 303)
    return redirect(url_for("dashboard.index"), 303)
