"""pyasynq: a Redis job queue that speaks Go Asynq's wire format.

Public names: Task, TaskInfo, TaskState, Client, Inspector, Server, ServeMux, Scheduler and the
errors, and ``Limit``/``Limits`` from ``pyasynq.extras.limits``. The broker (pyasynq.broker)
is the only code that talks to Redis. Features Go Asynq lacks are in ``pyasynq.extras``. The
web console is ``pyasynq.console`` (the ``console`` extra).

The repository keeps this package in ``engine/``; it is installed (and imported) only as
``pyasynq``. Importing it under any other name would load every module twice, with two copies of
each class and error type, so that is refused here.
"""

if __name__ != "pyasynq":  # pragma: no cover - guarded by tests/test_packaging.py
    raise ImportError(
        f"this package is 'pyasynq' and cannot be imported as {__name__!r}: "
        "install the checkout (pip install -e .) and write 'import pyasynq'"
    )

__version__ = "0.2.0"

from typing import TYPE_CHECKING

from pyasynq.client import Client
from pyasynq.clock import ManualClock, SystemClock
from pyasynq.context import Context, ContextCancelledError, ResultWriter
from pyasynq.errors import (
    AsynqError,
    BrokerError,
    DuplicateTaskError,
    GroupNotFoundError,
    HandlerNotFoundError,
    LeaseExpiredError,
    QueueNotEmptyError,
    QueueNotFoundError,
    QueueStateError,
    RevokeTask,
    ServerClosedError,
    SkipRetry,
    TaskAlreadyArchivedError,
    TaskIDConflictError,
    TaskNotFoundError,
    TaskStateError,
)
from pyasynq.extras.limits import Limit, LimitError, Limits
from pyasynq.inspector import Inspector
from pyasynq.mux import ServeMux
from pyasynq.periodic import PeriodicTaskConfig, PeriodicTaskManager
from pyasynq.scheduler import Scheduler
from pyasynq.server import Server
from pyasynq.server_config import ServerConfig
from pyasynq.task import Task, TaskInfo, TaskState

if TYPE_CHECKING:  # for type checkers: at run time __getattr__ below imports them when first used
    from pyasynq.aio import AsyncClient as AsyncClient
    from pyasynq.aio import AsyncInspector as AsyncInspector

__all__ = [
    "__version__",
    "AsynqError",
    "BrokerError",
    "Client",
    "Context",
    "ContextCancelledError",
    "DuplicateTaskError",
    "GroupNotFoundError",
    "HandlerNotFoundError",
    "Inspector",
    "LeaseExpiredError",
    "Limit",
    "LimitError",
    "Limits",
    "ManualClock",
    "PeriodicTaskConfig",
    "PeriodicTaskManager",
    "QueueNotEmptyError",
    "QueueNotFoundError",
    "QueueStateError",
    "ResultWriter",
    "RevokeTask",
    "Scheduler",
    "ServeMux",
    "Server",
    "ServerClosedError",
    "ServerConfig",
    "SkipRetry",
    "SystemClock",
    "Task",
    "TaskAlreadyArchivedError",
    "TaskIDConflictError",
    "TaskInfo",
    "TaskNotFoundError",
    "TaskState",
    "TaskStateError",
]


def __getattr__(name: str) -> object:
    """``AsyncClient``/``AsyncInspector`` load ``redis.asyncio`` only when first asked for."""
    if name in ("AsyncClient", "AsyncInspector"):
        from pyasynq import aio

        return getattr(aio, name)
    raise AttributeError(f"module 'pyasynq' has no attribute {name!r}")
