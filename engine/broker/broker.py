"""The Broker: every Redis operation of the spec, one method each, grouped by who uses it.

The core's mixins are modules of ``pyasynq.broker``; those of pyasynq's extras (features Go
Asynq lacks, on ``pyasynq:`` keys) are in ``pyasynq.broker.extras`` and wired in here, the one
place the broker's core imports them.
"""

from __future__ import annotations

from pyasynq.broker.completion import CompletionOps
from pyasynq.broker.cron_control import CronControlOps
from pyasynq.broker.edit import EditOps
from pyasynq.broker.extras.alerts import AlertOps
from pyasynq.broker.extras.audit import AuditOps
from pyasynq.broker.extras.console_sessions import ConsoleSessionOps
from pyasynq.broker.extras.limits import LimitOps
from pyasynq.broker.extras.previews import PreviewOps
from pyasynq.broker.extras.search import SearchOps
from pyasynq.broker.extras.shared_secret import SharedSecretOps
from pyasynq.broker.extras.workflows import WorkflowOps
from pyasynq.broker.inspect import InspectOps
from pyasynq.broker.metrics import MetricsOps
from pyasynq.broker.producer import NewTask, ProducerOps
from pyasynq.broker.scheduling import SchedulingOps
from pyasynq.broker.worker import WorkerOps

__all__ = ["Broker", "NewTask"]


class Broker(
    ProducerOps,
    WorkerOps,
    CompletionOps,
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
