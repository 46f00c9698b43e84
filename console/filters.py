"""The filter of a state list, read from the URL, and the bounded search it runs.

Filters live in query parameters (``type error payload jpath jval since until cursor``) so a
filtered view is a link that can be shared; every search reads at most ``scan_limit`` tasks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import abort, current_app, request

from pyasynq.extras.search import SearchPage, TaskFilter, search

FILTER_PARAMS = ("type", "error", "payload", "jpath", "jval", "since", "until")


def parse(params: Mapping[str, str], state: str) -> TaskFilter:
    """The filter in ``params``; a bad value is a 400 that says which one and why."""
    try:
        flt = TaskFilter.from_params(params)
        if flt.active:
            flt.check_state(state)
    except ValueError as exc:
        abort(400, str(exc))
    return flt


def current(state: str) -> TaskFilter:
    return parse(request.args, state)


MAX_CURSOR = 10**12
"""A cursor is a rank in a Redis list or zset; beyond this no queue reaches (and Redis's int64)."""


def cursor_arg(values: Mapping[str, str] | None = None) -> int:
    raw = (values if values is not None else request.args).get("cursor") or "0"
    try:
        cursor = int(raw)
    except ValueError:
        abort(400, f"'cursor' must be a whole number, got {raw[:40]!r}.")
    if not 0 <= cursor <= MAX_CURSOR:
        abort(400, f"'cursor' must be from 0 to {MAX_CURSOR}.")
    return cursor


def scan_limit() -> int:
    return int(current_app.config["CONSOLE"].scan_limit)


def run(
    insp: Any,
    queue: str,
    state: str,
    flt: TaskFilter,
    *,
    cursor: int,
    page_size: int,
    group: str | None = None,
) -> SearchPage:
    """One bounded search step (at most ``scan_limit`` tasks read)."""
    if state == "aggregating" and not group:
        return SearchPage([], None, 0, True, cursor=cursor)
    try:
        return search(
            insp,
            queue,
            state,
            flt,
            cursor=cursor,
            scan_limit=scan_limit(),
            page_size=page_size,
            group=group,
        )
    except ValueError as exc:
        abort(400, str(exc))
