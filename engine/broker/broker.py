"""The Broker: every Redis operation of the spec, one method each, grouped by who uses it."""

from __future__ import annotations

from .alerts import AlertOps
from .audit import AuditOps
from .cron_control import CronControlOps
from .edit import EditOps
from .inspect import InspectOps
from .metrics import MetricsOps
from .producer import NewTask, ProducerOps
from .scheduling import SchedulingOps
from .search import SearchOps
from .worker import WorkerOps

__all__ = ["Broker", "NewTask"]


class Broker(
    ProducerOps, WorkerOps, SchedulingOps, InspectOps, SearchOps, EditOps, CronControlOps, AlertOps,
    MetricsOps, AuditOps,
):
    """The only object in pyasynq that talks to Redis.

    Build it from a URL, ``ConnectionSettings`` or a ready ``redis.Redis``/``RedisCluster``;
    pass a ``clock`` to control time in tests.
    """
