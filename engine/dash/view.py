"""What ``pyasynq dash`` draws, as Go's ``asynq dash`` draws it: pure functions from the
dashboard's state to Rich text, so the layout can be read (and tested) apart from the terminal.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rich.cells import cell_len
from rich.text import Text

from pyasynq.cli._gofmt import go_duration, time_string
from pyasynq.states import STATES as STATES  # re-exported for the dash app

TICK = "▇"
STATE_STYLES = {
    "active": "blue",
    "pending": "green",
    "aggregating": "bright_green",
    "scheduled": "yellow",
    "retry": "magenta",
    "archived": "purple",
    "completed": "dark_green",
}
LABEL = "grey70"
HEADER = "white on grey37"
HIGHLIGHT = "on dark_olive_green3"
ROWS_USED_BY_TASK_VIEW = 15  # Go: a task page is the screen height minus the rows around it
ROWS_USED_BY_GROUP_VIEW = 16


@dataclass
class DashState:
    """Go's ``dash.State``: what is shown and what is selected. Row 0 is the header (nothing
    selected); row i is item i-1."""

    view: str = "queues"  # "queues" | "detail"
    queues: list[Any] = field(default_factory=list)
    tasks: list[Any] = field(default_factory=list)
    groups: list[Any] = field(default_factory=list)
    error: str = ""
    queue_row: int = 0
    task_row: int = 0
    group_row: int = 0
    task_state: str = "active"
    task_id: str = ""  # the task whose info is open
    selected_queue: Any = None
    selected_group: Any = None
    selected_task: Any = None
    page: int = 1

    def show_groups(self) -> bool:
        return self.task_state == "aggregating" and self.selected_group is None


# -- value formats (Go's dash) -------------------------------------------------------------------


def byte_count(n: int) -> str:
    """Go's ``byteCount``: 999 B, 1.2 kB, 3.4 MB (powers of 1000)."""
    if n < 1000:
        return f"{n} B"
    div, exp = 1000, 0
    m = n // 1000
    while m >= 1000:
        div *= 1000
        exp += 1
        m //= 1000
    return f"{n / div:.1f} {'kMGTPE'[exp]}B"


def error_rate(processed: int, failed: int) -> str:
    return f"{failed / processed:.2f}" if processed else "-"


def is_graphic(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    ok = all(unicodedata.category(c)[0] in "LMNPSZ" for c in text)
    return ok and not text.isspace() and bool(text)


def byte_slice(data: bytes | None) -> str:
    """Go's ``formatByteSlice``: ``<nil>``, ``<non-printable>`` or the text on one line."""
    if data is None:
        return "<nil>"
    if not is_graphic(data):
        return "<non-printable>"
    return data.decode("utf-8").replace("\n", "  ")


def next_process(when: datetime | None, now: datetime) -> str:
    if when is None or when <= now:
        return "now"
    return f"in {go_duration((when - now).total_seconds())}"


def past(when: datetime | None, now: datetime) -> str:
    if when is None or when >= now:
        return "just now"
    return f"{go_duration((now - when).total_seconds())} ago"


def latency(q: Any) -> str:
    return go_duration(q.latency.total_seconds())


def count(q: Any, state: str) -> int:
    return int(getattr(q, state, 0)) if q is not None else 0


# -- tables ---------------------------------------------------------------------------------------

Column = tuple[str, str, Callable[[Any], str]]  # name, "<" or ">", cell


def table(columns: Sequence[Column], rows: Sequence[Any], highlight: int, width: int) -> Text:
    """Go's ``drawTable``: header on grey, columns 4 apart, the selected row highlighted."""
    cells = [[fn(r) for _, _, fn in columns] for r in rows]
    widths = [cell_len(name) for name, _, _ in columns]
    for row in cells:
        widths = [max(w, cell_len(c)) for w, c in zip(widths, row, strict=True)]

    def line(values: Sequence[str]) -> str:
        out = []
        for (_, align, _), w, v in zip(columns, widths, values, strict=True):
            pad = " " * max(0, w - cell_len(v))
            out.append((v + pad if align == "<" else pad + v) + " " + "    ")  # Go: rpad + 4
        return "".join(out)

    text = Text()
    text.append(line([name for name, _, _ in columns]).ljust(width), style=HEADER)
    text.append("\n")
    for i, row in enumerate(cells):
        text.append(line(row).ljust(width), style=HIGHLIGHT if i == highlight else "")
        text.append("\n")
    return text


def queue_columns() -> list[Column]:
    return [
        ("Queue", "<", lambda q: q.queue),
        ("State", "<", lambda q: "PAUSED" if q.paused else "RUN"),
        ("Size", ">", lambda q: str(q.size)),
        ("Latency", ">", latency),
        ("MemoryUsage", ">", lambda q: byte_count(q.memory_usage)),
        ("Processed", ">", lambda q: str(q.processed)),
        ("Failed", ">", lambda q: str(q.failed)),
        ("ErrorRate", ">", lambda q: error_rate(q.processed, q.failed)),
    ]


def task_columns(state: str, now: datetime) -> list[Column]:
    ident: list[Column] = [("ID", "<", lambda t: t.id), ("Type", "<", lambda t: t.type)]
    payload: Column = ("Payload", "<", lambda t: byte_slice(t.payload))
    retried: list[Column] = [
        ("Retried", ">", lambda t: str(t.retried)),
        ("Max Retry", ">", lambda t: str(t.max_retry)),
    ]
    retry: Column = ("Retry", ">", lambda t: f"{t.retried}/{t.max_retry}")
    failure: list[Column] = [
        ("Last Failure", "<", lambda t: t.last_err),
        ("Last Failure Time", "<", lambda t: past(t.last_failed_at, now)),
    ]
    nxt: Column = ("Next Process Time", "<", lambda t: next_process(t.next_process_at, now))
    return {
        "active": [*ident, *retried, payload],
        "pending": [*ident, *retried, payload],
        "aggregating": [*ident, payload, ("Group", "<", lambda t: t.group)],
        "scheduled": [*ident, nxt, payload],
        "retry": [*ident, retry, *failure, nxt, payload],
        "archived": [*ident, retry, *failure, payload],
        "completed": [
            *ident,
            ("Completion Time", "<", lambda t: past(t.completed_at, now)),
            payload,
            ("Result", "<", lambda t: byte_slice(t.result)),
        ],
    }[state]


# -- whole views ----------------------------------------------------------------------------------


def queues_view(state: DashState, width: int) -> Text:
    text = Text()
    text.append("=== Queues ===\n\n", style="bold")
    names = [q.queue for q in state.queues]
    sizes = [str(q.size) for q in state.queues]
    name_w = max((cell_len(n) for n in names), default=0)
    size_w = max((len(s) for s in sizes), default=0)
    biggest = max([1, *(q.size for q in state.queues)])
    graph_w = width - (name_w + size_w + 3)
    scale = graph_w / biggest if graph_w < biggest else 1.0
    for q in state.queues:
        text.append(q.queue + " " * (name_w - cell_len(q.queue) + 1) + "|")
        for s in STATES:
            text.append(TICK * math.floor(count(q, s) * scale), style=STATE_STYLES[s])
        text.append(f" {q.size}\n")
    text.append("\n")
    for n, s in enumerate(STATES):
        text.append(("" if n == 0 else " ") + f"{s}=")
        text.append(TICK, style=STATE_STYLES[s])
    text.append("\n\n")
    text.append_text(table(queue_columns(), state.queues, state.queue_row - 1, width))
    return text


def detail_view(state: DashState, width: int, height: int, now: datetime) -> Text:
    text = Text()
    text.append("=== Queue Summary ===\n\n", style="bold")
    q = state.selected_queue
    if q is None:
        text.append("ERROR: Press q to go back\n")
    else:
        for label, value in (
            ("Name      ", q.queue),
            ("Size      ", str(q.size)),
            ("Latency   ", latency(q)),
            ("MemUsage  ", byte_count(q.memory_usage)),
        ):
            text.append(label, style=LABEL)
            text.append(value + "\n")
    text.append("\n\n=== Tasks ===\n\n", style="bold")
    for s in STATES:
        style = "bold underline" if s == state.task_state else ""
        text.append(f"{s.capitalize()}:{count(q, s)}", style=style)
        text.append("    ")
    text.append("\n\n")
    if state.show_groups():
        text.append_text(group_table(state, width, height))
    elif state.tasks:
        text.append_text(
            table(task_columns(state.task_state, now), state.tasks, state.task_row - 1, width)
        )
        text.append_text(task_pagination(state, height))
    return text


def group_table(state: DashState, width: int, height: int) -> Text:
    text = Text()
    if not state.groups:
        return text
    text.append("<<< Select group >>>\n")
    size = group_page_size(height)
    start = (state.page - 1) * size
    end = min(start + size, len(state.groups))
    columns: list[Column] = [
        ("Name", "<", lambda g: g.group),
        ("Size", ">", lambda g: str(g.size)),
    ]
    text.append_text(table(columns, state.groups[start:end], state.group_row - 1, width))
    if size < len(state.groups):
        line = f"Showing {start + 1}-{end} out of {len(state.groups)}"
        if end < len(state.groups):
            line += "  n=NextPage"
        if start > 0:
            line += "  p=PrevPage"
        text.append(line + "\n", style=LABEL)
    return text


def total_tasks(state: DashState) -> int:
    if state.task_state == "aggregating" and state.selected_group is not None:
        return int(state.selected_group.size)
    return count(state.selected_queue, state.task_state)


def task_pagination(state: DashState, height: int) -> Text:
    size = task_page_size(height)
    total = total_tasks(state)
    if size >= total:
        return Text()
    start = (state.page - 1) * size + 1
    end = start + len(state.tasks) - 1
    line = f"Showing {start}-{end} out of {total}"
    if (state.page - 1) * size + len(state.tasks) < total:
        line += "  n=NextPage"
    if state.page > 1:
        line += "  p=PrevPage"
    return Text(line + "\n", style=LABEL)


def task_page_size(height: int) -> int:
    return max(1, height - ROWS_USED_BY_TASK_VIEW)


def group_page_size(height: int) -> int:
    return max(1, height - ROWS_USED_BY_GROUP_VIEW)


def task_info_lines(task: Any, task_id: str, now: datetime) -> list[Text]:
    """The task modal's rows (Go's ``drawTaskModal``)."""
    title = Text("=== Task Info ===", style="bold")
    if task is None:
        return [title, Text(""), Text(f'Task "{task_id}" no longer exists')]

    def row(label: str, value: str) -> Text:
        t = Text(label, style=LABEL)
        t.append(value)
        return t

    rows = [
        title,
        Text(""),
        row("ID: ", task.id),
        row("Type: ", task.type),
        row("State: ", task.state.value),
        row("Queue: ", task.queue),
        row("Retry: ", f"{task.retried}/{task.max_retry}"),
    ]
    if task.last_err:
        rows.append(row("Last Failure: ", task.last_err))
        when = task.last_failed_at
        rows.append(
            row("Last Failure Time: ", f"{time_string(when)} ({past(when, now)})" if when else "")
        )
    if task.next_process_at is not None:
        when = task.next_process_at
        rows.append(row("Next Process Time: ", f"{time_string(when)} ({next_process(when, now)})"))
    if task.completed_at is not None:
        when = task.completed_at
        rows.append(row("Completion Time: ", f"{time_string(when)} ({past(when, now)})"))
    rows.append(row("Payload: ", byte_slice(task.payload)))
    if task.result is not None:
        rows.append(row("Result: ", byte_slice(task.result)))
    return rows


HELP_KEYS = (
    ("<Enter>", "              to select"),
    ("<Esc> or <q>", "         to go back"),
    ("<UpArrow> or <k>", "     to move up"),
    ("<DownArrow> or <j>", "   to move down"),
    ("<LeftArrow> or <h>", "   to move left"),
    ("<RightArrow> or <l>", "  to move right"),
    ("<Ctrl+C>", "             to quit"),
)


def help_lines() -> list[Text]:
    rows = [Text("=== Help ===", style="bold"), Text("")]
    for keys, what in HELP_KEYS:
        t = Text()
        for n, key in enumerate(keys.split(" or ")):
            if n:
                t.append(" or ")
            t.append(key, style=f"bold {LABEL}")
        t.append(what)
        rows.append(t)
    return rows
