"""Writing a task's final outcome when someone may be waiting for it (results, workflows).

The processor calls ``complete`` for a success with retention and ``archive`` for a final
failure (the recoverer too, for a lease that expired with no retry left). Both write with a
script that does exactly Go's ``mark_complete``/``archive`` steps (tests compare them key by
key), then, for a task that carries workflow metadata (the ``pyasynq-workflow`` headers set by
``pyasynq.extras.workflows``), records the outcome in its workflow and enqueues what follows, and
finally PUBLISHes the state on ``pyasynq:done:<id>`` so ``Client.wait`` returns at once. One
script call, one round trip, as with Go's script alone (measured: 1.01-1.05x its time; a
separate PUBLISH round trip cost up to 2.5x).
Successes without retention (the batched hot path) never come here: nothing can wait for them.
"""

from __future__ import annotations

from typing import Any

from pyasynq.broker.completion import workflow_key

WORKFLOW_HEADER = "pyasynq-workflow"
"""Header naming the workflow a member task belongs to."""
WORKFLOW_QUEUE_HEADER = "pyasynq-workflow-queue"
"""Header naming the workflow's home queue (its hash lives in that queue's cluster slot)."""
PARENTS_HEADER = "pyasynq-parents"
"""Header set on a continuation: JSON list of the finished tasks it follows (see workflows)."""

NO_WORKFLOW = "-"
"""The workflow id used for plain tasks: workflow ids are UUIDs, so this hash never exists."""


def workflow_key_of(msg: Any) -> str:
    """The workflow hash key of a member task's message; for a plain task a key in the same
    cluster slot that never exists (``pyasynq:{q}:wf:-``), so the script only announces."""
    headers = msg.headers
    if WORKFLOW_HEADER not in headers:
        return workflow_key(msg.queue, NO_WORKFLOW)
    return workflow_key(headers.get(WORKFLOW_QUEUE_HEADER) or msg.queue, headers[WORKFLOW_HEADER])


def complete(broker: Any, msg: Any, now: float) -> None:
    """Success with retention: Go's ``mark_complete`` steps, the continuation of a workflow
    member, and the completion notice, in one script call (one round trip, as before)."""
    broker.complete_member(msg, workflow_key_of(msg), now=now)


def archive(broker: Any, msg: Any, error: str, now: float) -> None:
    """Final failure: Go's ``archive`` steps, a member's failure continuation, the notice."""
    broker.archive_member(msg, error, workflow_key_of(msg), now=now)
