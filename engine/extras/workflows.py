"""Workflows: chains, groups and chords of ordinary Asynq tasks, and completion callbacks.

Build a flow with ``chain``/``group``/``chord`` and enqueue it with
``Client.enqueue_workflow`` (callbacks: ``Client.enqueue(task, on_success=..., on_failure=...)``).

Why it looks like this (details in docs/workflows.md):

* **Stages.** A workflow is a list of stages, each a set of tasks run in parallel: ``chain(a,
  b, c)`` is three stages of one task, ``chord(group(a, b), c)`` two stages, a chain of groups
  one stage per step. A stage starts when every member of the previous one completed; its
  tasks get the previous stage's results in the ``pyasynq-parents`` header (``parents()``).
  Optional ``on_success`` runs after the last stage, ``on_failure`` at the first member that
  fails for good (archived, or deleted while needed); the workflow then stops.
* **Atomic continuations.** A member's success or final failure is written by one Lua script
  that also records it in the workflow hash and enqueues whatever follows. A worker killed at
  any instant therefore either wrote both or neither (then the task is redone): no
  continuation is lost or doubled. (The same script, without a workflow, writes every
  success with retention and every archive: Go's steps plus the completion notice.)
* **Go workers.** Members are ordinary Asynq tasks (with a retention, so a Go worker's
  success leaves a ``completed`` record). A Go worker runs them but fires nothing; the
  reconciler (run by every pyasynq Server's janitor, ``reconcile``) sees completed, archived
  or vanished members and settles them through a script that re-checks the task's state, so
  each continuation still fires exactly once, one janitor interval later.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pyasynq.broker.codec import decode_task, encode
from pyasynq.client import new_task_id
from pyasynq.completion import NO_WORKFLOW, PARENTS_HEADER, WORKFLOW_HEADER, WORKFLOW_QUEUE_HEADER
from pyasynq.errors import TaskIDConflictError, WaitTimeoutError
from pyasynq.extras.workflow_state import (  # re-exported: one import for users
    MemberInfo,
    WorkflowInfo,
    cancel_workflow,
    get_workflow,
    is_settled,
    list_workflows,
    reconcile,
)
from pyasynq.inspector import Inspector
from pyasynq.task import Task, TaskInfo

if TYPE_CHECKING:
    from pyasynq.broker.broker import Broker
    from pyasynq.client import Client

__all__ = [
    "Chain",
    "Group",
    "MemberInfo",
    "Parent",
    "WorkflowInfo",
    "cancel_workflow",
    "chain",
    "chord",
    "enqueue_workflow",
    "get_workflow",
    "group",
    "is_settled",
    "list_workflows",
    "parent_results",
    "parents",
    "reconcile",
    "wait_workflow",
    "workflow_id_of",
]

DEFAULT_TTL = 7 * 24 * 3600
"""Seconds a workflow's record lives after its last member outcome."""
DEFAULT_MEMBER_RETENTION = 24 * 3600
"""Retention given to members that set none: a Go worker's success must leave a record the
reconciler can read, and ``Client.wait`` needs one too."""
_FORBIDDEN_MEMBER_OPTIONS = ("process_at", "process_in", "unique", "group", "task_id")


# -- building flows ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Group:
    """Tasks that run in parallel; the next step starts when all of them completed."""

    tasks: tuple[Task, ...]


@dataclass(frozen=True)
class Chain:
    """Steps that run one after the other; a step is a Task or a Group."""

    steps: tuple[Task | Group, ...]


def group(*tasks: Task | Iterable[Task]) -> Group:
    """``group(a, b, c)`` or ``group([a, b, c])``: parallel members of one stage."""
    flat: list[Task] = []
    for item in tasks:
        if isinstance(item, Task):
            flat.append(item)
        elif isinstance(item, Chain | Group):
            raise TypeError("a group holds tasks only (nest the other way: a chain of groups)")
        else:
            flat.extend(_only_tasks(item))
    if not flat:
        raise ValueError("a group needs at least one task")
    return Group(tuple(flat))


def _only_tasks(items: Iterable[Any]) -> list[Task]:
    out = list(items)
    for t in out:
        if not isinstance(t, Task):
            raise TypeError(f"expected a Task, got {type(t).__name__}")
    return out


def chain(*steps: Task | Group | Chain) -> Chain:
    """``chain(a, group(b, c), d)``: each step after the previous one completed; a nested
    chain is flattened into this one."""
    flat: list[Task | Group] = []
    for step in steps:
        if isinstance(step, Chain):
            flat.extend(step.steps)
        elif isinstance(step, Task | Group):
            flat.append(step)
        else:
            raise TypeError(f"a chain step is a Task, group or chain, got {type(step).__name__}")
    if not flat:
        raise ValueError("a chain needs at least one step")
    return Chain(tuple(flat))


def chord(header: Group | Iterable[Task], callback: Task) -> Chain:
    """``chord(group(a, b, c), cb)``: ``cb`` runs once, after every member completed, with
    all their results (``parents(task)`` in its handler, in member order)."""
    return chain(header if isinstance(header, Group) else group(*header), callback)


def stages_of(flow: Task | Group | Chain) -> list[list[Task]]:
    if isinstance(flow, Task):
        return [[flow]]
    if isinstance(flow, Group):
        return [list(flow.tasks)]
    if isinstance(flow, Chain):
        return [[s] if isinstance(s, Task) else list(s.tasks) for s in flow.steps]
    raise TypeError(f"expected a Task, group or chain, got {type(flow).__name__}")


# -- what a continuation receives ----------------------------------------------------------
@dataclass
class Parent:
    """A finished task a continuation follows (decoded from the ``pyasynq-parents`` header)."""

    id: str
    queue: str
    state: str  # completed, archived or lost
    result: bytes | None = None
    error: str = ""

    def json(self) -> Any:
        """The result decoded as JSON."""
        return json.loads(self.result or b"null")


def parents(task: Task | TaskInfo) -> list[Parent]:
    """What the previous stage left: one entry per member (in order) for a chain step or a
    chord callback, the failed member for ``on_failure``; empty for a first stage."""
    raw = task.headers.get(PARENTS_HEADER)
    if not raw:
        return []
    try:
        items = json.loads(raw)
        return [
            Parent(
                id=str(p["id"]),
                queue=str(p.get("queue") or ""),
                state=str(p.get("state") or ""),
                result=base64.b64decode(p["result"]) if p.get("result") is not None else None,
                error=str(p.get("error") or ""),
            )
            for p in items
        ]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise ValueError(f"unreadable {PARENTS_HEADER} header: {exc}") from exc


def parent_results(task: Task | TaskInfo) -> list[bytes | None]:
    """Just the results of ``parents(task)``."""
    return [p.result for p in parents(task)]


def workflow_id_of(task: Task | TaskInfo) -> str | None:
    """The workflow a task belongs to, if any."""
    return task.headers.get(WORKFLOW_HEADER) or None


# -- enqueueing ---------------------------------------------------------------------------
def _member_options(task: Task, queue: str | None) -> dict[str, Any]:
    bad = [k for k in _FORBIDDEN_MEMBER_OPTIONS if task.options.get(k) is not None]
    if bad:
        raise ValueError(
            f"workflow member {task.type!r}: option(s) {', '.join(bad)} not supported "
            "(members are enqueued by the workflow when their turn comes)"
        )
    options: dict[str, Any] = {}
    if queue is not None and task.options.get("queue") is None:
        options["queue"] = queue
    retention = task.options.get("retention")
    if retention is None:
        options["retention"] = DEFAULT_MEMBER_RETENTION
    else:
        value = retention.total_seconds() if isinstance(retention, timedelta) else retention
        if float(value) < 1:
            raise ValueError(
                f"workflow member {task.type!r}: retention must be at least 1 second "
                "(a member's success must leave a record the workflow can read)"
            )
    return options


def enqueue_workflow(
    client: Client,
    flow: Task | Group | Chain,
    *,
    on_success: Task | None = None,
    on_failure: Task | None = None,
    queue: str | None = None,
    name: str = "",
    ttl: float | timedelta = DEFAULT_TTL,
    workflow_id: str | None = None,
    member_ids: dict[int, str] | None = None,
) -> WorkflowInfo:
    """Write the workflow and enqueue its first stage in one atomic script call.

    ``queue`` is the default queue of members that name none, and the workflow's home queue
    (on Redis Cluster every member must be in it). ``ttl`` is how long the workflow's record
    lives after its last member outcome. ``member_ids`` (position in stage order -> task id)
    fixes task ids, for the single-task callback form."""
    stages = stages_of(flow)
    ttl_s = int(ttl.total_seconds() if isinstance(ttl, timedelta) else ttl)
    if ttl_s < 1:
        raise ValueError("workflow ttl must be at least 1 second")
    if on_success is not None and not isinstance(on_success, Task):
        raise TypeError("on_success must be a Task")
    if on_failure is not None and not isinstance(on_failure, Task):
        raise TypeError("on_failure must be a Task")
    if workflow_id is not None and (not workflow_id.strip() or workflow_id == NO_WORKFLOW):
        raise ValueError(f"invalid workflow id {workflow_id!r}")
    broker = client.broker
    now = broker.now()
    wid = workflow_id or new_task_id()
    planned: list[tuple[Task, int, str]] = []  # (task, stage or -1, role)
    for k, members in enumerate(stages):
        planned += [(t, k, "step") for t in members]
    if on_success is not None:
        planned.append((on_success, -1, "on_success"))
    if on_failure is not None:
        planned.append((on_failure, -1, "on_failure"))
    built: list[tuple[str, str, int, bytes]] = []
    fields: dict[str, str] = {"id": wid, "name": name or _default_name(stages)}
    roles: dict[str, str] = {}
    ids_by_stage: list[list[str]] = [[] for _ in stages]
    for position, (task, stage, role) in enumerate(planned):
        tid = (member_ids or {}).get(position) or new_task_id()
        headers = dict(task.headers)
        headers[WORKFLOW_HEADER] = wid
        member = Task(task.type, task.payload, headers=headers, **task.options)
        new, _opts = client._build(member, _member_options(task, queue) | {"task_id": tid}, now)
        built.append((tid, new.queue, stage, new.message))
        fields[f"ty:{tid}"] = task.type
        roles[tid] = role
        if stage >= 0:
            ids_by_stage[stage].append(tid)
    home = queue or built[0][1]
    member_queues = {q for _, q, _, _ in built}
    if broker.is_cluster and member_queues != {home}:
        raise ValueError(
            "on Redis Cluster every member of a workflow must be in its home queue "
            f"({home!r}): the continuation script must reach them in one slot"
        )
    # the home queue rides along in every message, so a worker finds the workflow's hash
    built = [(tid, q, stage, _with_home(message, home)) for tid, q, stage, message in built]
    fields["queue"] = home
    spec: dict[str, Any] = {"stages": ids_by_stage}
    for tid, role in roles.items():
        if role != "step":
            spec[role] = tid
    if len(set(roles)) != len(roles):
        raise TaskIDConflictError("workflow member ids must be unique")
    created = broker.create_workflow(
        home,
        wid,
        spec=spec,
        fields=fields,
        members=built,
        queues=member_queues,
        ttl=ttl_s,
        now=now,
    )
    if created == 0:
        raise TaskIDConflictError(f"workflow id {wid} is taken")
    if created == -1:
        raise TaskIDConflictError()
    return get_workflow(broker, wid)


def _with_home(message: bytes, home: str) -> bytes:
    msg = decode_task(message)
    msg.headers[WORKFLOW_QUEUE_HEADER] = home
    return encode(msg)


def _default_name(stages: Sequence[Sequence[Task]]) -> str:
    parts = [s[0].type if len(s) == 1 else f"group({len(s)})" for s in stages]
    return " → ".join(parts) if len(parts) < 6 else f"{parts[0]} → … → {parts[-1]}"


def enqueue_with_callbacks(
    client: Client,
    task: Task,
    call_options: dict[str, Any],
    on_success: Task | None,
    on_failure: Task | None,
) -> TaskInfo:
    """``Client.enqueue(task, on_success=..., on_failure=...)``: a one-step workflow whose
    callbacks receive the task's id and result or error (``parents(task)`` in the callback)."""
    options = dict(call_options)
    task_id = options.pop("task_id", None) or new_task_id()
    queue = options.pop("queue", None)
    member = Task(task.type, task.payload, headers=task.headers, **(task.options | options))
    info = enqueue_workflow(
        client,
        member,
        on_success=on_success,
        on_failure=on_failure,
        queue=queue,
        member_ids={0: task_id},
    )
    return Inspector(client.broker).get_task_info(info.stages[0][0].queue, task_id)


def wait_workflow(
    broker: Broker,
    workflow_id: str,
    *,
    timeout: float | timedelta = 60.0,
    poll_interval: float = 0.2,
) -> WorkflowInfo:
    """Poll until the workflow finished and its callbacks ran (``is_settled``); raises
    ``WaitTimeoutError`` after ``timeout`` seconds, ``WorkflowNotFoundError`` if unknown.
    (For one member, ``Client.wait(member_id)`` once it is enqueued: until then it has no
    task in Redis.)"""
    seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)
    end = time.monotonic() + seconds
    while True:
        info = get_workflow(broker, workflow_id)
        if is_settled(info):
            return info
        left = end - time.monotonic()
        if left <= 0:
            raise WaitTimeoutError(info.queue, workflow_id, seconds, info.state, "workflow")
        time.sleep(min(poll_interval, left))
