"""Read tasks with their payload and result cut to a bounded prefix (pyasynq only).

A console page of 100 tasks whose payloads are 50 MB each must not move 5 GB: the script
``task_previews.lua`` cuts the payload field inside each TaskMessage (and the stored result)
in Redis, so only ``limit`` bytes per task cross the wire and reach Python, with the full sizes
beside them. The data in Redis is untouched; Go sees nothing of this.
"""

from __future__ import annotations

from typing import Any, cast

from pyasynq.broker import keys
from pyasynq.broker.base import Arg, BrokerBase, to_str
from pyasynq.broker.inspect import _state_name
from pyasynq.errors import BadDataError

READ_BUDGET = 32 * 1024 * 1024
"""Bytes of stored messages one script call may read before it yields to other clients.

Redis has no way to read part of a hash field, so the script copies each message once inside
Redis to cut it; a page of 100 tasks of 50 MB would block Redis for the whole 5 GB. Split into
calls of at most this many bytes (always at least one task), Redis serves others in between.
"""

RawPreview = tuple[bytes, bytes | None, int, bytes | None, int, float | None, str]
"""(task id, msg with the payload cut, payload size, result prefix, result size, score)."""


def _opt(value: Any) -> Any:
    return None if value == 0 and isinstance(value, int) else value


class PreviewOps(BrokerBase):
    preview_read_budget: int = READ_BUDGET

    def list_task_previews(
        self,
        queue: str,
        container: str,
        kind: str,
        start: int,
        stop: int,
        limit: int,
        *,
        with_lease: bool = False,
    ) -> list[RawPreview]:
        """One page like ``list_tasks``, each payload and result cut to ``limit`` bytes."""
        script_keys = [container, keys.lease(queue)] if with_lease else [container]
        prefix = keys.task_key_prefix(queue)
        out: list[RawPreview] = []
        if start < 0:  # ranks from the end: made absolute, so a page read in chunks stays exact
            try:
                with self.errors():
                    length = (
                        self.redis.llen(container)
                        if kind == "list"
                        else self.redis.zcard(container)
                    )
            except BadDataError as exc:
                raise BadDataError(
                    f"queue {queue!r}: {_state_name(queue, container)}: {exc}", queue=queue
                ) from exc
            start, stop = max(length + start, 0), length + stop
        while start <= stop:
            args: list[Arg] = [kind, start, stop, prefix, int(limit), self.preview_read_budget]
            try:
                flat = self.run("task_previews", script_keys, args)
            except BadDataError as exc:
                raise BadDataError(
                    f"queue {queue!r}: {_state_name(queue, container)}: {exc}", queue=queue
                ) from exc
            more, flat = flat[-1], flat[:-1]
            for i in range(0, len(flat), 7):
                score = _opt(flat[i + 5])
                out.append(
                    (
                        flat[i],
                        _opt(flat[i + 1]),
                        int(flat[i + 2]),
                        _opt(flat[i + 3]),
                        int(flat[i + 4]),
                        None if score is None else float(score),
                        to_str(flat[i + 6]),
                    )
                )
            if not more or not flat:
                break
            start += len(flat) // 7
        return out

    def task_preview(
        self, queue: str, task_id: str, now: float, limit: int
    ) -> tuple[Any, ...] | None:
        """Like ``task_info`` plus (payload size, result size), with bytes cut to ``limit``."""
        reply = self.run(
            "task_previews",
            [keys.task_key(queue, task_id)],
            ["one", task_id, int(now), keys.queue_prefix(queue), int(limit)],
        )
        if isinstance(reply, int):
            return None
        msg, state, npa, result, lease, psize, rsize = reply
        npa_f = float(_opt(npa) or 0) or None
        lease_f = None if _opt(lease) is None else float(lease)
        state_s = state.decode("utf-8", "replace") if isinstance(state, bytes) else str(state)
        return _opt(msg), state_s, npa_f, _opt(result), lease_f, int(psize), int(rsize)

    def task_message(self, queue: str, task_id: str) -> tuple[bytes | None, bytes | None]:
        """The whole stored msg and result of one task (for a download), or Nones."""
        with self.errors():
            msg, result = self.redis.hmget(keys.task_key(queue, task_id), "msg", "result")
        return cast(bytes | None, msg), cast(bytes | None, result)
