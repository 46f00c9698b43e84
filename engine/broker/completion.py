"""Completion operations: the Redis side of ``pyasynq.completion`` (pyasynq only).

A task that finishes with retention, or fails for good, is written by one script that does Go's
``mark_complete``/``archive`` steps, then, for a workflow member, the workflow's continuation
(its hash ``pyasynq:{<home queue>}:wf:<id>``, layout in scripts/workflow_lib.lua), and finally
PUBLISHes the state on ``pyasynq:done:<id>`` so a ``Client.wait`` returns at once. The processor
and the recoverer call these for every such task, workflow member or not; building and reading
workflows is ``pyasynq.broker.extras.workflows``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from pyasynq.broker.base import (
    BrokerBase,
    to_str,
)
from pyasynq.broker.worker import TaskNotActiveError, archive_call, complete_call
from pyasynq.errors import BrokerError

DONE_CHANNEL_PREFIX = "pyasynq:done:"


def workflow_key(home_queue: str, workflow_id: str) -> str:
    """``pyasynq:{q}:wf:<id>``: in the home queue's cluster slot, outside Go's ``asynq:``."""
    return f"pyasynq:{{{home_queue}}}:wf:{workflow_id}"


def done_channel(task_id: str) -> str:
    """Where a pyasynq worker announces that a task reached completed or archived."""
    return DONE_CHANNEL_PREFIX + task_id


class DoneSubscription:
    """A pub/sub connection on one task's completion channel (hides redis-py from callers)."""

    def __init__(self, ops: BrokerBase, task_id: str) -> None:
        self._ops = ops
        self._pubsub = ops.redis.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
        with ops.errors():
            self._pubsub.subscribe(done_channel(task_id))

    def wait(self, timeout: float) -> str | None:
        """The state announced within ``timeout`` seconds, or ``None``."""
        with self._ops.errors():
            msg = self._pubsub.get_message(timeout=max(0.0, timeout))
        if msg and msg.get("type") == "message":
            return to_str(msg.get("data"))
        return None

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing must never hide the caller's outcome
            self._pubsub.close()


class CompletionOps(BrokerBase):
    # -- completion notices -----------------------------------------------------------------
    def subscribe_done(self, task_id: str) -> DoneSubscription:
        return DoneSubscription(self, task_id)

    # -- acknowledgements of workflow members (the processor's hook) ------------------------
    def _ack_wf(self, name: str, script_keys: Sequence[str], args: Sequence[Any]) -> None:
        try:
            self.run(name, script_keys, args)
        except BrokerError as exc:
            if "NOT FOUND" in str(exc):
                raise TaskNotActiveError(str(exc)) from exc
            raise

    def complete_member(self, msg: Any, wf_key: str, now: float | None = None) -> None:
        """``mark_complete`` and the workflow continuation, in one script call."""
        now = self.now() if now is None else now
        script_keys, args = complete_call(msg, now, wf_key)
        self._ack_wf(
            "workflow_complete",
            script_keys,
            [*args, repr(float(now)), int(now * 1e9), done_channel(msg.id)],
        )

    def archive_member(self, msg: Any, error: str, wf_key: str, now: float | None = None) -> None:
        """``archive`` and the workflow's failure continuation, in one script call."""
        now = self.now() if now is None else now
        script_keys, args = archive_call(msg, error, now, wf_key)
        self._ack_wf(
            "workflow_archive",
            script_keys,
            [*args, error, int(now * 1e9), done_channel(msg.id), repr(float(now))],
        )
