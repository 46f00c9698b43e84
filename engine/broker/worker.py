"""Worker operations: dequeue, acknowledge, retry, archive, leases, forwarding, heartbeats (spec §4.10–4.27)."""

from __future__ import annotations

from .base import BrokerBase


class WorkerOps(BrokerBase):
    pass
