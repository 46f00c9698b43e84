"""What a worker tells its operator: one line per failed attempt, a start-up line, one line when
Redis goes away and one when it is back, and a JSON form of all of them for log shippers.

Why a module of its own: the processor and the background components only call one-line hooks
here, so what a line says (and the fields a JSON line carries) is decided in one place.

* ``failed_attempt`` logs at WARNING what happened to a task whose handler failed and what
  happens next: ``retry at T``, ``archived`` (retries exhausted) or ``archived, retry skipped``
  (``SkipRetry``). A missing handler is also said once per task type at ERROR, because it will
  not fix itself by retrying.
* ``ConnectionHealth`` is shared by every component of one broker (``connection_health``):
  components report failures and successes, and only the transitions are logged, so a Redis
  outage gives "Redis unreachable, retrying" once and "Redis reachable again" once instead of
  every component warning every few seconds.
* ``JsonFormatter`` writes one JSON object per line: time, level, logger, message, pid and the
  event's fields (``event``, ``task_type``, ``task_id``, ``queue``, ``attempt``, ...).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import weakref
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from pyasynq.errors import HandlerNotFoundError, SkipRetry, wraps

if TYPE_CHECKING:
    from pyasynq.broker.broker import Broker
    from pyasynq.server import Server

FIELDS = "pyasynq_fields"
"""The ``LogRecord`` attribute that carries an event's structured fields."""

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fields(**fields: Any) -> dict[str, Any]:
    return {FIELDS: fields}


# -- task outcomes -------------------------------------------------------------------------
_missing_types: set[str] = set()
_missing_lock = threading.Lock()


def failed_attempt(
    log: logging.Logger,
    msg: Any,
    err: BaseException,
    error: str,
    *,
    outcome: str,
    retry_at: float | None = None,
    now: float | None = None,
) -> None:
    """One WARNING line for a failed attempt of ``msg`` and what happens next.

    ``outcome`` is ``retry`` (with ``retry_at``), ``archived`` or ``skipped_retry``.
    """
    attempt, attempts = int(msg.retried) + 1, int(msg.retry) + 1
    if outcome == "retry" and retry_at is not None:
        wait = f" (in {max(0, round(retry_at - now))}s)" if now is not None else ""
        next_step = f"retry at {_iso(retry_at)}{wait}"
    elif outcome == "skipped_retry":
        next_step = "archived, retry skipped (SkipRetry)"
    else:
        next_step = "archived, retries exhausted"
    log.warning(
        "task failed: %s id=%s queue=%s attempt %d of %d: %s -> %s",
        msg.type,
        msg.id,
        msg.queue,
        attempt,
        attempts,
        error,
        next_step,
        extra=_fields(
            event="task_failed",
            task_type=msg.type,
            task_id=msg.id,
            queue=msg.queue,
            attempt=attempt,
            max_attempts=attempts,
            error=error,
            outcome=outcome,
            retry_at=_iso(retry_at) if retry_at is not None else None,
        ),
    )
    if wraps(err, HandlerNotFoundError):
        with _missing_lock:
            first = msg.type not in _missing_types
            _missing_types.add(msg.type)
        if first:
            log.error(
                "handler not found for task type %r (queue %s): register it on the ServeMux; "
                "these tasks fail and retry until a handler exists",
                msg.type,
                msg.queue,
                extra=_fields(event="handler_not_found", task_type=msg.type, queue=msg.queue),
            )


def outcome_of(err: BaseException, msg: Any) -> str:
    """``skipped_retry`` / ``archived`` / ``retry``: what the processor does with a failure."""
    if wraps(err, SkipRetry):
        return "skipped_retry"
    if msg.retried >= msg.retry:
        return "archived"
    return "retry"


# -- start-up ------------------------------------------------------------------------------
def startup(server: Server, processes: int = 1) -> None:
    """The line a worker prints once it starts: who it is and what it serves."""
    from pyasynq import __version__

    queues = ",".join(f"{q}={p}" for q, p in server.queues.items())
    redis = server.broker.where()
    server.log.info(
        "pyasynq %s worker started: redis %s, queues %s%s, concurrency %d, processes %d, pid %d",
        __version__,
        redis,
        queues,
        " (strict)" if server.strict_priority else "",
        server.concurrency,
        processes,
        server.pid,
        extra=_fields(
            event="worker_started",
            version=__version__,
            redis=redis,
            queues=dict(server.queues),
            strict=server.strict_priority,
            concurrency=server.concurrency,
            processes=processes,
            server_id=server.server_id,
        ),
    )


# -- Redis connection health ---------------------------------------------------------------
class ConnectionHealth:
    """Shared by every component that uses one broker; logs only when Redis goes or comes back.

    ``failed(exc, source, log)`` while Redis was up logs one WARNING; later failures log at
    DEBUG. ``ok(source, log)`` while down logs one INFO with how long it was away.
    """

    def __init__(self, where: str) -> None:
        self.where = where
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self.outages = 0

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def failed(self, exc: BaseException, source: str, log: logging.Logger) -> None:
        with self._lock:
            first = self._down_since is None
            if first:
                self._down_since = time.monotonic()
                self.outages += 1
        if first:
            log.warning(
                "Redis unreachable at %s, retrying (first noticed by %s): %s",
                self.where,
                source,
                exc,
                extra=_fields(event="redis_down", redis=self.where, source=source, error=str(exc)),
            )
        else:
            log.debug("%s: Redis still unreachable: %s", source, exc)

    def ok(self, source: str, log: logging.Logger) -> None:
        if self._down_since is None:  # the common case: no lock, no work
            return
        with self._lock:
            # read again under the lock: another thread may have cleared it since the check
            since, self._down_since = cast("float | None", self._down_since), None
        if since is None:
            return
        away = time.monotonic() - since
        log.info(
            "Redis reachable again at %s after %.1fs (noticed by %s)",
            self.where,
            away,
            source,
            extra=_fields(event="redis_up", redis=self.where, source=source, down_seconds=away),
        )


_health: weakref.WeakKeyDictionary[Any, ConnectionHealth] = weakref.WeakKeyDictionary()
_health_lock = threading.Lock()


def connection_health(broker: Broker) -> ConnectionHealth:
    """The notifier shared by everything that talks to Redis through ``broker``."""
    with _health_lock:
        found = _health.get(broker)
        if found is None:
            where = broker.where() if hasattr(broker, "where") else "redis"
            found = _health[broker] = ConnectionHealth(where)
        return found


# -- formatting ----------------------------------------------------------------------------
class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, pid, and the event's fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        for key, value in (getattr(record, FIELDS, None) or {}).items():
            if value is not None:
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def configure(level: str = "info", fmt: str = "text") -> None:
    """Root logging for a worker process: ``text`` lines or ``json`` objects on stderr."""
    if level.lower() not in LOG_LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
    if fmt not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, got {fmt!r}")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
