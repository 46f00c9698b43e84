"""``AsyncClient`` and ``AsyncInspector``: the producer and the common inspector calls for
asyncio applications (FastAPI, aiohttp, Starlette), on ``redis.asyncio``.

They never block the event loop. Options, validation, message building, errors and scripts
are the sync ones: ``AsyncClient`` uses the same ``TaskBuilder`` as ``Client`` (so an option
the sync client rejects is rejected here with the same ``ValueError``), and both inspectors
decode with the same functions; only the transport (``pyasynq.broker.aio.AsyncBroker``)
differs.

>>> client = AsyncClient("redis://127.0.0.1:6379/0")
>>> info = await client.enqueue(Task("email:send", b"{}"), queue="critical")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pyasynq import info as infos
from pyasynq.broker import keys
from pyasynq.broker.aio import AsyncBroker, AsyncRedisTarget
from pyasynq.clock import SYSTEM_CLOCK, Clock
from pyasynq.errors import BrokerError, QueueNotFoundError
from pyasynq.inspector import BatchResult, Inspector, TaskPage, _check_page, _text
from pyasynq.options import check_queue_name
from pyasynq.producing import Duration, TaskBuilder, given_options
from pyasynq.task import Task, TaskInfo, TaskState

__all__ = ["AsyncClient", "AsyncInspector"]


class AsyncClient:
    """Enqueues tasks from asyncio code; ``Client``'s options, results and errors.

    ``redis`` is a URL (``redis://``, ``rediss://``, ``unix://``, ``redis-sentinel://``,
    ``redis-cluster://``), a ``ConnectionSettings``, a ``redis.asyncio`` client or an
    ``AsyncBroker``. Use ``async with AsyncClient(url) as client:`` or ``await client.close()``.
    """

    def __init__(
        self,
        redis: AsyncRedisTarget | AsyncBroker = "redis://127.0.0.1:6379/0",
        *,
        clock: Clock | None = None,
    ) -> None:
        self.broker = (
            redis
            if isinstance(redis, AsyncBroker)
            else AsyncBroker(redis, clock=clock or SYSTEM_CLOCK)
        )
        self._builder = TaskBuilder()

    async def close(self) -> None:
        await self.broker.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def enqueue(
        self,
        task: Task,
        *,
        queue: str | None = None,
        max_retry: int | None = None,
        timeout: Duration | None = None,
        deadline: datetime | None = None,
        process_at: datetime | None = None,
        process_in: Duration | None = None,
        unique: Duration | None = None,
        task_id: str | None = None,
        retention: Duration | None = None,
        group: str | None = None,
    ) -> TaskInfo:
        """``Client.enqueue``, awaited. Raises ``DuplicateTaskError``, ``TaskIDConflictError``,
        ``ValueError`` for bad options and ``BrokerError``."""
        options = given_options(
            queue=queue,
            max_retry=max_retry,
            timeout=timeout,
            deadline=deadline,
            process_at=process_at,
            process_in=process_in,
            unique=unique,
            task_id=task_id,
            retention=retention,
            group=group,
        )
        b = self._builder
        new, opts = b.build(task, options, self.broker.now())
        b.check(await self.broker.create_task(new))
        return b.info(new, task, opts, self.broker.now())

    async def enqueue_many(
        self, items: Iterable[Task | tuple[Task, dict[str, Any]]]
    ) -> list[TaskInfo | Exception]:
        """``Client.enqueue_many``, awaited: one pipelined round trip, one TaskInfo or exception
        per item; a Redis outage raises ``BrokerError`` for the whole batch."""
        items = items if isinstance(items, list) else list(items)
        b = self._builder
        if b.is_plain(items):
            plain = b.prepare_plain(items, self.broker.now())
            if plain is not None:
                codes = await self.broker.create_pending(
                    plain.opts.queue, plain.ids, plain.messages
                )
                return b.finish_plain(plain, codes, self.broker.now())
        batch = b.prepare_many(items, self.broker.now())
        codes = await self.broker.create_tasks([built[1] for built in batch.built])
        return b.finish_many(batch, codes, self.broker.now())


class AsyncInspector:
    """The common reads and actions of ``Inspector``, awaited; same results and errors.

    Offered: ``queues``, ``get_queue_info``, ``get_queue_infos``, ``list_pending_tasks``,
    ``list_active_tasks``, ``list_scheduled_tasks``, ``list_retry_tasks``,
    ``list_archived_tasks``, ``list_completed_tasks``, ``list_aggregating_tasks``,
    ``get_task_info``, ``run_task``/``archive_task``/``delete_task`` (and their ``*_tasks``
    batch forms) and ``cancel_processing``. Everything else (servers, schedulers, bulk
    ``*_all_*`` actions, history, metrics) is on the sync ``Inspector``.
    """

    def __init__(
        self,
        redis: AsyncRedisTarget | AsyncBroker = "redis://127.0.0.1:6379/0",
        *,
        clock: Clock | None = None,
    ) -> None:
        self._owns = not isinstance(redis, AsyncBroker)
        self.broker = (
            redis
            if isinstance(redis, AsyncBroker)
            else AsyncBroker(redis, clock=clock or SYSTEM_CLOCK)
        )

    async def close(self) -> None:
        if self._owns:
            await self.broker.close()

    async def __aenter__(self) -> AsyncInspector:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _queue(self, queue: str) -> str:
        check_queue_name(queue)
        if not await self.broker.queue_exists(queue):
            raise QueueNotFoundError(queue)
        return queue

    # -- queues -----------------------------------------------------------------------------
    async def queues(self) -> list[str]:
        return sorted(_text(q) for q in await self.broker.all_queues())

    async def get_queue_info(self, queue: str) -> infos.QueueInfo:
        return (await self.get_queue_infos([queue]))[0]

    async def get_queue_infos(
        self, queues: Iterable[str], *, skip_missing: bool = False
    ) -> list[infos.QueueInfo]:
        names = list(queues)
        for q in names:
            check_queue_name(q)
        if len(names) == 1:
            known = set(names) if await self.broker.queue_exists(names[0]) else set()
        else:
            known = {_text(q) for q in await self.broker.all_queues()} if names else set()
        missing = [q for q in names if q not in known]
        if missing and not skip_missing:
            raise QueueNotFoundError(missing[0])
        names = [q for q in names if q in known]
        now = self.broker.now()
        out = []
        for queue, s in zip(names, await self.broker.queue_infos(names, now), strict=True):
            if isinstance(s, BaseException):
                raise BrokerError(f"cannot read queue {queue!r}: {s}") from s
            out.append(Inspector._queue_info(queue, s, now))
        return out

    # -- listings ---------------------------------------------------------------------------
    async def _page(
        self, queue: str, state: TaskState, container: str, page_size: int, page: int
    ) -> TaskPage:
        start, stop = _check_page(page_size, page)
        await self._queue(queue)
        raw = await self.broker.list_tasks(
            queue,
            container,
            "list" if state in (TaskState.PENDING, TaskState.ACTIVE) else "zset",
            start,
            stop,
            with_lease=state is TaskState.ACTIVE,
        )
        return Inspector._page_from_raw(state, raw, self.broker.now())

    async def list_pending_tasks(self, queue: str, page_size: int = 30, page: int = 1) -> TaskPage:
        return await self._page(queue, TaskState.PENDING, keys.pending(queue), page_size, page)

    async def list_active_tasks(self, queue: str, page_size: int = 30, page: int = 1) -> TaskPage:
        return await self._page(queue, TaskState.ACTIVE, keys.active(queue), page_size, page)

    async def list_scheduled_tasks(
        self, queue: str, page_size: int = 30, page: int = 1
    ) -> TaskPage:
        return await self._page(queue, TaskState.SCHEDULED, keys.scheduled(queue), page_size, page)

    async def list_retry_tasks(self, queue: str, page_size: int = 30, page: int = 1) -> TaskPage:
        return await self._page(queue, TaskState.RETRY, keys.retry(queue), page_size, page)

    async def list_archived_tasks(self, queue: str, page_size: int = 30, page: int = 1) -> TaskPage:
        return await self._page(queue, TaskState.ARCHIVED, keys.archived(queue), page_size, page)

    async def list_completed_tasks(
        self, queue: str, page_size: int = 30, page: int = 1
    ) -> TaskPage:
        return await self._page(queue, TaskState.COMPLETED, keys.completed(queue), page_size, page)

    async def list_aggregating_tasks(
        self, queue: str, group: str, page_size: int = 30, page: int = 1
    ) -> TaskPage:
        container = keys.group(queue, group)
        return await self._page(queue, TaskState.AGGREGATING, container, page_size, page)

    async def get_task_info(self, queue: str, task_id: str) -> TaskInfo:
        await self._queue(queue)
        now = self.broker.now()
        found = await self.broker.task_info(queue, task_id, now)
        return Inspector._task_info_from_raw(queue, task_id, found, now)

    # -- actions ----------------------------------------------------------------------------
    async def _act(self, action: str, queue: str, task_id: str) -> None:
        await self._queue(queue)
        code = await self.broker.task_action(action, queue, task_id)
        error = Inspector._action_error(action, code, queue, task_id)
        if error is not None:
            raise error

    async def run_task(self, queue: str, task_id: str) -> None:
        await self._act("run", queue, task_id)

    async def archive_task(self, queue: str, task_id: str) -> None:
        await self._act("archive", queue, task_id)

    async def delete_task(self, queue: str, task_id: str) -> None:
        await self._act("delete", queue, task_id)

    async def _batch(self, action: str, queue: str, task_ids: Iterable[str]) -> BatchResult:
        await self._queue(queue)
        ids = list(dict.fromkeys(task_ids))
        result = BatchResult()
        codes = await self.broker.task_actions(action, queue, ids)
        for task_id, code in zip(ids, codes, strict=True):
            error = (
                code
                if isinstance(code, Exception)
                else Inspector._action_error(action, code, queue, task_id)
            )
            if error is None:
                result.done += 1
            else:
                result.errors[task_id] = str(error)
        return result

    async def run_tasks(self, queue: str, task_ids: Iterable[str]) -> BatchResult:
        return await self._batch("run", queue, task_ids)

    async def archive_tasks(self, queue: str, task_ids: Iterable[str]) -> BatchResult:
        return await self._batch("archive", queue, task_ids)

    async def delete_tasks(self, queue: str, task_ids: Iterable[str]) -> BatchResult:
        return await self._batch("delete", queue, task_ids)

    async def cancel_processing(self, task_id: str) -> None:
        """Ask every server to cancel ``task_id`` if it runs it (best effort, as Go does)."""
        await self.broker.publish_cancel(task_id)
