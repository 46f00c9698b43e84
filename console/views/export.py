"""Export a state list (filtered or not) as CSV or JSON, streamed and bounded.

The response is produced by a generator: each chunk is one bounded search (``scan_limit``
tasks read), so Redis sees short commands and the client sees rows at once. An export stops
after ``export_limit`` rows or ``10 x export_limit`` tasks read; JSON ends with the cursor to
continue from (``?cursor=``) so a larger export can be done in parts.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, abort, current_app, request, stream_with_context

from pyasynq.console import filters, serialize
from pyasynq.console.actions import STATES
from pyasynq.console.backend import inspector
from pyasynq.console.security import content_disposition
from pyasynq.errors import BadDataError
from pyasynq.extras.search import TaskFilter, iter_matches

bp = Blueprint("export", __name__)

STATE_RULE = "any(" + ", ".join(f'"{s}"' for s in STATES) + ")"


def _rows(
    queue: str, state: str, flt: TaskFilter, cursor: int, group: str | None
) -> Iterator[tuple[Any, Any]]:
    cfg = current_app.config["CONSOLE"]
    emitted = 0
    for task, page in iter_matches(
        inspector(),
        queue,
        state,
        flt,
        cursor=cursor,
        scan_limit=cfg.scan_limit,
        max_scanned=10 * cfg.export_limit,
        group=group,
    ):
        if task is not None:
            if emitted >= cfg.export_limit:
                return
            emitted += 1
        yield task, page


def _csv(rows: Iterator[tuple[Any, Any]]) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(serialize.CSV_FIELDS)
    for task, _page in rows:
        if task is not None:
            writer.writerow(serialize.csv_row(task))
        if buf.tell() > 64 * 1024 or task is None:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def _json(rows: Iterator[tuple[Any, Any]], cursor: int) -> Iterator[str]:
    yield '{"tasks": ['
    first, count, next_cursor, scanned = True, 0, cursor, 0
    for task, page in rows:
        if task is None:
            next_cursor, scanned = page.next_cursor, scanned + page.scanned
            continue
        yield ("" if first else ",") + "\n" + json.dumps(serialize.task(task), ensure_ascii=False)
        first, count = False, count + 1
        # a task matched mid-chunk: if we stop on the row limit, continue after it
    summary = {"count": count, "scanned": scanned, "next_cursor": next_cursor}
    if count >= current_app.config["CONSOLE"].export_limit:
        summary["truncated"] = True
    yield "\n], " + json.dumps(summary)[1:] + "\n"


def _first_chunk_checked(rows: Iterator[tuple[Any, Any]]) -> Iterator[tuple[Any, Any]]:
    """Read the first chunk before the response starts, so a bad request (400) or data Redis
    cannot give (a key of the wrong type: 422) is an error response, not a broken stream."""
    try:
        first = next(rows, None)
    except BadDataError:
        raise
    except ValueError as exc:
        abort(400, str(exc))
    return rows if first is None else itertools.chain([first], rows)


def export_response(queue: str, state: str, fmt: str) -> Response:
    """The streamed export; shared with the JSON API's export routes."""
    flt = filters.current(state)
    cursor = filters.cursor_arg()
    group = request.args.get("group") or None
    inspector().get_queue_info(queue)  # 404 before the stream starts, not inside it
    filters.parse(request.args, state)
    rows = _first_chunk_checked(_rows(queue, state, flt, cursor, group))
    name = f"{queue}-{state}.{fmt}"
    if fmt == "csv":
        body, mime = _csv(rows), "text/csv; charset=utf-8"
    else:
        body, mime = _json(rows, cursor), "application/json"
    resp = Response(stream_with_context(body), mimetype=mime)
    resp.headers["Content-Disposition"] = content_disposition(name)
    return resp


@bp.get(f"/queues/<name:queue>/<{STATE_RULE}:state>/export.<any(csv, json):fmt>")
def export(queue: str, state: str, fmt: str) -> Response:
    return export_response(queue, state, fmt)
