"""pyasynq's engine: a Redis job queue that speaks Go Asynq's wire format.

Public names: Task, TaskInfo, TaskState, Client, Inspector, Server, ServeMux, Scheduler and the
errors. The broker (engine.broker) is the only code that talks to Redis.
"""

from .client import Client
from .clock import ManualClock, SystemClock
from .context import Context, ContextCancelledError, ResultWriter
from .errors import (
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
from .inspector import Inspector
from .mux import ServeMux
from .periodic import PeriodicTaskConfig, PeriodicTaskManager
from .scheduler import Scheduler
from .server import Server
from .task import Task, TaskInfo, TaskState

__version__ = "0.1.0"

__all__ = [
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
