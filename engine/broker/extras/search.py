"""Bounded reads for search and export: walk a state's container in chunks (pyasynq only).

Each call reads one slice of a list or zset (by index, from a caller-held cursor) and the
``msg`` of its tasks in one pipeline, so the cost of a request is O(slice), never O(queue).
"""

from __future__ import annotations

from typing import Any, cast

from pyasynq.broker import keys
from pyasynq.broker.base import BrokerBase

# One scanned task: id, msg (None when the hash is gone), zset score (None for lists).
ScannedTask = tuple[bytes, bytes | None, float | None]


class SearchOps(BrokerBase):
    def container_size(self, container: str, kind: str) -> int:
        """LLEN or ZCARD of a state's container (the denominator of a progress bar)."""
        with self.errors():
            if kind == "list":
                return int(self.redis.llen(container))
            return int(self.redis.zcard(container))

    def scan_slice(
        self, queue: str, container: str, kind: str, start: int, count: int
    ) -> list[ScannedTask]:
        """``count`` tasks from index ``start`` in listing order, with their msg.

        Lists are read from the tail (the oldest pending/active task first), as the listing
        pages do; zsets ascending by score. Two round trips: the slice, then one pipelined
        HGET per task.
        """
        if count <= 0:
            return []
        with self.errors():
            if kind == "list":
                raw = cast(
                    list[bytes], self.redis.lrange(container, -(start + count), -(start + 1))
                )
                members: list[tuple[bytes, float | None]] = [(m, None) for m in reversed(raw)]
            else:
                scored = cast(
                    list[tuple[bytes, float]],
                    self.redis.zrange(container, start, start + count - 1, withscores=True),
                )
                members = [(m, float(s)) for m, s in scored]
            if not members:
                return []
            pipe = self.pipeline()
            prefix = keys.task_key_prefix(queue)
            for member, _ in members:
                tid = member.decode() if isinstance(member, bytes) else str(member)
                pipe.hget(prefix + tid, "msg")
            msgs: list[Any] = pipe.execute()
        return [(m, msg, score) for (m, score), msg in zip(members, msgs, strict=True)]
