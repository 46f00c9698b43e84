"""Search one state of a queue with filters, in bounded work per call (pyasynq only).

Redis has no index over task fields, so filtering means reading tasks. To keep a queue of
millions from blocking Redis or a page, ``search`` reads at most ``scan_limit`` tasks per
call, in slices of ``CHUNK``, and returns a cursor to continue from. A filter round-trips to
URL query parameters (``TaskFilter.to_params`` / ``from_params``) so a filtered view can be
bookmarked and shared.

The cursor is an index into the state's list or zset (listing order). Tasks added or removed
meanwhile shift the indexes, so a continued search may skip or repeat a few tasks; callers
that remove what they matched (bulk actions) subtract what they removed.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pyasynq.broker import keys
from pyasynq.broker.codec import CorruptMessageError, decode_task
from pyasynq.errors import QueueNotFoundError
from pyasynq.options import MAX_UNIX_TIME, check_queue_name
from pyasynq.states import TIMED_STATES, model
from pyasynq.task import TaskInfo, TaskState

CHUNK = 500
DEFAULT_SCAN_LIMIT = 5000
TIME_FIELDS = TIMED_STATES
"""The natural time a ``since``/``until`` range applies to, per state (pending/active: none)."""

_MISSING = object()
_PATH_PART = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


def _parse_time(name: str, raw: str) -> float | None:
    """Unix seconds, or an ISO 8601 date/time (naive means UTC); blank means no bound."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        try:
            when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"'{name}' must be an ISO date/time (2024-05-01T12:00) or Unix seconds, got {raw[:40]!r}"
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        value = when.timestamp()
    if not 0 <= value <= MAX_UNIX_TIME:  # NaN fails too
        raise ValueError(f"'{name}' must fall between 1970 and the year 9999")
    return value


def parse_json_path(path: str) -> list[str | int]:
    """``$.user.id``, ``user.id``, ``items[0].sku`` or ``items.0.sku`` -> keys and indexes."""
    text = path.strip()
    if text.startswith("$"):
        text = text[1:]
    parts: list[str | int] = []
    pos = 0
    while pos < len(text):
        m = _PATH_PART.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot read JSON path {path!r} at character {pos + 1}")
        parts.append(int(m.group(2)) if m.group(2) is not None else m.group(1))
        pos = m.end()
    if not parts:
        raise ValueError("a JSON path needs at least one key, e.g. $.user.id")
    return parts


def _walk(doc: Any, parts: list[str | int]) -> Any:
    for part in parts:
        if isinstance(doc, dict):
            key = str(part)
            if key not in doc:
                return _MISSING
            doc = doc[key]
        elif isinstance(doc, list):
            try:
                doc = doc[int(part)]
            except (ValueError, IndexError):
                return _MISSING
        else:
            return _MISSING
    return doc


def _json_literal(raw: str) -> Any:
    """``42`` -> 42, ``true`` -> True, ``"a"`` -> "a"; anything not JSON is a plain string."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


@dataclass(frozen=True)
class TaskFilter:
    """What a task must match; empty fields match everything.

    ``type``: exact, or a glob when it holds ``*``, ``?`` or ``[`` (``email:*``).
    ``error``: case-insensitive substring of the last error.
    ``payload``: case-insensitive substring of the raw payload bytes (as UTF-8).
    ``json_path`` + ``json_value``: the payload parsed as JSON has that value at that path
    (``json_value`` parsed as JSON when it can be, so ``42`` matches the number; a blank value
    only requires the path to exist). ``json_path`` may also be written ``user.id=42``.
    ``since``/``until``: Unix seconds bounding the state's natural time (``TIME_FIELDS``).
    """

    type: str = ""
    error: str = ""
    payload: str = ""
    json_path: str = ""
    json_value: str = ""
    since: float | None = None
    until: float | None = None
    _path: tuple[str | int, ...] = field(default=(), repr=False, compare=False)

    PARAMS = ("type", "error", "payload", "jpath", "jval", "since", "until")

    def __post_init__(self) -> None:
        path, value = self.json_path.strip(), self.json_value
        if path and "=" in path and not value:
            path, _, value = path.partition("=")
            path = path.strip().rstrip("=").strip()
            value = value.strip()
        object.__setattr__(self, "json_path", path)
        object.__setattr__(self, "json_value", value)
        if path:
            object.__setattr__(self, "_path", tuple(parse_json_path(path)))
        elif value:
            raise ValueError("a JSON value needs a JSON path (e.g. $.user.id)")
        if self.since is not None and self.until is not None and self.since > self.until:
            raise ValueError("'since' must not be after 'until'")

    # -- URL round trip -------------------------------------------------------------------------
    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> TaskFilter:
        """Build from query parameters (``type error payload jpath jval since until``).

        Raises ``ValueError`` with a sentence naming the bad parameter.
        """

        def text(name: str, limit: int = 500) -> str:
            value = str(params.get(name) or "")
            if len(value) > limit:
                raise ValueError(f"'{name}' is longer than {limit} characters")
            return value

        return cls(
            type=text("type").strip(),
            error=text("error"),
            payload=text("payload"),
            json_path=text("jpath"),
            json_value=text("jval"),
            since=_parse_time("since", text("since", 60)),
            until=_parse_time("until", text("until", 60)),
        )

    def to_params(self) -> dict[str, str]:
        """Only the fields that are set, ready for ``url_for(**params)``."""
        out = {
            "type": self.type,
            "error": self.error,
            "payload": self.payload,
            "jpath": self.json_path,
            "jval": self.json_value,
            "since": _fmt_time(self.since),
            "until": _fmt_time(self.until),
        }
        return {k: v for k, v in out.items() if v}

    @property
    def active(self) -> bool:
        return bool(self.to_params())

    @property
    def has_time(self) -> bool:
        return self.since is not None or self.until is not None

    def check_state(self, state: str) -> None:
        if self.has_time and state not in TIME_FIELDS:
            raise ValueError(
                f"a time range does not apply to {state} tasks; it filters "
                + ", ".join(f"{s} by {what}" for s, what in TIME_FIELDS.items())
            )

    # -- matching -------------------------------------------------------------------------------
    def matches(self, msg: Any, when: float | None) -> bool:
        """Whether a decoded TaskMessage (and its natural time, if any) passes the filter."""
        if self.type:
            if any(c in self.type for c in "*?["):
                if not fnmatch.fnmatchcase(msg.type, self.type):
                    return False
            elif msg.type != self.type:
                return False
        if self.error and self.error.lower() not in msg.error_msg.lower():
            return False
        payload = bytes(msg.payload)
        if self.payload and self.payload.encode("utf-8").lower() not in payload.lower():
            return False
        if self._path and not self._json_match(payload):
            return False
        if self.has_time:
            if when is None:
                return False
            if self.since is not None and when < self.since:
                return False
            if self.until is not None and when > self.until:
                return False
        return True

    def _json_match(self, payload: bytes) -> bool:
        try:
            doc = json.loads(payload)
        except ValueError:
            return False
        found = _walk(doc, list(self._path))
        if found is _MISSING:
            return False
        if self.json_value == "":
            return True
        want = _json_literal(self.json_value)
        if found == want and type(found) is not bool and type(want) is not bool:
            return True
        if isinstance(found, bool) or isinstance(want, bool):
            return found is want
        # "42" typed in a box should still find a string "42" in the payload
        return isinstance(found, str) and found == self.json_value


def _fmt_time(value: float | None) -> str:
    if value is None:
        return ""
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%S")


@dataclass
class SearchPage:
    """One bounded step of a search.

    ``tasks`` matched (at most ``page_size``); ``scanned`` tasks were read from ``cursor``;
    ``next_cursor`` is where to continue; ``exhausted`` when the container's end was reached
    (then ``next_cursor`` is None). ``undecodable`` lists IDs whose msg could not be read.
    """

    tasks: list[TaskInfo]
    next_cursor: int | None
    scanned: int
    exhausted: bool
    cursor: int = 0
    total: int = 0
    undecodable: list[str] = field(default_factory=list)


def _broker(source: Any) -> Any:
    return getattr(source, "broker", source)


def search(
    source: Any,
    queue: str,
    state: str,
    flt: TaskFilter | None = None,
    *,
    cursor: int = 0,
    scan_limit: int = DEFAULT_SCAN_LIMIT,
    page_size: int = 20,
    group: str | None = None,
) -> SearchPage:
    """Read at most ``scan_limit`` tasks of ``state`` from ``cursor``; return the matches.

    Stops early once ``page_size`` tasks matched; ``next_cursor`` then points just after the
    last match, so nothing is skipped. ``source`` is an Inspector or a Broker.
    """
    spec = model(state)
    if scan_limit < 1 or page_size < 1 or cursor < 0:
        raise ValueError("scan_limit and page_size must be >= 1 and cursor >= 0")
    flt = flt or TaskFilter()
    flt.check_state(state)
    broker = _broker(source)
    check_queue_name(queue)
    if not broker.queue_exists(queue):
        raise QueueNotFoundError(queue)
    if spec.grouped and not group:
        raise ValueError("searching aggregating tasks needs a group")
    container, kind = keys.state_container(queue, state, group)
    now = broker.now()
    page = SearchPage(
        [], cursor, 0, False, cursor=cursor, total=broker.container_size(container, kind)
    )
    position = cursor
    while page.scanned < scan_limit:
        want = min(CHUNK, scan_limit - page.scanned)
        rows = broker.scan_slice(queue, container, kind, position, want)
        for task_id, msg_bytes, score in rows:
            position += 1
            page.scanned += 1
            if msg_bytes is None:
                continue  # removed between the slice and the HGET
            try:
                msg = decode_task(msg_bytes)
            except CorruptMessageError:
                page.undecodable.append(task_id.decode("utf-8", "replace"))
                continue
            if not flt.matches(msg, spec.natural_time(msg.completed_at, score)):
                continue
            npa = spec.next_process_time(now, score)
            page.tasks.append(TaskInfo.from_message(msg, TaskState(state), next_process_at=npa))
            if len(page.tasks) >= page_size:
                page.next_cursor = position
                if position >= page.total:
                    page.exhausted, page.next_cursor = True, None
                return page
        if len(rows) < want:
            page.exhausted, page.next_cursor = True, None
            return page
    if position >= page.total:  # the budget ended exactly at the end
        page.exhausted, page.next_cursor = True, None
    else:
        page.next_cursor = position
    return page


def iter_matches(
    source: Any,
    queue: str,
    state: str,
    flt: TaskFilter | None = None,
    *,
    cursor: int = 0,
    scan_limit: int = DEFAULT_SCAN_LIMIT,
    max_scanned: int | None = None,
    group: str | None = None,
) -> Iterator[tuple[TaskInfo | None, SearchPage]]:
    """Every match from ``cursor``, one bounded ``search`` at a time (for streamed exports).

    Yields ``(task, page)``, and once per step ``(None, page)`` after the step's tasks so the
    caller can see the cursor move. Stops at the end or after ``max_scanned`` tasks.
    """
    scanned = 0
    position: int | None = cursor
    while position is not None:
        budget = scan_limit if max_scanned is None else min(scan_limit, max_scanned - scanned)
        if budget < 1:
            return
        page = search(
            source,
            queue,
            state,
            flt,
            cursor=position,
            scan_limit=budget,
            page_size=budget,
            group=group,
        )
        scanned += page.scanned
        for task in page.tasks:
            yield task, page
        yield None, page
        position = page.next_cursor
