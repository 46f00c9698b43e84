"""The schedulers page (every periodic entry of every live scheduler) and one entry's page with
its whole enqueue history, paged (Asynqmon shows only the first 20 events)."""

from __future__ import annotations

import math
import re
from typing import Any

from flask import Blueprint, abort, current_app, render_template

from pyasynq.console.backend import inspector
from pyasynq.console.guards import int_arg
from pyasynq.console.presenters import format_data, summary
from pyasynq.errors import BadDataError

bp = Blueprint("schedulers", __name__)

_QUEUE_OPTION = re.compile(r'^Queue\("(.*)"\)$')


def queue_of(options: list[str]) -> str:
    """The queue an entry enqueues to, read from its Go option strings (``Queue("x")``)."""
    for opt in options:
        match = _QUEUE_OPTION.match(opt)
        if match:
            return match.group(1).replace('\\"', '"').replace("\\\\", "\\")
    return "default"


class EntryRow:
    """A scheduler entry with its payload preview, target queue and history size."""

    def __init__(self, entry: Any, history_size: int) -> None:
        cfg = current_app.config["CONSOLE"]
        self.e = entry
        self.queue = queue_of(entry.options)
        self.payload = summary(
            format_data(entry.task_type, entry.task_payload, cfg.payload_formatter),
            cfg.max_payload_length,
        )
        self.history_size = history_size


def _history_size(insp: Any, entry_id: str, problems: list[str]) -> int:
    """How many events an entry's history holds; 0 (and named) when that key is bad data."""
    try:
        return int(insp.scheduler_history_size(entry_id))
    except BadDataError as exc:
        problems.append(f"history of entry {entry_id}: {exc}")
        return 0


def _rows() -> dict[str, Any]:
    insp = inspector()
    entries = insp.scheduler_entries()
    problems = list(getattr(entries, "problems", ()))
    rows = [EntryRow(e, _history_size(insp, e.id, problems)) for e in entries]
    return {"entries": rows, "problems": problems}


@bp.get("/schedulers")
def index() -> Any:
    return render_template("schedulers.html", **_rows())


@bp.get("/_fragments/schedulers")
def fragment() -> Any:
    """The polled part of the schedulers page."""
    return render_template("_schedulers_body.html", **_rows())


def _entry_context(entry_id: str) -> dict[str, Any]:
    cfg = current_app.config["CONSOLE"]
    page = int_arg("page", 1)
    size = int_arg("size", cfg.page_size, allowed=cfg.page_sizes)
    insp = inspector()
    entries = insp.scheduler_entries()
    problems: list[str] = []
    entry = next((e for e in entries if e.id == entry_id), None)
    total = _history_size(insp, entry_id, problems)
    if entry is None and total == 0 and not problems:
        abort(404, f"There is no scheduler entry {entry_id!r} (its scheduler may have stopped).")
    events: list[Any] = []
    try:
        events = insp.list_scheduler_enqueue_events(entry_id, page_size=size, page=page)
    except BadDataError as exc:
        problems.append(f"history of entry {entry_id}: {exc}")
    problems += getattr(events, "problems", [])
    row = EntryRow(entry, total) if entry is not None else None
    return {
        "problems": problems,
        "entry_id": entry_id,
        "row": row,
        "queue": row.queue if row else None,
        "events": events,
        "page": page,
        "size": size,
        "total": total,
        "last_page": max(1, math.ceil(total / size)),
    }


@bp.get("/schedulers/<name:entry_id>")
def entry(entry_id: str) -> Any:
    return render_template("scheduler_entry.html", **_entry_context(entry_id))


@bp.get("/_fragments/schedulers/<name:entry_id>")
def entry_fragment(entry_id: str) -> Any:
    """The polled part of an entry's page (its details and the current history page)."""
    return render_template("_scheduler_entry_body.html", **_entry_context(entry_id))
