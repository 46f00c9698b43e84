"""The settings page: poll interval, theme and display time zone.

They are personal, so they live in the browser (localStorage) and never on the server: the
page renders the controls with the server's defaults, and static/js/prefs.js applies and
remembers the choices on every page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

bp = Blueprint("settings", __name__)

POLL_CHOICES: tuple[int, ...] = (2, 3, 5, 8, 10, 15, 20, 30, 60)


@bp.get("/settings")
def index() -> Any:
    return render_template("settings.html", poll_choices=POLL_CHOICES)
