"""Writing a task's final outcome when someone may be waiting for it (results, workflows).

The processor calls ``complete`` for a success with retention and ``archive`` for a final
failure. A task that carries workflow metadata (the ``pyasynq-workflow`` headers, set by
``pyasynq.workflows``) is written by a script variant that also records the outcome in its
workflow and enqueues what follows, in the same atomic call, and announces the outcome on
``pyasynq:done:<id>``. Any other task keeps Go's script and only gets the announcement (one
PUBLISH, so ``Client.wait`` returns at once instead of at its next poll). Successes without
retention (the batched hot path) never come here: nothing can wait for them.
"""

from __future__ import annotations

import logging
from typing import Any

from pyasynq.errors import BrokerError

WORKFLOW_HEADER = "pyasynq-workflow"
"""Header naming the workflow a member task belongs to."""
WORKFLOW_QUEUE_HEADER = "pyasynq-workflow-queue"
"""Header naming the workflow's home queue (its hash lives in that queue's cluster slot)."""
PARENTS_HEADER = "pyasynq-parents"
"""Header set on a continuation: JSON list of the finished tasks it follows (see workflows)."""

log = logging.getLogger("pyasynq.completion")


def workflow_key_of(msg: Any) -> str | None:
    """The workflow hash key of a member task's message, or None for a plain task."""
    headers = msg.headers
    if WORKFLOW_HEADER not in headers:
        return None
    from pyasynq.broker.workflows import workflow_key

    return workflow_key(headers.get(WORKFLOW_QUEUE_HEADER) or msg.queue, headers[WORKFLOW_HEADER])


def _announce(broker: Any, task_id: str, state: str) -> None:
    try:
        broker.publish_done(task_id, state)
    except BrokerError as exc:  # waiters poll too: a lost notice only delays them
        log.debug("completion notice for %s not sent: %s", task_id, exc)


def complete(broker: Any, msg: Any, now: float) -> None:
    """Success with retention: ``mark_complete`` (plus the continuation for a member)."""
    wf_key = workflow_key_of(msg)
    if wf_key is not None:
        broker.complete_member(msg, wf_key, now=now)
        return
    broker.mark_complete(msg, now=now)
    _announce(broker, msg.id, "completed")


def archive(broker: Any, msg: Any, error: str, now: float) -> None:
    """Final failure: ``archive`` (plus the failure continuation for a member)."""
    wf_key = workflow_key_of(msg)
    if wf_key is not None:
        broker.archive_member(msg, error, wf_key, now=now)
        return
    broker.archive(msg, error, now=now)
    _announce(broker, msg.id, "archived")
