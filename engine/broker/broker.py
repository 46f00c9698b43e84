"""The Broker: every Redis operation of the spec, one method each, grouped by who uses it."""

from __future__ import annotations

from pyasynq.broker.alerts import AlertOps
from pyasynq.broker.audit import AuditOps
from pyasynq.broker.console_sessions import ConsoleSessionOps
from pyasynq.broker.cron_control import CronControlOps
from pyasynq.broker.edit import EditOps
from pyasynq.broker.inspect import InspectOps
from pyasynq.broker.limits import LimitOps
from pyasynq.broker.metrics import MetricsOps
from pyasynq.broker.previews import PreviewOps
from pyasynq.broker.producer import NewTask, ProducerOps
from pyasynq.broker.scheduling import SchedulingOps
from pyasynq.broker.search import SearchOps
from pyasynq.broker.shared_secret import SharedSecretOps
from pyasynq.broker.worker import WorkerOps
from pyasynq.broker.workflows import WorkflowOps

__all__ = ["Broker", "NewTask"]


class Broker(
    ProducerOps,
    WorkerOps,
    SchedulingOps,
    InspectOps,
    SearchOps,
    EditOps,
    CronControlOps,
    AlertOps,
    MetricsOps,
    AuditOps,
    SharedSecretOps,
    LimitOps,
    WorkflowOps,
    PreviewOps,
    ConsoleSessionOps,
):
    """The only object in pyasynq that talks to Redis.

    Build it from a URL, ``ConnectionSettings`` or a ready ``redis.Redis``/``RedisCluster``;
    pass a ``clock`` to control time in tests.
    """
