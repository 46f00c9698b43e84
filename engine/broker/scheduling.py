"""Scheduler entries and history (spec §4.28–4.29) and aggregation groups (spec §4.21–4.24)."""

from __future__ import annotations

from .base import BrokerBase


class SchedulingOps(BrokerBase):
    pass
