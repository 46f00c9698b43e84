"""The Broker: every Redis operation of the spec, one method each, grouped by who uses it."""

from __future__ import annotations

from .producer import NewTask, ProducerOps

__all__ = ["Broker", "NewTask"]


class Broker(ProducerOps):
    """The only object in pyasynq that talks to Redis.

    Build it from a URL, ``ConnectionSettings`` or a ready ``redis.Redis``/``RedisCluster``;
    pass a ``clock`` to control time in tests.
    """
