"""What may be done to tasks in each state, and how each action maps onto the Inspector.

The rules are Asynqmon's (console-features.md §1.3) and live in the one model of states
(``pyasynq.states``: ``STATES``, ``ROW_ACTIONS``, ``allowed``, re-exported here for the views).
Templates read the same tables to decide which buttons to draw, and views refuse anything else,
so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pyasynq.console.audit import note_outcome
from pyasynq.console.presenters import plural
from pyasynq.errors import AsynqError, BrokerError
from pyasynq.states import ROW_ACTIONS, STATES, allowed

__all__ = ["LABELS", "ROW_ACTIONS", "STATES", "Outcome", "allowed", "run_all", "run_batch"]

LABELS = {"run": "Run", "archive": "Archive", "delete": "Delete", "cancel": "Cancel"}


@dataclass
class Outcome:
    """What a bulk action did: how many tasks it touched and which failed, with why."""

    action: str
    done: int
    errors: dict[str, str] = field(default_factory=dict)

    def message(self) -> str:
        tasks = plural(self.done, "task")
        text = {
            "run": f"Ran {tasks} (moved to pending)",
            "archive": f"Archived {tasks}",
            "delete": f"Deleted {tasks}",
            "cancel": f"Sent a cancel signal to {tasks}",
        }[self.action]
        if self.errors:
            first = next(iter(self.errors.items()))
            text += f"; {plural(len(self.errors), 'task')} failed (e.g. {first[0]}: {first[1]})"
        return text


def run_one(inspector: Any, queue: str, task_id: str, action: str) -> None:
    """Run one action on one task; the Inspector raises on a missing task or a bad state."""
    if action == "cancel":
        inspector.cancel_processing(task_id)
    elif action == "run":
        inspector.run_task(queue, task_id)
    elif action == "archive":
        inspector.archive_task(queue, task_id)
    elif action == "delete":
        inspector.delete_task(queue, task_id)
    else:  # pragma: no cover - routes only admit the four verbs
        raise ValueError(f"unknown action {action!r}")


def run_batch(inspector: Any, queue: str, ids: list[str], action: str) -> Outcome:
    """Run ``action`` on the selected ``ids`` in as few round trips as the Inspector allows."""
    if action == "cancel":
        errors: dict[str, str] = {}
        done = 0
        for task_id in ids:
            try:
                inspector.cancel_processing(task_id)
                done += 1
            except AsynqError as exc:  # report per task, keep going like Asynqmon's batch_cancel
                if isinstance(exc, BrokerError):
                    raise
                errors[task_id] = str(exc)
        return _noted(Outcome(action, done, errors))
    method = {
        "run": inspector.run_tasks,
        "archive": inspector.archive_tasks,
        "delete": inspector.delete_tasks,
    }[action]
    result = method(queue, ids)
    return _noted(Outcome(action, int(result.done), dict(result.errors)))


def _noted(outcome: Outcome) -> Outcome:
    """Tell the audit log how many tasks the action really changed."""
    note_outcome(outcome.done, len(outcome.errors))
    return outcome


def run_all(
    inspector: Any, queue: str, state: str, action: str, group: str | None = None
) -> Outcome:
    """Run ``action`` on every task in ``state`` (in ``group`` for aggregating tasks)."""
    n = inspector.bulk(queue, state, action, group=group)
    return _noted(Outcome(action, int(n)))
