"""Alert firings, kept in a bounded pyasynq-only list so the console can show recent ones."""

from __future__ import annotations

from typing import cast

from pyasynq.broker import keys
from pyasynq.broker.base import BrokerBase

ALERT_EVENTS = "pyasynq:alerts:events"
ALERT_EVENTS_MAX = 500


class AlertOps(BrokerBase):
    def record_alert_event(self, event_json: str, max_len: int = ALERT_EVENTS_MAX) -> None:
        """LPUSH the event (newest first) and LTRIM to ``max_len`` in one transaction."""
        pipe = self.pipeline(transaction=True)
        pipe.lpush(ALERT_EVENTS, event_json)
        pipe.ltrim(ALERT_EVENTS, 0, max_len - 1)
        with self.errors():
            pipe.execute()

    def alert_events(self, count: int = 100) -> list[bytes]:
        with self.errors():
            return cast(list[bytes], self.redis.lrange(ALERT_EVENTS, 0, max(0, count - 1)))

    def paused_since(self, queue: str) -> float | None:
        """When ``queue`` was paused (the Unix seconds Go and we store in its paused key)."""
        with self.errors():
            raw = self.redis.get(keys.paused(queue))
        if raw is None:
            return None
        try:
            return float(raw)
        except ValueError:
            return None
