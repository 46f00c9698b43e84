"""Scheduler entries and history (spec §4.28–4.29) and aggregation groups (spec §4.21–4.24)."""

from __future__ import annotations

from collections.abc import Sequence

from pyasynq.broker import keys
from pyasynq.broker.base import BrokerBase, to_str

SCHEDULER_HISTORY_MAX = 1000
AGGREGATION_SET_TIMEOUT = 120  # seconds; a set not deleted by then is reclaimed (spec §9)


class SchedulingOps(BrokerBase):
    # -- scheduler (§4.28–4.29) --------------------------------------------------------------
    def write_scheduler_entries(
        self, scheduler_id: str, entries: Sequence[bytes], ttl: float
    ) -> None:
        """Publish a scheduler's entries for ``ttl`` seconds (its heartbeat).

        The ZADD into ``asynq:schedulers`` is its own command because that key has no hash tag
        and so lives in another cluster slot than the entries list.
        """
        key = keys.scheduler_entries(scheduler_id)
        ttl_s = max(1, int(ttl))
        with self.errors():
            self.redis.zadd(keys.ALL_SCHEDULERS, {key: int(self.now() + ttl_s)})
        self.run("write_scheduler_entries", [key], [ttl_s, *entries])

    def clear_scheduler_entries(self, scheduler_id: str) -> None:
        """Remove a scheduler from the listing at once (shutdown) instead of waiting for the TTL."""
        key = keys.scheduler_entries(scheduler_id)
        with self.errors():
            self.redis.zrem(keys.ALL_SCHEDULERS, key)
            self.redis.delete(key)

    def record_scheduler_enqueue_event(
        self, entry_id: str, event_bytes: bytes, enqueued_at: float
    ) -> None:
        """Add one SchedulerEnqueueEvent; the history keeps the newest 1000."""
        self.run(
            "record_scheduler_event",
            [keys.scheduler_history(entry_id)],
            [int(enqueued_at), event_bytes, SCHEDULER_HISTORY_MAX],
        )

    def delete_scheduler_history(self, entry_id: str) -> None:
        with self.errors():
            self.redis.delete(keys.scheduler_history(entry_id))

    # -- aggregation (§4.21–4.24) ------------------------------------------------------------
    def list_groups_raw(self, queue: str) -> list[str]:
        """Names in ``asynq:{q}:groups`` (may miss groups refilled by a reclaim, spec §4.24)."""
        with self.errors():
            members = self.redis.smembers(keys.all_groups(queue))
        return sorted(to_str(m) for m in members)

    def aggregation_check(
        self,
        queue: str,
        group: str,
        set_id: str,
        max_size: int,
        max_delay_s: float,
        grace_s: float,
        now: float,
    ) -> bool:
        """Move the group's tasks into set ``set_id`` if size, max delay or grace says so.

        Returns True when the set was created; the caller must then aggregate and delete it
        before its deadline (now + 2 min), or the recoverer puts the tasks back.
        """
        result = self.run(
            "aggregation_check",
            [
                keys.group(queue, group),
                keys.aggregation_set(queue, group, set_id),
                keys.all_aggregation_sets(queue),
                keys.all_groups(queue),
            ],
            [
                int(max_size),
                int(max_delay_s),
                int(grace_s),
                int(now) + AGGREGATION_SET_TIMEOUT,
                int(now),
                group,
            ],
        )
        return int(result) == 1

    def read_aggregation_set(
        self, queue: str, group: str, set_id: str
    ) -> tuple[list[bytes], float | None]:
        """The encoded TaskMessages of a set (oldest first) and its deadline in Unix seconds."""
        reply = self.run(
            "read_aggregation_set",
            [keys.aggregation_set(queue, group, set_id), keys.all_aggregation_sets(queue)],
            [keys.task_key_prefix(queue)],
        )
        deadline = float(reply[0]) if reply and reply[0] else None
        return [bytes(m) for m in reply[1:]], deadline

    def delete_aggregation_set(self, queue: str, group: str, set_id: str) -> None:
        """Delete the set, its tasks' hashes and its registration (after a successful enqueue)."""
        self.run(
            "delete_aggregation_set",
            [keys.aggregation_set(queue, group, set_id), keys.all_aggregation_sets(queue)],
            [keys.task_key_prefix(queue)],
        )

    def reclaim_stale_aggregation_sets(self, queue: str, now: float | None = None) -> int:
        """Put the tasks of sets past their deadline back into their groups; returns how many sets."""
        when = self.now() if now is None else now
        return int(
            self.run(
                "reclaim_stale_aggregation_sets",
                [keys.all_aggregation_sets(queue)],
                [int(when)],
            )
        )
