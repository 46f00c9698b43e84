"""The servers page: every live worker server (Go or Python) and the tasks it runs now.

Read from the heartbeats servers write every few seconds, so a server that died disappears
once its heartbeat expires; nothing here changes state.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, current_app, render_template

from pyasynq.console.backend import inspector
from pyasynq.console.presenters import format_data, summary
from pyasynq.times import is_invalid

bp = Blueprint("servers", __name__)


class WorkerRow:
    """A task in flight on a server, with its payload preview (through the user's formatter)."""

    def __init__(self, worker: Any) -> None:
        cfg = current_app.config["CONSOLE"]
        self.w = worker
        view = format_data(worker.task_type, worker.task_payload, cfg.payload_formatter)
        self.payload = summary(view, min(cfg.max_payload_length, 120))


class ServerRow:
    """A server plus what the table needs computed: uptime, busy workers, priorities."""

    def __init__(self, server: Any, now: datetime) -> None:
        self.s = server
        started = server.started if server.started and not is_invalid(server.started) else None
        self.uptime = (now - started).total_seconds() if started else None
        self.busy = len(server.active_workers)
        self.priorities = sorted(server.queues.items(), key=lambda kv: (-kv[1], kv[0]))
        self.workers = [WorkerRow(w) for w in server.active_workers]


def _context() -> dict[str, Any]:
    now = datetime.now(UTC)
    servers = inspector().servers()
    rows = [ServerRow(s, now) for s in servers]
    return {
        "servers": rows,
        "problems": list(getattr(servers, "problems", ())),
        "total_busy": sum(r.busy for r in rows),
        "total_concurrency": sum(r.s.concurrency for r in rows),
    }


@bp.get("/servers")
def index() -> Any:
    return render_template("servers.html", **_context())


@bp.get("/_fragments/servers")
def fragment() -> Any:
    """The polled part of the servers page."""
    return render_template("_servers_body.html", **_context())
