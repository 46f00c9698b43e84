"""The one model of task states: what each of the seven states is, where it lives, what may be
done to its tasks and what time orders it.

Everything that needs to know about states reads it here (the Inspector, the broker's key
choice, search, the CLI tables, the console's tabs, buttons and filters) instead of restating a
tuple of names or a per-state ``if`` chain, so adding a rule means editing one row.

The broker alone turns a state into a Redis key (``pyasynq.broker.keys.state_container``); the
``key`` written here only documents that choice (a test checks the two agree).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal


class TaskState(enum.StrEnum):
    """The seven states of spec §2.4; the value is the string stored in the task hash."""

    ACTIVE = "active"
    PENDING = "pending"
    AGGREGATING = "aggregating"
    SCHEDULED = "scheduled"
    RETRY = "retry"
    ARCHIVED = "archived"
    COMPLETED = "completed"


Action = Literal["run", "archive", "delete", "cancel"]
ACTIONS: tuple[Action, ...] = ("run", "archive", "delete", "cancel")
"""Every action on tasks, in the order buttons and menus show them."""


@dataclass(frozen=True)
class StateModel:
    """One task state.

    ``actions`` apply alike to one task, to selected tasks and to every task of the state
    (Asynqmon's rules, console-features.md §1.3). ``next_process_at`` says where a listed task's
    next processing time comes from: ``"now"`` (pending), ``"score"`` (its zset score) or nowhere.
    ``time`` names the natural time a since/until range applies to and ``time_from`` where it is
    read: the container's score, or the message's ``completed_at`` (a completed task's score is
    its expiry, not its completion).
    """

    state: TaskState
    order: int
    container: Literal["list", "zset"]
    key: str
    actions: tuple[Action, ...]
    sorts_by: str
    time: str | None = None
    time_from: Literal["score", "completed_at"] | None = None
    next_process_at: Literal["now", "score"] | None = None
    grouped: bool = False
    delete_releases_unique: bool = False
    editable: bool = False

    @property
    def name(self) -> str:
        return self.state.value

    @property
    def label(self) -> str:
        return self.name.capitalize()

    @property
    def is_list(self) -> bool:
        return self.container == "list"

    def allows(self, action: str) -> bool:
        return action in self.actions

    def next_process_time(self, now: float, score: float | None) -> float | None:
        """A listed task's next processing time (Unix seconds) from its container score."""
        if self.next_process_at == "now":
            return now
        return score if self.next_process_at == "score" else None

    def natural_time(self, completed_at: float, score: float | None) -> float | None:
        """The time a since/until range compares (``time``), or None for untimed states."""
        if self.time_from == "completed_at":
            return float(completed_at) or None
        return score if self.time_from == "score" else None


_MODELS = (
    StateModel(
        TaskState.ACTIVE,
        0,
        "list",
        "asynq:{<qname>}:active",
        ("cancel",),
        sorts_by="dequeue order (longest running first)",
    ),
    StateModel(
        TaskState.PENDING,
        1,
        "list",
        "asynq:{<qname>}:pending",
        ("archive", "delete"),
        sorts_by="enqueue order (next to be dequeued first)",
        next_process_at="now",
        editable=True,
    ),
    StateModel(
        TaskState.AGGREGATING,
        2,
        "zset",
        "asynq:{<qname>}:g:<group>",
        ("run", "archive", "delete"),
        sorts_by="time added to the group",
        time="time added to the group",
        time_from="score",
        grouped=True,
    ),
    StateModel(
        TaskState.SCHEDULED,
        3,
        "zset",
        "asynq:{<qname>}:scheduled",
        ("run", "archive", "delete"),
        sorts_by="process time",
        time="next process time",
        time_from="score",
        next_process_at="score",
        delete_releases_unique=True,
        editable=True,
    ),
    StateModel(
        TaskState.RETRY,
        4,
        "zset",
        "asynq:{<qname>}:retry",
        ("run", "archive", "delete"),
        sorts_by="retry time",
        time="next retry time",
        time_from="score",
        next_process_at="score",
        delete_releases_unique=True,
        editable=True,
    ),
    StateModel(
        TaskState.ARCHIVED,
        5,
        "zset",
        "asynq:{<qname>}:archived",
        ("run", "delete"),
        sorts_by="archive time",
        time="archive time",
        time_from="score",
        delete_releases_unique=True,
        editable=True,
    ),
    StateModel(
        TaskState.COMPLETED,
        6,
        "zset",
        "asynq:{<qname>}:completed",
        ("delete",),
        sorts_by="expiry time (completion plus retention)",
        time="completion time",
        time_from="completed_at",
        delete_releases_unique=True,
    ),
)

MODELS: dict[str, StateModel] = {m.name: m for m in sorted(_MODELS, key=lambda m: m.order)}
"""State name -> its model, in Go's display order."""

STATES: tuple[str, ...] = tuple(MODELS)
"""The state names in Go's display order (active, pending, aggregating, scheduled, retry,
archived, completed): tabs, CLI tables and ``QueueInfo`` columns."""

ROW_ACTIONS: dict[str, tuple[Action, ...]] = {name: m.actions for name, m in MODELS.items()}
"""State -> the actions allowed on its tasks (one, selected or all)."""

EDITABLE_STATES: tuple[str, ...] = tuple(name for name, m in MODELS.items() if m.editable)
"""States whose tasks wait (not running, not done): their payload or time may be changed."""

TIMED_STATES: dict[str, str] = {name: m.time for name, m in MODELS.items() if m.time}
"""State -> the natural time a since/until range applies to (pending and active have none)."""


def model(state: str) -> StateModel:
    """The model of ``state``; a ValueError naming the states for anything else."""
    found = MODELS.get(str(state))
    if found is None:
        raise ValueError(f"state must be one of {', '.join(STATES)}, got {str(state)[:40]!r}")
    return found


def allowed(state: str, action: str) -> bool:
    """True when ``action`` may be done to tasks in ``state``."""
    found = MODELS.get(str(state))
    return found is not None and found.allows(action)
