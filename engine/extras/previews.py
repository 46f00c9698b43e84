"""Task pages whose payloads and results are bounded previews, for consoles and list APIs.

``Inspector.list_*_tasks`` return whole payloads: right for code that processes them, wrong for
a page that shows 100 rows of 50 MB each. These functions read the same pages through
``task_previews.lua``, which cuts every payload and result to ``limit`` bytes inside Redis, so
the reply, the process's memory and the page all stay bounded by page size. Each TaskInfo then
carries ``payload_size``/``result_size`` (the full sizes) and ``payload_truncated``.
"""

from __future__ import annotations

import dataclasses

from pyasynq.broker import keys
from pyasynq.broker.codec import CorruptMessageError, decode_task
from pyasynq.errors import TaskNotFoundError
from pyasynq.inspector import Inspector, TaskPage, _check_page
from pyasynq.states import model
from pyasynq.task import TaskInfo, TaskState

DEFAULT_PREVIEW = 4096
"""Bytes of each payload and result a preview keeps unless the caller says otherwise."""

MAX_PREVIEW = 1024 * 1024


def _limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PREVIEW:
        raise ValueError(f"preview limit must be an integer from 1 to {MAX_PREVIEW}, got {limit!r}")
    return limit


def list_task_previews(
    inspector: Inspector,
    queue: str,
    state: str | TaskState,
    *,
    page_size: int = 30,
    page: int = 1,
    limit: int = DEFAULT_PREVIEW,
    group: str | None = None,
    newest_first: bool = False,
) -> TaskPage:
    """One page of ``state`` tasks (as ``Inspector.list_<state>_tasks``) with bounded bytes.

    ``newest_first`` pages from the other end of the container (completed: latest to expire
    first, i.e. the most recently completed for one retention)."""
    state = TaskState(state)
    spec = model(state)
    if spec.grouped and not group:
        raise ValueError("aggregating tasks are listed per group: give group")
    start, stop = _check_page(page_size, page)
    if newest_first:  # negative ranks count from the end; the page is flipped below
        start, stop = -(stop + 1), -(start + 1)
    _limit(limit)
    inspector._queue(queue)
    container, kind = keys.state_container(queue, state, group if spec.grouped else None)
    raw = inspector.broker.list_task_previews(
        queue,
        container,
        kind,
        start,
        stop,
        limit,
        with_lease=state is TaskState.ACTIVE,
    )
    now = inspector.broker.now()
    tasks, bad = [], {}
    for task_id, msg_bytes, psize, result, rsize, score, wrong in raw:
        tid = task_id.decode("utf-8", "replace")
        if wrong:  # the same reasons Inspector.list_*_tasks gives
            bad[tid] = wrong
            continue
        if msg_bytes is None:
            bad[tid] = "its task hash has no msg field"
            continue
        try:
            if psize < 0:
                raise CorruptMessageError("not a TaskMessage")
            msg = decode_task(msg_bytes)
        except CorruptMessageError as exc:
            bad[tid] = f"its message cannot be decoded ({exc})"
            continue
        if msg.id != tid:
            bad[tid] = f"its message names another task ({msg.id[:60]!r})"
            continue
        npa = spec.next_process_time(now, score)
        orphaned = state is TaskState.ACTIVE and score is not None and score <= now
        info = TaskInfo.from_message(
            msg, state, next_process_at=npa, result=result, is_orphaned=orphaned
        )
        tasks.append(_sized(info, psize, rsize))
    if newest_first:
        tasks.reverse()
    inspector._saw((f"task {t}: {why}" for t, why in bad.items()), f"queue {queue!r}: ")
    return TaskPage(tasks, list(bad), bad)


def get_task_preview(
    inspector: Inspector, queue: str, task_id: str, *, limit: int = DEFAULT_PREVIEW
) -> TaskInfo:
    """One task (as ``Inspector.get_task_info``) with its payload and result cut to ``limit``."""
    _limit(limit)
    inspector._queue(queue)
    now = inspector.broker.now()
    found = inspector.broker.task_preview(queue, task_id, now, limit)
    if found is None:
        raise TaskNotFoundError(queue, task_id)
    msg_bytes, state, npa, result, lease, psize, rsize = found
    try:
        if psize < 0:
            raise CorruptMessageError("not a TaskMessage")
        msg = decode_task(msg_bytes)
    except CorruptMessageError as exc:
        raise CorruptMessageError(
            f'task {task_id} in queue "{queue}" has an unreadable message: {exc}'
        ) from exc
    if state not in TaskState._value2member_map_:
        raise CorruptMessageError(
            f'task {task_id} in queue "{queue}" has an unknown state {str(state)[:40]!r}'
        )
    if state == "pending":
        npa = now
    orphaned = state == "active" and lease is not None and lease <= now
    info = TaskInfo.from_message(
        msg, state, next_process_at=npa, result=result, is_orphaned=orphaned
    )
    return _sized(info, psize, rsize)


def _sized(info: TaskInfo, payload_size: int, result_size: int) -> TaskInfo:
    return dataclasses.replace(
        info,
        payload_size=payload_size,
        result_size=result_size if info.result is not None else None,
    )


def task_bytes(inspector: Inspector, queue: str, task_id: str, what: str) -> bytes:
    """The whole payload (``what="payload"``) or result of one task, for a download."""
    if what not in ("payload", "result"):
        raise ValueError("what must be 'payload' or 'result'")
    inspector._queue(queue)
    msg_bytes, result = inspector.broker.task_message(queue, task_id)
    if msg_bytes is None:
        raise TaskNotFoundError(queue, task_id)
    if what == "result":
        return bytes(result or b"")
    try:
        return bytes(decode_task(msg_bytes).payload)
    except CorruptMessageError as exc:
        raise CorruptMessageError(
            f'task {task_id} in queue "{queue}" has an unreadable message: {exc}'
        ) from exc


__all__ = [
    "DEFAULT_PREVIEW",
    "MAX_PREVIEW",
    "get_task_preview",
    "list_task_previews",
    "task_bytes",
]
