"""One base error and its typed subclasses; SkipRetry and RevokeTask steer the worker."""

from __future__ import annotations

from collections.abc import Iterator


class AsynqError(Exception):
    """Base of every error raised by the engine."""


class BrokerError(AsynqError):
    """Redis could not be reached or answered with an error; the message names which Redis.

    Two subclasses say which: ``RedisUnavailableError`` (a connection error or timeout: worth
    waiting for) and ``BadDataError`` (Redis answered, but a key holds something Asynq's layout
    does not allow). A plain ``BrokerError`` is any other refusal (read-only replica, out of
    memory, no permission)."""


class RedisUnavailableError(BrokerError):
    """Redis could not be reached (connection refused or lost, timeout, still loading)."""


class BadDataError(BrokerError):
    """A key holds data that is not what Asynq's layout says: a wrong type, a counter that is
    not a number, an undecodable message, a time out of range.

    Only that key (or queue, or record) is unreadable; Redis itself is fine, so readers show it
    as bad and go on, and workers skip that queue for a while. ``queue`` and ``key`` name it
    when known."""

    def __init__(self, message: str, *, queue: str | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.queue = queue
        self.key = key


class DuplicateTaskError(AsynqError):
    """A unique lock for (queue, type, payload) is held by another task."""

    def __init__(self, message: str = "task already exists") -> None:
        super().__init__(message)


class TaskIDConflictError(AsynqError):
    """A task with the same ID already exists in the queue."""

    def __init__(self, message: str = "task ID conflicts with another task") -> None:
        super().__init__(message)


class QueueNotFoundError(AsynqError):
    def __init__(self, queue: str) -> None:
        self.queue = queue
        super().__init__(f'queue "{queue}" does not exist')


class QueueNotEmptyError(AsynqError):
    def __init__(self, queue: str) -> None:
        self.queue = queue
        super().__init__(f'queue "{queue}" is not empty')


class TaskNotFoundError(AsynqError):
    def __init__(self, queue: str, task_id: str) -> None:
        self.queue = queue
        self.task_id = task_id
        super().__init__(f'cannot find task with id={task_id} in queue "{queue}"')


class GroupNotFoundError(AsynqError):
    def __init__(self, queue: str, group: str) -> None:
        self.queue = queue
        self.group = group
        super().__init__(f'group "{group}" has no aggregating tasks in queue "{queue}"')


class TaskStateError(AsynqError):
    """The action is not allowed in the task's (or queue's) current state."""


class TaskAlreadyArchivedError(TaskStateError):
    def __init__(self, queue: str, task_id: str) -> None:
        super().__init__(f"task is already archived: id={task_id}, queue={queue}")


class QueueStateError(AsynqError):
    """Pausing a paused queue, unpausing a running one, or removing a queue with active tasks."""


class SkipRetry(Exception):  # noqa: N818 - Asynq's name
    """Raise (or chain) from a handler to archive the task at once, without retrying."""

    def __init__(self, message: str = "skip retry for the task") -> None:
        super().__init__(message)


class RevokeTask(Exception):  # noqa: N818 - Asynq's name
    """Raise (or chain) from a handler to drop the task: no retry, no archive, counted as processed."""

    def __init__(self, message: str = "revoke task") -> None:
        super().__init__(message)


class HandlerNotFoundError(AsynqError):
    def __init__(self, task_type: str) -> None:
        self.task_type = task_type
        super().__init__(f'handler not found for task "{task_type}"')


class ServerClosedError(AsynqError):
    def __init__(self) -> None:
        super().__init__("asynq: Server closed")


class LeaseExpiredError(AsynqError):
    def __init__(self) -> None:
        super().__init__("asynq: task lease expired")


def error_chain(err: BaseException | None) -> Iterator[BaseException]:
    """Yield ``err`` and every exception it was raised from or during (Go's errors.Is walk)."""
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        yield err
        err = err.__cause__ or err.__context__


def wraps(err: BaseException | None, kind: type[BaseException]) -> bool:
    """True when ``err`` is, or was raised from, an exception of ``kind``."""
    return any(isinstance(e, kind) for e in error_chain(err))


class WaitTimeoutError(AsynqError, TimeoutError):
    """``Client.wait`` gave up: the task did not reach completed or archived in time (or
    ``Client.wait_workflow``: the workflow did not finish)."""

    def __init__(
        self, queue: str, task_id: str, timeout: float, state: str, what: str = "task"
    ) -> None:
        self.queue, self.task_id, self.timeout, self.state = queue, task_id, timeout, state
        super().__init__(
            f'{what} {task_id} in queue "{queue}" is still {state} after waiting {timeout:g}s'
        )


class NoRetentionError(AsynqError):
    """Waiting for a task that has no retention: its success deletes it, result included,
    so there would be nothing to find; refused up front instead of waiting in vain."""

    def __init__(self, queue: str, task_id: str) -> None:
        self.queue, self.task_id = queue, task_id
        super().__init__(
            f'task {task_id} in queue "{queue}" has no retention: on success it is deleted '
            "with its result, so it cannot be waited for; enqueue it with retention=..."
        )


class WorkflowNotFoundError(AsynqError):
    def __init__(self, workflow_id: str) -> None:
        self.workflow_id = workflow_id
        super().__init__(f"workflow {workflow_id} does not exist (or its retention ended)")
