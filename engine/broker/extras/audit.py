"""The audit trail: who changed what, kept in one bounded Redis list (``pyasynq:audit``).

A list (LPUSH + LTRIM in one MULTI) keeps the newest entries first, pages with LRANGE, and
never grows past its bound however busy the console is. Entries are opaque JSON text here; the
``pyasynq.extras.audit`` module gives them their shape. Our own key: Go Asynq has no audit log.
"""

from __future__ import annotations

from typing import cast

from pyasynq.broker.base import BrokerBase

AUDIT_KEY = "pyasynq:audit"
AUDIT_MAX_ENTRIES = 10_000

REFUSED_KEY = "pyasynq:audit:refused"
"""Refused requests (401/403/400/429, failed sign-ins) live apart, so they never evict actions."""
REFUSED_MAX_ENTRIES = 1_000


class AuditOps(BrokerBase):
    def audit_append(
        self, entry: str, max_entries: int = AUDIT_MAX_ENTRIES, key: str = AUDIT_KEY
    ) -> None:
        """Add ``entry`` as the newest line and drop the oldest beyond ``max_entries``."""
        with self.errors():
            pipe = self.redis.pipeline(transaction=True)
            pipe.lpush(key, entry)
            pipe.ltrim(key, 0, max_entries - 1)
            pipe.execute()

    def audit_range(self, start: int, stop: int, key: str = AUDIT_KEY) -> list[bytes]:
        """Entries ``start``..``stop`` (inclusive, 0 = newest)."""
        with self.errors():
            return cast(list[bytes], self.redis.lrange(key, start, stop))

    def audit_count(self, key: str = AUDIT_KEY) -> int:
        with self.errors():
            return int(self.redis.llen(key))
