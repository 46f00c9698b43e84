"""The audit trail: who changed what, kept in one bounded Redis list (``pyasynq:audit``).

A list (LPUSH + LTRIM in one MULTI) keeps the newest entries first, pages with LRANGE, and
never grows past its bound however busy the console is. Entries are opaque JSON text here; the
``pyasynq.audit`` module gives them their shape. Our own key: Go Asynq has no audit log.
"""

from __future__ import annotations

from pyasynq.broker.base import BrokerBase

AUDIT_KEY = "pyasynq:audit"
AUDIT_MAX_ENTRIES = 10_000


class AuditOps(BrokerBase):
    def audit_append(self, entry: str, max_entries: int = AUDIT_MAX_ENTRIES) -> None:
        """Add ``entry`` as the newest line and drop the oldest beyond ``max_entries``."""
        with self.errors():
            pipe = self.redis.pipeline(transaction=True)
            pipe.lpush(AUDIT_KEY, entry)
            pipe.ltrim(AUDIT_KEY, 0, max_entries - 1)
            pipe.execute()

    def audit_range(self, start: int, stop: int) -> list[bytes]:
        """Entries ``start``..``stop`` (inclusive, 0 = newest)."""
        with self.errors():
            return [bytes(x) for x in self.redis.lrange(AUDIT_KEY, start, stop)]

    def audit_count(self) -> int:
        with self.errors():
            return int(self.redis.llen(AUDIT_KEY))
