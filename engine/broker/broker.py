"""The Broker: every Redis operation of the spec, one method each, grouped by who uses it."""

from __future__ import annotations

from .inspect import InspectOps
from .producer import NewTask, ProducerOps
from .scheduling import SchedulingOps
from .worker import WorkerOps

__all__ = ["Broker", "NewTask"]


class Broker(ProducerOps, WorkerOps, SchedulingOps, InspectOps):
    """The only object in pyasynq that talks to Redis.

    Build it from a URL, ``ConnectionSettings`` or a ready ``redis.Redis``/``RedisCluster``;
    pass a ``clock`` to control time in tests.
    """
