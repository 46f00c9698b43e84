"""The broker's shared machinery: the Redis client, the clock, scripts and error translation."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any, cast

import redis
from redis.cluster import RedisCluster
from redis.commands.core import Script
from redis.exceptions import ClusterDownError, RedisClusterException, SlotNotCoveredError

from pyasynq.broker import scripts
from pyasynq.broker.connection import RedisLike, RedisTarget, TLSHandshakeError, connect, describe
from pyasynq.clock import SYSTEM_CLOCK, Clock
from pyasynq.errors import BadDataError, BrokerError, RedisUnavailableError

MAX_INT64 = 9223372036854775807
STATS_TTL = 90 * 24 * 3600
ARCHIVE_MAX_SIZE = 10000
ARCHIVE_MAX_AGE = 90 * 24 * 3600
LEASE_DURATION = 30

Key = str | bytes
Arg = str | bytes | int | float


def to_str(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


# Redis's answers that mean "this key does not hold what the command (or script) expects":
# the data is bad, Redis itself is fine. Scripts report them inside "Error running script"
# (Redis 6) or with a "script:" suffix (Redis 7); a Lua runtime error in one of our scripts
# (arithmetic on a value that is not a number, ...) comes from the data it read too.
_DATA_ERROR_MARKERS = (
    "WRONGTYPE",
    "not an integer",
    "not a valid float",
    "is not a float",
    "out of range",
    "overflow",
    "user_script",
    "Error running script",
    "attempt to ",
)


def is_data_error(exc: BaseException) -> bool:
    """True when Redis refused because of the data a key holds (see ``BadDataError``)."""
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
        return False
    if not isinstance(exc, redis.ResponseError):
        return False
    text = str(exc)
    if text.startswith(("NOSCRIPT", "READONLY", "OOM", "NOPERM", "BUSY", "LOADING", "MASTERDOWN")):
        return False
    return any(marker in text for marker in _DATA_ERROR_MARKERS)


REDIS_ERRORS = (redis.RedisError, RedisClusterException)
"""What redis-py raises: its errors, plus the cluster client's own (``RedisClusterException``
is not a ``RedisError``: a refused command, an uncovered slot, a cluster it cannot map)."""


def translate(exc: BaseException, where: str, *, queue: str | None = None) -> BrokerError:
    """The engine's error for a redis-py error: unreachable, bad data, or another refusal."""
    if isinstance(exc, BrokerError):
        return exc
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError | TLSHandshakeError):
        # a refused TLS handshake (wrong CA, no client certificate) is also "cannot reach"
        return RedisUnavailableError(f"cannot reach Redis at {where}: {exc}")
    if isinstance(exc, ClusterDownError | SlotNotCoveredError):
        return RedisUnavailableError(f"Redis Cluster at {where} cannot serve: {exc}")
    if is_data_error(exc):
        scope = f"queue {queue!r}: " if queue is not None else ""
        return BadDataError(f"{scope}{exc} (Redis at {where})", queue=queue)
    if isinstance(exc, redis.ResponseError):
        return BrokerError(f"Redis at {where} answered with an error: {exc}")
    if isinstance(exc, RedisClusterException):
        return BrokerError(f"Redis Cluster client at {where} refused: {exc}")
    return BrokerError(f"Redis error at {where}: {exc}")


def _is_noscript(reply: Any) -> bool:
    return isinstance(reply, redis.exceptions.NoScriptError) or (
        isinstance(reply, redis.ResponseError) and str(reply).startswith("NOSCRIPT")
    )


class BrokerBase:
    """Owns the Redis client; every operation mixin builds on ``run``/``call``."""

    def __init__(self, target: RedisTarget, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.redis: RedisLike = connect(target)
        self.clock = clock
        self._scripts: dict[str, Script] = {}
        self._loaded: set[str] = set()  # scripts known to be in Redis's script cache
        self._registered_queues: set[str] = set()  # queues this Broker has SADDed (§4.1)
        self.is_cluster = isinstance(self.redis, RedisCluster)

    @property
    def cluster(self) -> RedisCluster:
        """The client as the ``RedisCluster`` it is (only when ``is_cluster``)."""
        return cast(RedisCluster, self.redis)

    # -- time -------------------------------------------------------------------------------
    def now(self) -> float:
        return self.clock.now()

    # -- errors -----------------------------------------------------------------------------
    def where(self) -> str:
        try:
            return describe(self.redis)
        except Exception:  # describing must never hide the real error
            return "redis"

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        """Turn redis-py errors into the engine's, naming the Redis: ``RedisUnavailableError``
        (connection, timeout), ``BadDataError`` (a key of the wrong type, a value that is not a
        number) or a plain ``BrokerError`` (any other refusal)."""
        try:
            yield
        except REDIS_ERRORS as exc:
            raise translate(exc, self.where()) from exc

    # -- scripts ----------------------------------------------------------------------------
    def script(self, name: str) -> Script:
        found = self._scripts.get(name)
        if found is None:
            found = self.redis.register_script(scripts.source(name))
            self._scripts[name] = found
        return found

    def run(self, name: str, keys: Sequence[Key], args: Sequence[Arg], client: Any = None) -> Any:
        """Run script ``name`` (EVALSHA, EVAL on NOSCRIPT); errors become ``BrokerError``.

        The hottest call of the engine (every enqueue, dequeue and ack), so it avoids the
        ``errors()`` context manager and copies nothing."""
        script = self._scripts.get(name) or self.script(name)
        try:
            return script(keys=keys, args=args, client=client)
        except REDIS_ERRORS as exc:
            with self.errors():
                raise exc from None

    def run_per_queue(
        self,
        script: str,
        calls: Sequence[tuple[list[Any], list[Any]]],
        per_call: int,
        *,
        args: Sequence[Any] = (),
    ) -> list[list[Any] | BaseException]:
        """Run a per-queue script whose call takes the keys and args of N queues one after the
        other and answers one array per queue (``queue_info.lua``, ``queue_counts.lua``).

        Outside a cluster ``per_call`` queues go in one call: a thousand queues are a few
        replies to parse, not a thousand. On a cluster a script's keys must share a slot, so
        each queue is its own call, grouped by node (``run_many``). A call that fails as a
        whole (it should not: the scripts name bad keys instead of failing) is run again one
        queue per call, so one queue's error never hides the others. ``args`` go first in every
        call's ARGV, before the queues' own."""
        size = 1 if self.is_cluster else per_call
        chunks = [calls[i : i + size] for i in range(0, len(calls), size)]

        def merged(
            chunk: Sequence[tuple[list[Any], list[Any]]],
        ) -> tuple[str, list[Any], list[Any]]:
            return (
                script,
                [k for c in chunk for k in c[0]],
                [*args, *(a for c in chunk for a in c[1])],
            )

        out: list[list[Any] | BaseException] = []
        for chunk, reply in zip(chunks, self.run_many([merged(c) for c in chunks]), strict=True):
            if not isinstance(reply, BaseException):
                out.extend(list(r) for r in reply)
            elif len(chunk) == 1:
                out.append(reply)
            else:
                again = self.run_many([merged([c]) for c in chunk])
                out.extend(r if isinstance(r, BaseException) else list(r[0]) for r in again)
        return out

    def run_many(self, calls: Sequence[tuple[str, Sequence[Key], Sequence[Arg]]]) -> list[Any]:
        """Run many scripts in pipelined round trips; one reply (or exception) per call, in order.
        A call's exception is the engine's (``BadDataError`` for a key of the wrong type).

        On a cluster, redis-py refuses EVALSHA in its cluster pipeline, so calls are grouped by
        the node that owns their first key and sent as one plain pipeline per node.
        """
        if not calls:
            return []
        with self.errors():
            replies = self._pipelined(calls)
            missing = [i for i, reply in enumerate(replies) if _is_noscript(reply)]
            if missing:  # Redis lost its script cache (restart, SCRIPT FLUSH): load and redo
                self._loaded.clear()
                for i, reply in zip(
                    missing, self._pipelined([calls[i] for i in missing]), strict=True
                ):
                    replies[i] = reply
        where = None
        for i, reply in enumerate(replies):  # one queue's bad data is that call's error only
            if isinstance(reply, REDIS_ERRORS):
                where = where or self.where()
                replies[i] = translate(reply, where)
        return replies

    def _pipelined(self, calls: Sequence[tuple[str, Sequence[Key], Sequence[Arg]]]) -> list[Any]:
        shas = {}
        for name in {c[0] for c in calls}:
            script = self.script(name)
            if name not in self._loaded:  # SCRIPT LOAD once, not on every batch
                script.sha = self.redis.script_load(script.script)
                self._loaded.add(name)
            shas[name] = script.sha
        groups: dict[Any, list[int]] = {}
        if self.is_cluster:
            for i, (_, ks, _) in enumerate(calls):
                node = self.cluster.get_node_from_key(ks[0] if ks else "")
                groups.setdefault(node.name, []).append(i)
        else:
            groups[None] = list(range(len(calls)))
        replies: list[Any] = [None] * len(calls)
        for node_name, indexes in groups.items():
            client = (
                self.cluster.get_redis_connection(self.cluster.get_node(node_name=node_name))
                if node_name is not None
                else self.redis
            )
            pipe = client.pipeline(transaction=False)
            for i in indexes:
                name, ks, args = calls[i]
                pipe.evalsha(shas[name], len(ks), *ks, *args)
            for i, reply in zip(indexes, pipe.execute(raise_on_error=False), strict=True):
                replies[i] = reply
        return replies

    def pipeline(self, transaction: bool = False) -> Any:
        return self.redis.pipeline(transaction=transaction)

    def ping(self) -> bool:
        with self.errors():
            return bool(self.redis.ping())

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.redis.close()
