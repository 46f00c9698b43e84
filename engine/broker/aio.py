"""The asyncio transport: the producer and inspector calls ``AsyncClient``/``AsyncInspector``
need, on ``redis.asyncio``, without blocking the event loop.

Same ``.lua`` files (``scripts.source``), same keys and arguments: every call is built by the
pure functions the redis-py broker uses (``producer.single_call``, ``inspect.task_call``, ...),
so the two transports cannot drift apart. Errors become the same ``BrokerError`` texts.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Sequence
from typing import Any, cast

import redis
import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import ExponentialBackoff

from pyasynq.broker import keys, scripts
from pyasynq.broker.base import REDIS_ERRORS, _is_noscript, translate
from pyasynq.broker.connection import ConnectionSettings, parse_url
from pyasynq.broker.inspect import (
    RawTask,
    list_tasks_call,
    parse_list_tasks,
    parse_task_info,
    queue_info_calls,
    task_call,
    task_info_call,
)
from pyasynq.broker.producer import (
    NewTask,
    batch_calls,
    batch_results,
    pending_calls,
    pending_results,
    single_call,
)
from pyasynq.clock import SYSTEM_CLOCK, Clock

AsyncRedisLike = aioredis.Redis | RedisCluster
AsyncRedisTarget = str | ConnectionSettings | AsyncRedisLike
"""What an ``AsyncBroker`` (and so an ``AsyncClient`` or ``AsyncInspector``) can be built from."""
Call = tuple[str, Sequence[Any], Sequence[Any]]


def connect_async(target: object) -> AsyncRedisLike:
    """A ``redis.asyncio`` client for the URL forms ``connect`` accepts (or a ready client).

    Takes any object because it is where a wrong one (a sync client, say) is refused, with a
    ``TypeError`` naming its type."""
    if isinstance(target, aioredis.Redis | RedisCluster):
        return target
    if not isinstance(target, str | ConnectionSettings):
        raise TypeError(
            "expected a Redis URL, ConnectionSettings or a redis.asyncio client, "
            f"got {type(target).__name__}"
        )
    settings = parse_url(target) if isinstance(target, str) else target
    options = settings.options
    health = options.get("health_check_interval", 15)
    common: dict[str, Any] = {
        "socket_timeout": options.get("socket_timeout", 5.0),
        "socket_connect_timeout": options.get("socket_connect_timeout", 5.0),
        "retry": Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
        "decode_responses": False,
    }
    if "client_name" in options:
        common["client_name"] = options["client_name"]
    tls = _tls_kwargs(settings)
    if settings.scheme in ("unix", "redis-socket"):
        return aioredis.Redis(
            unix_socket_path=settings.path,
            db=settings.db,
            username=settings.username,
            password=settings.password,
            health_check_interval=health,
            **common,
        )
    if settings.scheme == "redis-sentinel":
        sentinel_kwargs: dict[str, Any] = dict(tls)
        if settings.sentinel_password:
            sentinel_kwargs["password"] = settings.sentinel_password
        sentinel = Sentinel(list(settings.hosts), sentinel_kwargs=sentinel_kwargs or None, **common)
        master = sentinel.master_for(
            # parse_url always sets master_name on a sentinel URL; hand-built settings without one
            # are passed on as they always were (the first command then finds no master for None)
            settings.master_name,  # type: ignore[arg-type]
            db=settings.db,
            username=settings.username,
            password=settings.password,
            **tls,
        )
        # redis-py leaves master_for's result unannotated: its redis_class, Redis by default
        return cast(aioredis.Redis, master)
    if settings.scheme == "redis-cluster":
        common.pop("retry")
        return RedisCluster(
            startup_nodes=[ClusterNode(h, p) for h, p in settings.hosts],
            username=settings.username,
            password=settings.password,
            **tls,
            **common,
        )
    host, port = settings.hosts[0]
    auth: dict[str, Any] = {
        "db": settings.db,
        "username": settings.username,
        "password": settings.password,
    }
    if settings.tls and settings.tls_options is not None and settings.tls_options.server_name:
        pool = aioredis.ConnectionPool(
            connection_class=_ServerNameTLS,
            host=host,
            port=port,
            health_check_interval=health,
            ssl_server_name=settings.tls_options.server_name,
            **{k: v for k, v in tls.items() if k != "ssl"},
            **auth,
            **common,
        )
        return aioredis.Redis(connection_pool=pool)
    return aioredis.Redis(
        host=host, port=port, health_check_interval=health, **tls, **auth, **common
    )


class _ServerNameTLS(aioredis.SSLConnection):
    """Verify (and send as SNI) ``ssl_server_name`` instead of the address connected to, as
    the sync client's TLS connections do."""

    def __init__(self, *args: Any, ssl_server_name: str, **kwargs: Any) -> None:
        self.ssl_server_name = ssl_server_name
        super().__init__(*args, **kwargs)

    def _connection_arguments(self) -> Any:
        return {**super()._connection_arguments(), "server_hostname": self.ssl_server_name}


def _tls_kwargs(settings: ConnectionSettings) -> dict[str, Any]:
    """redis.asyncio's TLS keyword arguments for the URL's TLS settings (none: plain). A server
    name other than the host is verified on one server only: redis.asyncio builds Sentinel and
    Cluster node connections itself, so there it is refused rather than left unchecked."""
    if not settings.tls:
        return {}
    options = settings.tls_options
    if options is None:
        return {"ssl": True}
    kwargs = options.redis_kwargs()
    if kwargs.pop("ssl_server_name") and settings.scheme in ("redis-sentinel", "redis-cluster"):
        raise ValueError(
            "ssl_server_name is not supported by the asyncio client on Sentinel or Cluster "
            "(each node is verified against its own address): leave it out, or use Client"
        )
    return {"ssl": True, **{k: v for k, v in kwargs.items() if v is not None}}


class AsyncBroker:
    """Runs the broker's scripts on ``redis.asyncio`` (producer and inspector subset)."""

    def __init__(self, target: AsyncRedisTarget, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.redis = connect_async(target)
        self.clock = clock
        self._where = (
            (parse_url(target) if isinstance(target, str) else target).describe()
            if isinstance(target, str | ConnectionSettings)
            else "redis"
        )
        self._shas: dict[str, str] = {}
        self._registered_queues: set[str] = set()
        self.is_cluster = isinstance(self.redis, RedisCluster)

    def now(self) -> float:
        return self.clock.now()

    def where(self) -> str:
        return self._where

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        """``BrokerBase.errors`` for this transport: redis errors become the engine's, with the
        redis-py broker's texts (same ``translate``). A plain context manager, so it works
        around ``await`` as well."""
        try:
            yield
        except REDIS_ERRORS as exc:
            raise translate(exc, self.where()) from exc

    async def close(self) -> None:
        await self.redis.aclose()

    # -- scripts ----------------------------------------------------------------------------
    def _sha(self, name: str) -> str:
        sha = self._shas.get(name)
        if sha is None:
            sha = hashlib.sha1(scripts.source(name).encode("utf-8")).hexdigest()
            self._shas[name] = sha
        return sha

    async def run(self, name: str, script_keys: Sequence[Any], args: Sequence[Any]) -> Any:
        """EVALSHA of ``scripts/<name>.lua``; SCRIPT LOAD and again when Redis lacks it."""
        with self.errors():
            try:
                return await self.redis.evalsha(
                    self._sha(name), len(script_keys), *script_keys, *args
                )
            except redis.exceptions.NoScriptError:
                await self._load(name)
                return await self.redis.evalsha(
                    self._sha(name), len(script_keys), *script_keys, *args
                )

    async def _load(self, name: str) -> None:
        # on a cluster, redis-py sends SCRIPT LOAD to every primary
        await self.redis.script_load(scripts.source(name))

    async def run_many(self, calls: Sequence[Call]) -> list[Any]:
        """Many scripts in one pipelined round trip (one per call on a cluster); one reply or
        exception per call, in order."""
        if not calls:
            return []
        if self.is_cluster:
            out: list[Any] = []
            for name, ks, args in calls:
                try:
                    out.append(await self.run(name, ks, args))
                except Exception as exc:
                    out.append(exc)
            return out
        with self.errors():
            replies = await self._pipelined(calls)
            missing = [i for i, reply in enumerate(replies) if _is_noscript(reply)]
            if missing:  # Redis lost its script cache: load and redo those
                for name in {calls[i][0] for i in missing}:
                    await self._load(name)
                again = await self._pipelined([calls[i] for i in missing])
                for i, reply in zip(missing, again, strict=True):
                    replies[i] = reply
        return replies

    async def _pipelined(self, calls: Sequence[Call]) -> list[Any]:
        pipe = self.redis.pipeline(transaction=False)
        for name, ks, args in calls:
            pipe.evalsha(self._sha(name), len(ks), *ks, *args)
        return list(await pipe.execute(raise_on_error=False))

    # -- producer (spec §4.1–4.9) -----------------------------------------------------------
    async def _register(self, queues: set[str]) -> None:
        new = queues - self._registered_queues
        if new:
            with self.errors():
                await self.redis.sadd(keys.ALL_QUEUES, *sorted(new))
            self._registered_queues.update(new)

    async def create_task(self, task: NewTask) -> int:
        await self._register({task.queue})
        return int(await self.run(*single_call(task, self.now())))

    async def create_pending(
        self, queue: str, ids: list[str], messages: list[bytes]
    ) -> list[int | BaseException]:
        if not ids:
            return []
        now_ns = int(self.now() * 1e9)
        await self._register({queue})
        calls = pending_calls(queue, ids, messages, now_ns)
        return pending_results(calls, await self.run_many(calls), self.where())

    async def create_tasks(self, tasks: list[NewTask]) -> list[int | BaseException]:
        if not tasks:
            return []
        await self._register({t.queue for t in tasks})
        calls, owners = batch_calls(tasks, self.now())
        return batch_results(calls, owners, await self.run_many(calls), len(tasks), self.where())

    # -- inspector (spec §5) ----------------------------------------------------------------
    async def all_queues(self) -> list[bytes | str]:
        with self.errors():
            return list(await self.redis.smembers(keys.ALL_QUEUES))

    async def queue_exists(self, queue: str) -> bool:
        with self.errors():
            return bool(await self.redis.sismember(keys.ALL_QUEUES, queue))

    async def queue_infos(
        self, queues: Sequence[str], now: float
    ) -> list[list[Any] | BaseException]:
        replies = await self.run_many(queue_info_calls(queues, now))  # one queue per call
        return [r if isinstance(r, BaseException) else list(r[0]) for r in replies]

    async def list_tasks(
        self,
        queue: str,
        container: str,
        kind: str,
        start: int,
        stop: int,
        *,
        with_lease: bool = False,
    ) -> list[RawTask]:
        call = list_tasks_call(queue, container, kind, start, stop, with_lease)
        return parse_list_tasks(await self.run(*call))

    async def task_info(self, queue: str, task_id: str, now: float) -> tuple[Any, ...] | None:
        return parse_task_info(await self.run(*task_info_call(queue, task_id, now)))

    async def task_action(self, action: str, queue: str, task_id: str) -> int:
        return int(await self.run(*task_call(action, queue, task_id, self.now())))

    async def task_actions(
        self, action: str, queue: str, task_ids: Sequence[str]
    ) -> list[int | Exception]:
        now = self.now()
        replies = await self.run_many([task_call(action, queue, tid, now) for tid in task_ids])
        return [r if isinstance(r, Exception) else int(r) for r in replies]

    async def publish_cancel(self, task_id: str) -> int:
        with self.errors():
            return int(await self.redis.publish(keys.CANCEL_CHANNEL, task_id))
