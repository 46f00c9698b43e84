"""One blueprint per area of the console; ``register_blueprints`` wires them into an app.

Servers, schedulers, Redis, metrics and the JSON API are added here as they are written.
"""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from . import dashboard, health, queues, tasks

    for module in (health, dashboard, queues, tasks):
        app.register_blueprint(module.bp)
