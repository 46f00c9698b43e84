"""``pyasynq dash``: Go ``asynq dash``'s terminal dashboard on Textual.

Views and keys are Go's: the queues (size bars and a table), a queue's detail (summary, state
tabs, a paged task table, the group picker for aggregating tasks), a task's info and the help box.
Esc/q goes back (and quits from the queues view), Ctrl+C quits, j/k or the arrows move, h/l or
left/right change the state tab, Enter selects, n/p page, ? shows help. Data is read through the
Inspector in a worker thread every ``refresh`` seconds and after every move, so a slow or absent
Redis never freezes the screen: its error shows in the footer.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.screen import ModalScreen
from textual.widgets import Static

from pyasynq.clock import SYSTEM_CLOCK, Clock
from pyasynq.dash import view
from pyasynq.dash.view import STATES, DashState
from pyasynq.errors import TaskNotFoundError


class InfoBox(ModalScreen[None]):
    """Go's modal box: the help, or the open task's info (refreshed while open)."""

    BINDINGS = [
        Binding("escape,q", "close", show=False),
        Binding("ctrl+c", "app.quit", show=False, priority=True),
    ]
    DEFAULT_CSS = """
    InfoBox { align: center middle; background: $background 0%; }
    InfoBox > Container { width: 60%; height: 60%; border: round $foreground; padding: 0 1;
                          background: $surface; }
    InfoBox Static { width: 100%; height: auto; }
    """

    def __init__(self, kind: str, lines: list[Text]) -> None:
        super().__init__()
        self.kind = kind
        self._lines = lines

    def compose(self) -> ComposeResult:
        with Container():
            yield Static(Text("\n").join(self._lines), id="box")

    def show(self, lines: list[Text]) -> None:
        self._lines = lines
        if self.is_mounted:
            self.query_one("#box", Static).update(Text("\n").join(lines))

    def action_close(self) -> None:
        self.dismiss(None)


class DashApp(App[None]):
    """The dashboard. ``inspector`` is a ``pyasynq.Inspector``; ``clock`` pins "now" in tests."""

    TITLE = "pyasynq dash"
    CSS = """
    Screen { layout: vertical; }
    #body { height: 1fr; overflow: hidden; }
    #footer { height: 1; background: $primary-background; color: $text; }
    #footer.error { background: darkred; }
    """
    BINDINGS = [
        Binding("escape,q", "back", show=False),
        Binding("ctrl+c", "quit", show=False, priority=True),
        Binding("ctrl+l", "redraw", show=False),
        Binding("down,j", "down", show=False),
        Binding("up,k", "up", show=False),
        Binding("right,l", "right", show=False),
        Binding("left,h", "left", show=False),
        Binding("enter", "enter", show=False),
        Binding("question_mark", "help", show=False),
        Binding("n", "next_page", show=False),
        Binding("p", "prev_page", show=False),
    ]

    def __init__(self, inspector: Any, refresh: float = 8.0, clock: Clock | None = None) -> None:
        super().__init__()
        self.inspector = inspector
        self.refresh_interval = refresh
        self.clock = clock or SYSTEM_CLOCK
        self.state = DashState()
        self._generation = itertools.count(1)
        self._latest = 0
        self._timer: Any = None

    # -- layout ----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(id="body")
        yield Static(id="footer")

    def on_mount(self) -> None:
        self.draw()
        self.fetch()
        self._timer = self.set_interval(self.refresh_interval, self.fetch)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.now(), UTC)

    def draw(self) -> None:
        s, (width, height) = self.state, self.size
        if s.view == "queues":
            body = view.queues_view(s, width)
        else:
            body = view.detail_view(s, width, height, self.now())
        body.no_wrap, body.overflow = True, "crop"  # Go clips at the screen's edge
        self.query_one("#body", Static).update(body)
        footer = self.query_one("#footer", Static)
        footer.set_class(bool(s.error), "error")
        if s.error:
            footer.update(Text(s.error))
        elif isinstance(self.screen, InfoBox) and self.screen.kind == "help":
            footer.update("<Esc>: GoBack")
        else:
            footer.update("<?>: Help    <Ctrl+C>: Exit ")
        if isinstance(self.screen, InfoBox) and self.screen.kind == "task":
            self.screen.show(view.task_info_lines(s.selected_task, s.task_id, self.now()))

    # -- data ------------------------------------------------------------------------------------
    def fetch(self) -> None:
        """Read what the current view needs, off the UI thread; only the newest read is shown."""
        generation = self._latest = next(self._generation)
        s = self.state
        want = {
            "view": s.view,
            "queue": s.selected_queue.queue if s.selected_queue is not None else None,
            "state": s.task_state,
            "groups": s.show_groups(),
            "group": s.selected_group.group if s.selected_group is not None else None,
            "page": s.page,
            "size": view.task_page_size(self.size.height),
            "task_id": s.task_id,
        }
        self.run_worker(lambda: self._read(generation, want), thread=True, group="fetch")

    def _read(self, generation: int, want: dict[str, Any]) -> None:
        insp, got = self.inspector, {}
        try:
            if want["view"] == "queues":
                got["queues"] = insp.get_queue_infos(insp.queues(), skip_missing=True)
            else:
                q = want["queue"]
                got["queue"] = insp.get_queue_info(q)
                if want["groups"]:
                    got["groups"] = insp.groups(q)
                else:
                    got["tasks"] = insp.list_tasks(
                        q, want["state"], want["size"], want["page"], group=want["group"]
                    )
                if want["task_id"]:
                    try:
                        got["task"] = insp.get_task_info(q, want["task_id"])
                    except TaskNotFoundError:
                        got["task"] = None
        except Exception as exc:  # any reader failure is shown in the footer, never raised
            got = {"error": str(exc) or type(exc).__name__}
        self.call_from_thread(self._apply, generation, got)

    def _apply(self, generation: int, got: dict[str, Any]) -> None:
        if generation != self._latest:
            return  # a newer read is on its way
        s = self.state
        s.error = got.get("error", "")
        if "queues" in got:
            s.queues = got["queues"]
            s.queue_row = min(s.queue_row, len(s.queues))
        if "queue" in got:
            s.selected_queue = got["queue"]
        if "groups" in got:
            s.groups = got["groups"]
            s.group_row = min(s.group_row, len(s.groups))
        if "tasks" in got:
            s.tasks = list(got["tasks"])
            s.task_row = min(s.task_row, len(s.tasks))
        if "task" in got:
            s.selected_task = got["task"]
        self.draw()

    def refetch(self) -> None:
        """Go's ``Fetch`` plus ``resetTicker``: read now, next timed read a full interval later."""
        self.fetch()
        if self._timer is not None:
            self._timer.reset()
        self.draw()

    # -- keys (Go's keyEventHandler) -------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the help or a task's info is open, only its own keys and Ctrl+C work."""
        return action == "quit" or not isinstance(self.screen, InfoBox)

    def action_back(self) -> None:  # type: ignore[override]  # textual runs sync actions too
        s = self.state
        if s.view == "detail":
            s.view = "queues"
            self.refetch()
        else:
            self.exit()

    def action_redraw(self) -> None:
        self.refresh(layout=True)
        self.draw()

    def action_down(self) -> None:
        s = self.state
        if s.view == "queues":
            s.queue_row = s.queue_row + 1 if s.queue_row < len(s.queues) else 0
        elif s.show_groups():
            limit = min(view.group_page_size(self.size.height), len(s.groups))
            s.group_row = s.group_row + 1 if s.group_row < limit else 0
        else:
            s.task_row = s.task_row + 1 if s.task_row < len(s.tasks) else 0
        self.draw()

    def action_up(self) -> None:
        s = self.state
        if s.view == "queues":
            s.queue_row = s.queue_row - 1 if s.queue_row else len(s.queues)
        elif s.show_groups():
            limit = min(view.group_page_size(self.size.height), len(s.groups))
            s.group_row = s.group_row - 1 if s.group_row else limit
        else:
            s.task_row = s.task_row - 1 if s.task_row else len(s.tasks)
        self.draw()

    def action_enter(self) -> None:
        s = self.state
        if s.view == "queues":
            if s.queue_row:
                s.selected_queue = s.queues[s.queue_row - 1]
                s.view, s.task_state, s.tasks, s.page, s.task_row = "detail", "active", [], 1, 0
                s.selected_group, s.groups, s.group_row = None, [], 0
                self.refetch()
        elif s.show_groups():
            start = (s.page - 1) * view.group_page_size(self.size.height)
            if s.group_row and start + s.group_row - 1 < len(s.groups):
                s.selected_group = s.groups[start + s.group_row - 1]
                s.tasks, s.page, s.task_row = [], 1, 0
                self.refetch()
        elif s.task_row and s.task_row <= len(s.tasks):
            task = s.tasks[s.task_row - 1]
            s.selected_task, s.task_id = task, task.id
            box = InfoBox("task", view.task_info_lines(task, task.id, self.now()))
            self.push_screen(box, lambda _: self._task_closed())
            self.refetch()

    def _task_closed(self) -> None:
        self.state.task_id, self.state.selected_task = "", None
        self.draw()

    def _switch_state(self, step: int) -> None:
        s = self.state
        if s.view != "detail":
            return
        s.task_state = STATES[(STATES.index(s.task_state) + step) % len(STATES)]
        s.page, s.task_row, s.tasks, s.selected_group = 1, 0, [], None
        s.groups, s.group_row = [], 0
        self.refetch()

    def action_right(self) -> None:
        self._switch_state(1)

    def action_left(self) -> None:
        self._switch_state(-1)

    def action_help(self) -> None:
        if not isinstance(self.screen, InfoBox):
            self.push_screen(InfoBox("help", view.help_lines()), lambda _: self.draw())
            self.draw()

    def action_next_page(self) -> None:
        s, height = self.state, self.size.height
        if s.view != "detail":
            return
        if s.show_groups():
            size = view.group_page_size(height)
            if s.page * size < len(s.groups):
                s.page, s.group_row = s.page + 1, 0
                self.draw()
        elif (s.page - 1) * view.task_page_size(height) + len(s.tasks) < view.total_tasks(s):
            s.page, s.task_row = s.page + 1, 0
            self.refetch()

    def action_prev_page(self) -> None:
        s = self.state
        if s.view != "detail" or s.page <= 1:
            return
        s.page -= 1
        if s.show_groups():
            s.group_row = 0
            self.draw()
        else:
            s.task_row = 0
            self.refetch()

    def on_resize(self) -> None:
        self.draw()
