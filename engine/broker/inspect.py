"""Inspector operations: reads, listings and actions on tasks and queues (spec §5)."""

from __future__ import annotations

from .base import BrokerBase


class InspectOps(BrokerBase):
    pass
