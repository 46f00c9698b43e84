"""One blueprint per area of the console; ``register_blueprints`` wires them into an app.

Servers, schedulers, Redis, metrics and the JSON API are added here as they are written.
"""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from pyasynq.console.views import audit, auth, dashboard, health, queues, tasks

    for module in (health, dashboard, queues, tasks, auth, audit):
        app.register_blueprint(module.bp)

    from pyasynq.console.views import (
        limits,
        metrics,
        prometheus,
        redis_info,
        schedulers,
        servers,
        settings,
    )

    for module in (servers, schedulers, redis_info, metrics, prometheus, settings, limits):
        app.register_blueprint(module.bp)

    from pyasynq.console.views.power_tools import blueprints as power_tool_blueprints

    for blueprint in power_tool_blueprints():
        app.register_blueprint(blueprint)
