"""Workflow state as the Inspector, console and reconciler see it: reading a workflow's
record, listing, cancelling, and settling members that finished outside pyasynq's scripts.
(Building and enqueueing flows is pyasynq.extras.workflows.)"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pyasynq.broker.codec import CorruptMessageError, decode_task
from pyasynq.errors import WorkflowNotFoundError
from pyasynq.task import from_unix

LOST_ERROR = "task was deleted before it finished"
RECONCILE_BATCH = 500


@dataclass
class MemberInfo:
    id: str
    queue: str
    type: str
    stage: int  # -1 for a callback
    role: str  # "step", "on_success" or "on_failure"
    state: str  # waiting, enqueued, completed, archived, lost, cancelled
    enqueued_at: datetime | None = None
    finished_at: datetime | None = None
    result: bytes | None = None
    error: str = ""

    @property
    def duration(self) -> timedelta | None:
        if self.enqueued_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.enqueued_at


@dataclass
class WorkflowInfo:
    id: str
    name: str
    queue: str
    state: str  # running, succeeded, failed, cancelled
    created: datetime | None
    finished: datetime | None
    stage: int
    stages: list[list[MemberInfo]] = field(default_factory=list)
    on_success: MemberInfo | None = None
    on_failure: MemberInfo | None = None
    failed_member: str = ""
    enqueues: int = 0

    @property
    def members(self) -> list[MemberInfo]:
        out = [m for stage in self.stages for m in stage]
        return out + [m for m in (self.on_success, self.on_failure) if m is not None]

    @property
    def duration(self) -> timedelta | None:
        if self.created is None or self.finished is None:
            return None
        return self.finished - self.created

    @property
    def failed(self) -> MemberInfo | None:
        return next((m for m in self.members if m.id == self.failed_member), None)


# -- reading ------------------------------------------------------------------------------
def _f(raw: dict[str, bytes], key: str) -> str:
    value = raw.get(key)
    return value.decode("utf-8", "replace") if value is not None else ""


def _time(raw: dict[str, bytes], key: str) -> datetime | None:
    text = _f(raw, key)
    try:
        return from_unix(float(text)) if text else None
    except ValueError:
        return None


def _member(raw: dict[str, bytes], tid: str, stage: int, role: str) -> MemberInfo:
    return MemberInfo(
        id=tid,
        queue=_f(raw, f"q:{tid}"),
        type=_f(raw, f"ty:{tid}"),
        stage=stage,
        role=role,
        state=_f(raw, f"s:{tid}") or "waiting",
        enqueued_at=_time(raw, f"t0:{tid}"),
        finished_at=_time(raw, f"t1:{tid}"),
        result=raw.get(f"r:{tid}"),
        error=_f(raw, f"e:{tid}"),
    )


def workflow_from_hash(workflow_id: str, raw: dict[str, bytes]) -> WorkflowInfo:
    try:
        spec = json.loads(raw.get("spec") or b"{}")
    except ValueError:
        spec = {}
    info = WorkflowInfo(
        id=workflow_id,
        name=_f(raw, "name"),
        queue=_f(raw, "queue"),
        state=_f(raw, "state"),
        created=_time(raw, "created"),
        finished=_time(raw, "finished"),
        stage=int(_f(raw, "stage") or 0),
        failed_member=_f(raw, "failed_member"),
        enqueues=int(_f(raw, "enqueues") or 0),
    )
    info.stages = [
        [_member(raw, tid, k, "step") for tid in ids]
        for k, ids in enumerate(spec.get("stages") or [])
    ]
    if spec.get("on_success"):
        info.on_success = _member(raw, spec["on_success"], -1, "on_success")
    if spec.get("on_failure"):
        info.on_failure = _member(raw, spec["on_failure"], -1, "on_failure")
    return info


def get_workflow(broker: Any, workflow_id: str) -> WorkflowInfo:
    raw = broker.read_workflow(workflow_id)
    if raw is None:
        raise WorkflowNotFoundError(workflow_id)
    return workflow_from_hash(workflow_id, raw)


def list_workflows(
    broker: Any, page: int = 1, page_size: int = 20
) -> tuple[list[WorkflowInfo], int]:
    """Newest first; ids whose record expired are dropped from the index on the way."""
    ids, total = broker.list_workflow_ids((page - 1) * page_size, page_size)
    found, gone = [], []
    for wid in ids:
        raw = broker.read_workflow(wid)
        if raw is None:
            gone.append(wid)
        else:
            found.append(workflow_from_hash(wid, raw))
    broker.forget_workflows(gone, everywhere=True)
    return found, total - len(gone)


def is_settled(info: WorkflowInfo) -> bool:
    """Finished, and no member (a callback, a group sibling) is still enqueued."""
    return info.state != "running" and not any(m.state == "enqueued" for m in info.members)


# -- cancelling and reconciling ------------------------------------------------------------
def cancel_workflow(broker: Any, workflow_id: str) -> WorkflowInfo:
    """No continuation fires any more; pending/scheduled/retry members are deleted, running
    ones get Asynq's cancel (their retry, if any, is deleted by the reconciler)."""
    home = broker.workflow_home(workflow_id)
    if home is None:
        raise WorkflowNotFoundError(workflow_id)
    now = broker.now()
    found = broker.cancel_workflow(home, workflow_id, now)
    if found is None:
        raise WorkflowNotFoundError(workflow_id)
    _, enqueued = found
    for tid, queue in enqueued:
        _remove_member(broker, home, workflow_id, queue, tid, now, cancel_running=True)
    return get_workflow(broker, workflow_id)


def _remove_member(
    broker: Any, home: str, wid: str, queue: str, tid: str, now: float, *, cancel_running: bool
) -> None:
    code = broker.task_action("delete", queue, tid)
    if code in (0, 1):  # deleted now, or already gone
        broker.settle_member(home, wid, queue, tid, "missing", LOST_ERROR, now)
    elif code == -1 and cancel_running:
        broker.publish_cancel(tid)


def reconcile(broker: Any, now: float | None = None, batch: int = RECONCILE_BATCH) -> int:
    """Settle members that finished outside our scripts; returns how many were settled.

    For each open workflow: a member whose task is ``completed`` or ``archived`` (a Go
    worker; an operator's archive) or gone (deleted) is settled, firing its continuation
    exactly once (the script re-checks both states). A cancelled workflow's members waiting
    again (a cancelled run that went to retry) are deleted. Finished workflows with nothing
    left to watch leave the open index."""
    now = broker.now() if now is None else now
    settled = 0
    done: list[str] = []
    gone: list[str] = []
    for wid in broker.open_workflow_ids(batch, rotate=True):
        home = broker.workflow_home(wid)
        raw = broker.read_workflow(wid) if home is not None else None
        if raw is None:
            gone.append(wid)
            continue
        state = _f(raw, "state")
        enqueued = [
            (_f(raw, f"q:{k[2:]}"), k[2:])
            for k, v in raw.items()
            if k.startswith("s:") and v == b"enqueued"
        ]
        if not enqueued:
            if state != "running":
                done.append(wid)
            continue
        for (queue, tid), (task_state, msg) in zip(
            enqueued, broker.member_task_states(enqueued), strict=True
        ):
            if task_state == "completed":
                settled += broker.settle_member(home, wid, queue, tid, "completed", "", now)
            elif task_state == "archived":
                settled += broker.settle_member(
                    home, wid, queue, tid, "archived", _error_of(msg), now
                )
            elif task_state is None:
                settled += broker.settle_member(home, wid, queue, tid, "missing", LOST_ERROR, now)
            elif state == "cancelled" and task_state in ("pending", "scheduled", "retry"):
                _remove_member(broker, home, wid, queue, tid, now, cancel_running=False)
    broker.forget_workflows(done, everywhere=False)
    broker.forget_workflows(gone, everywhere=True)
    return settled


def _error_of(msg: bytes | None) -> str:
    try:
        return decode_task(msg).error_msg if msg else ""
    except CorruptMessageError:
        return ""
