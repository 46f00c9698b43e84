"""The OpenAPI 3.1 description of the console's JSON API (served at ``<root>/api/openapi.json``).

Written as a table next to the routes in ``console/views/api.py``; a test checks that every
route of that blueprint is described here, so the two cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request

from pyasynq.console.actions import STATES
from pyasynq.console.queue_table import SORT_KEYS

FILTER_PARAMS = [
    ("type", "Task type: exact, or a glob such as email:*"),
    ("error", "Substring of the last error (case-insensitive)"),
    ("payload", "Substring of the payload (case-insensitive)"),
    ("jpath", "JSON path in the payload, e.g. $.user.id (or user.id=42)"),
    ("jval", "Value at jpath (parsed as JSON when possible)"),
    ("since", "Lower bound of the state's time (ISO 8601 UTC or Unix seconds)"),
    ("until", "Upper bound of the state's time"),
    ("cursor", "Where to continue a bounded search (next_cursor of the previous answer)"),
    ("group", "Aggregation group (aggregating state)"),
]

OBJ: dict[str, Any] = {"type": "object"}


def _p(
    name: str, where: str = "path", desc: str = "", schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "description": desc,
        "schema": schema or {"type": "string"},
    }


QUEUE = _p("queue", desc="Queue name")
TASK = _p("task_id", desc="Task ID")
STATE = _p("state", desc="Task state", schema={"type": "string", "enum": list(STATES)})
ENTRY = _p("entry_id", desc="Scheduler entry ID")
FILTERS = [_p(n, "query", d) for n, d in FILTER_PARAMS]


def _op(
    summary: str,
    params: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
    ok: str = "200",
    content: str = "application/json",
    write: bool = False,
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "parameters": params or [],
        "responses": {
            ok: {
                "description": "Success",
                "content": {
                    content: {
                        "schema": OBJ if content == "application/json" else {"type": "string"}
                    }
                },
            },
            "400": {"$ref": "#/components/responses/Error"},
            "404": {"$ref": "#/components/responses/Error"},
            "503": {"$ref": "#/components/responses/Error"},
        },
    }
    if write:
        op["responses"]["403"] = {"$ref": "#/components/responses/Error"}
        op["responses"]["409"] = {"$ref": "#/components/responses/Error"}
        op["security"] = [{"bearer": []}, {"csrf": []}]
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


def _schema(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    return out


S = {"type": "string"}
N = {"type": "number"}
ACTION = {"type": "string", "enum": ["run", "archive", "delete", "cancel"]}

PATHS: dict[str, dict[str, Any]] = {
    "/queues": {
        "get": _op(
            "A page of queues with their current info, searched and sorted by the server;"
            " the reply says total (matching queues), page, size and pages, and totals over"
            " every queue (null unless asked or sorted by a count)",
            [
                _p("q", "query", "Queue name contains (case-insensitive)", S),
                _p("sort", "query", "Sort key", {"type": "string", "enum": list(SORT_KEYS)}),
                _p("order", "query", "asc or desc", {"type": "string", "enum": ["asc", "desc"]}),
                _p("qpage", "query", "Page, from 1 (past the last: the last)", {"type": "integer"}),
                _p("qsize", "query", "Queues per page, 1-1000 (50)", {"type": "integer"}),
                _p(
                    "totals",
                    "query",
                    "1: also sum every queue (totals; given anyway when sorting by a count)",
                    {"type": "integer", "enum": [0, 1]},
                ),
            ],
        )
    },
    "/queues/{queue}": {
        "get": _op("One queue's info", [QUEUE]),
    },
    # state changes are POST only, in the API as on the pages
    "/queues/{queue}/delete": {
        "post": _op(
            "Delete a queue",
            [QUEUE, _p("force", "query", "Also delete its tasks", {"type": "boolean"})],
            write=True,
        ),
    },
    "/queues/{queue}/history": {
        "get": _op(
            "Processed/failed per day", [QUEUE, _p("days", "query", "1-90", {"type": "integer"})]
        )
    },
    "/queues/{queue}/{verb}": {
        "post": _op(
            "Pause or resume a queue",
            [QUEUE, _p("verb", schema={"type": "string", "enum": ["pause", "unpause"]})],
            write=True,
        )
    },
    "/queues/{queue}/groups": {"get": _op("Aggregation groups", [QUEUE])},
    "/queues/{queue}/states/{state}/tasks": {
        "get": _op(
            "Tasks in a state: a page, or with a filter a bounded search from a cursor",
            [
                QUEUE,
                STATE,
                _p("page", "query", schema={"type": "integer"}),
                _p("size", "query", schema={"type": "integer"}),
                *FILTERS,
            ],
        )
    },
    "/queues/{queue}/states/{state}/export.{fmt}": {
        "get": _op(
            "Stream the (filtered) list as CSV or JSON, bounded by export_limit",
            [QUEUE, STATE, _p("fmt", schema={"type": "string", "enum": ["csv", "json"]}), *FILTERS],
            content="text/csv",
        )
    },
    "/queues/{queue}/states/{state}/batch": {
        "post": _op(
            "One action on selected task IDs",
            [QUEUE, STATE],
            _schema({"action": ACTION, "ids": {"type": "array", "items": S}}, ["action", "ids"]),
            write=True,
        )
    },
    "/queues/{queue}/states/{state}/all": {
        "post": _op(
            "One action on every task of the state",
            [QUEUE, STATE],
            _schema({"action": ACTION, "group": S}, ["action"]),
            write=True,
        )
    },
    "/queues/{queue}/states/{state}/bulk": {
        "post": _op(
            "One bounded step of an action on every task matching a filter (repeat with next_cursor)",
            [QUEUE, STATE],
            _schema(
                {
                    "action": ACTION,
                    "cursor": {"type": "integer"},
                    **{n: S for n, _ in FILTER_PARAMS[:-2]},
                    "group": S,
                },
                ["action"],
            ),
            write=True,
        )
    },
    "/queues/{queue}/tasks": {
        "post": _op(
            "Enqueue a task",
            [QUEUE],
            _schema(
                {
                    "type": S,
                    "payload": S,
                    "payload_b64": S,
                    "format": {"type": "string", "enum": ["text", "json", "base64"]},
                    "max_retry": {"type": "integer"},
                    "timeout": N,
                    "process_in": N,
                    "process_at": S,
                    "unique": N,
                    "retention": N,
                    "task_id": S,
                    "group": S,
                },
                ["type"],
            ),
            ok="201",
            write=True,
        )
    },
    "/queues/{queue}/tasks/{task_id}": {"get": _op("One task", [QUEUE, TASK])},
    "/queues/{queue}/tasks/{task_id}/download/{what}": {
        "get": _op(
            "The whole payload or result of one task (pages and lists carry a preview)",
            [QUEUE, TASK, _p("what", schema={"type": "string", "enum": ["payload", "result"]})],
            content="application/octet-stream",
        )
    },
    "/queues/{queue}/tasks/{task_id}/{action}": {
        "post": _op(
            "Run, archive, delete or cancel one task",
            [QUEUE, TASK, _p("action", schema=ACTION)],
            write=True,
        )
    },
    "/queues/{queue}/tasks/{task_id}/payload": {
        "post": _op(
            "Replace the payload of a pending, scheduled, retry or archived task",
            [QUEUE, TASK],
            _schema(
                {
                    "payload": S,
                    "payload_b64": S,
                    "format": {"type": "string", "enum": ["text", "json", "base64"]},
                }
            ),
            write=True,
        )
    },
    "/queues/{queue}/tasks/{task_id}/reschedule": {
        "post": _op(
            "Process a waiting task at a new time",
            [QUEUE, TASK],
            _schema({"process_at": S, "process_in": N}),
            write=True,
        )
    },
    "/servers": {"get": _op("Live worker servers")},
    "/scheduler/entries": {"get": _op("Periodic entries of live schedulers, with paused state")},
    "/scheduler/entries/{entry_id}/history": {"get": _op("Enqueue events of an entry", [ENTRY])},
    "/scheduler/entries/{entry_id}/{action}": {
        "post": _op(
            "Run an entry now, or pause/resume it",
            [ENTRY, _p("action", schema={"type": "string", "enum": ["run", "pause", "resume"]})],
            write=True,
        )
    },
    "/redis/info": {"get": _op("Redis INFO")},
    "/alerts": {"get": _op("Alert rules, their state and recent firings")},
    "/openapi.json": {"get": _op("This document")},
}


def document(app: Flask | None = None) -> dict[str, Any]:
    server = (request.script_root if request else "") + "/api"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "pyasynq console API",
            "version": "1",
            "description": (
                "Reads and actions of the pyasynq console. Writes need the console session's "
                "X-CSRF-Token header or, when the console has an api_token, "
                "'Authorization: Bearer <token>'. Read-only consoles answer 403 to every write. "
                'Errors are {"error": {"code", "message"}}.'
            ),
        },
        "servers": [{"url": server}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"},
            },
            "schemas": {
                "Error": _schema(
                    {"error": _schema({"code": S, "message": S}, ["code", "message"])}, ["error"]
                ),
            },
            "responses": {
                "Error": {
                    "description": "An error",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            },
        },
    }
