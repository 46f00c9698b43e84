"""Pause/resume of periodic entries: a pyasynq-only set Go never reads (outside ``asynq:``)."""

from __future__ import annotations

from pyasynq.broker.base import BrokerBase, to_str

PAUSED_ENTRIES = "pyasynq:scheduler:paused"


class CronControlOps(BrokerBase):
    def pause_entry(self, entry_id: str) -> bool:
        """True when the entry was not paused before."""
        with self.errors():
            return bool(self.redis.sadd(PAUSED_ENTRIES, entry_id))

    def resume_entry(self, entry_id: str) -> bool:
        """True when the entry was paused."""
        with self.errors():
            return bool(self.redis.srem(PAUSED_ENTRIES, entry_id))

    def paused_entries(self) -> set[str]:
        with self.errors():
            return {to_str(m) for m in self.redis.smembers(PAUSED_ENTRIES)}
