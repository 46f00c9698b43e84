"""The queue table of the dashboard and ``/api/queues``: search, sort and page by URL, server-side.

With a queue per tenant there are hundreds to thousands of queues, and reading each one's full
info (Go's sampled memory estimate, the oldest task's latency) for every poll cost hundreds of
milliseconds and megabytes of HTML. So every queue's counts come from the light
``Inspector.queue_counts`` (totals, sorting, the bad-data banner), and only the rows of the
requested page are read in full with ``get_queue_infos``. With no more queues than one page,
everything is read in full, as before (then the memory total is exact too).

URL parameters (the same for the page and the API):
``q`` (name contains, case-insensitive), ``sort`` (one of ``SORT_KEYS``), ``order``
(``asc``/``desc``), ``qpage`` (from 1; past the last page shows the last) and ``qsize``
(rows per page).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pyasynq.info import QueueInfo

STATES = ("pending", "active", "scheduled", "retry", "archived", "completed", "aggregating")
SORT_KEYS = ("name", "size", *STATES, "processed", "failed", "error_rate", "paused")
MAX_QUERY = 200
MAX_BAD_LISTED = 50


class TableParamError(ValueError):
    """A URL parameter of the queue table that is not usable; the message says which."""


@dataclass(frozen=True)
class TableParams:
    q: str = ""
    sort: str = "name"
    order: str = "asc"
    page: int = 1
    size: int = 50

    default_size: int = 50

    def args(self, **changes: Any) -> dict[str, Any]:
        """The parameters that differ from the defaults, as URL arguments (for links that keep
        the view: sort headers, pager, the polled fragment)."""
        values = {"q": self.q, "sort": self.sort, "order": self.order, "qpage": self.page}
        values["qsize"] = self.size
        values.update(changes)
        default_order = "asc" if values["sort"] == "name" else "desc"
        defaults = {"q": "", "sort": "name", "order": default_order, "qpage": 1}
        defaults["qsize"] = self.default_size
        return {k: v for k, v in values.items() if defaults[k] != v}

    def sorted_by(self, key: str) -> dict[str, Any]:
        """Arguments of a column header's link: sort by ``key`` (again: the other way round).

        A new column starts ascending, as static/js/tables.js sorts the shown rows on the same
        click, so the instant client-side order and the server's page agree."""
        flipped = "desc" if self.order == "asc" else "asc"
        order = flipped if key == self.sort else "asc"
        return self.args(sort=key, order=order, qpage=1)


def parse_params(args: Mapping[str, str], *, default_size: int, max_size: int) -> TableParams:
    """The table parameters from a request's query string; a bad one raises ``TableParamError``."""
    q = args.get("q", "").strip()
    if len(q) > MAX_QUERY:
        raise TableParamError(f"'q' must be at most {MAX_QUERY} characters.")
    sort = args.get("sort", "") or "name"
    if sort not in SORT_KEYS:
        raise TableParamError(f"'sort' must be one of {', '.join(SORT_KEYS)}, got {sort[:20]!r}.")
    default_order = "asc" if sort == "name" else "desc"
    order = args.get("order", "") or default_order
    if order not in ("asc", "desc"):
        raise TableParamError(f"'order' must be asc or desc, got {order[:20]!r}.")

    def number(name: str, default: int, high: int) -> int:
        raw = args.get(name, "")
        if raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise TableParamError(f"'{name}' must be a whole number.") from None
        if not 1 <= value <= high:
            raise TableParamError(f"'{name}' must be from 1 to {high}.")
        return value

    page = number("qpage", 1, 1_000_000)
    return TableParams(q, sort, order, page, number("qsize", default_size, max_size), default_size)


@dataclass
class QueueTable:
    """One page of the queue table, plus the figures over every queue."""

    params: TableParams
    rows: list[QueueInfo]
    """The page's queues, read in full (memory, latency), in the requested order."""
    counts: list[QueueInfo]
    """Every queue's counts (``memory_usage``/``latency`` not read unless ``complete``)."""
    matched: int
    page: int
    pages: int
    complete: bool
    """Every queue was read in full (no more queues than one page): the memory total is exact."""
    totals: dict[str, Any] = field(default_factory=dict)
    bad: list[QueueInfo] = field(default_factory=list)
    bad_count: int = 0

    @property
    def first(self) -> int:
        return (self.page - 1) * self.params.size + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


def _sort_key(sort: str) -> Any:
    if sort == "name":
        return lambda q: q.queue
    if sort == "error_rate":
        return lambda q: (q.error_rate, q.queue)
    return lambda q: (getattr(q, sort), q.queue)


def _totals(counts: list[QueueInfo], complete: bool) -> dict[str, Any]:
    totals: dict[str, Any] = {s: sum(getattr(q, s) for q in counts) for s in STATES}
    totals.update(
        size=sum(q.size for q in counts),
        processed=sum(q.processed for q in counts),
        failed=sum(q.failed for q in counts),
        memory=sum(q.memory_usage for q in counts) if complete else None,
        queues=len(counts),
        paused=sum(1 for q in counts if q.paused),
    )
    return totals


def build_table(insp: Any, params: TableParams, *, totals: bool = True) -> QueueTable:
    """Read, search, sort and page the queues: every queue's counts in one light round trip,
    the page's rows in full in another (one round trip for all when they fit one page).

    Without ``totals`` (the API's default) a table sorted by name needs no counts at all: the
    names are searched, sorted and paged, and only the page's queues are read; ``totals`` is
    then empty and ``counts``/``bad`` cover the page only."""
    names = insp.queues()
    complete = len(names) <= params.size
    if not totals and not complete and params.sort == "name":
        return _by_name_only(insp, params, names)
    if complete:
        counts = insp.get_queue_infos(names, skip_missing=True)
    else:
        counts = insp.queue_counts(names)
    needle = params.q.casefold()
    matched = [q for q in counts if needle in q.queue.casefold()] if needle else list(counts)
    matched.sort(key=_sort_key(params.sort), reverse=params.order == "desc")
    pages = max(1, -(-len(matched) // params.size))
    page = min(params.page, pages)
    chosen = matched[(page - 1) * params.size : page * params.size]
    if complete:
        rows = chosen
    else:
        full = {
            q.queue: q for q in insp.get_queue_infos([q.queue for q in chosen], skip_missing=True)
        }
        rows = [full.get(q.queue, q) for q in chosen]
    by_name = {q.queue: q for q in rows}
    bad_all = [
        by_name.get(q.queue, q) for q in counts if q.problems or by_name.get(q.queue, q).problems
    ]
    return QueueTable(
        params=params,
        rows=rows,
        counts=counts,
        matched=len(matched),
        page=page,
        pages=pages,
        complete=complete,
        totals=_totals(counts, complete),
        bad=bad_all[:MAX_BAD_LISTED],
        bad_count=len(bad_all),
    )


def _by_name_only(insp: Any, params: TableParams, names: list[str]) -> QueueTable:
    needle = params.q.casefold()
    matched = [q for q in names if needle in q.casefold()] if needle else list(names)
    matched.sort(reverse=params.order == "desc")
    pages = max(1, -(-len(matched) // params.size))
    page = min(params.page, pages)
    chosen = matched[(page - 1) * params.size : page * params.size]
    rows = insp.get_queue_infos(chosen, skip_missing=True)
    bad = [q for q in rows if q.problems]
    return QueueTable(
        params=params,
        rows=rows,
        counts=rows,
        matched=len(matched),
        page=page,
        pages=pages,
        complete=False,
        totals={},
        bad=bad,
        bad_count=len(bad),
    )
