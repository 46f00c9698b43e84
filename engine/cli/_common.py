"""What every ``pyasynq`` command shares: the Redis option, tables, JSON output and exit codes.

Exit codes: 0 success, 1 the operation was refused (not found, wrong state, not empty, or
Redis holds data that cannot be read: a key of the wrong type, an undecodable message),
2 bad usage (click), 3 Redis could not be reached (connection errors and timeouts only).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast

import click

from pyasynq.errors import AsynqError, BadDataError, RedisUnavailableError

if TYPE_CHECKING:
    from pyasynq.inspector import Inspector

EXIT_REFUSED = 1
EXIT_REDIS = 3
DEFAULT_URL = "redis://127.0.0.1:6379/0"

F = TypeVar("F", bound=Callable[..., Any])
"""A command function; the decorators below return it with its signature."""


def redis_option(func: F) -> F:
    """``--redis-url`` (env REDIS_URL); Go CLI style ``--uri host:port --db N --password P`` too.

    The root's Go flags and ``--config`` / ``~/.asynq.yaml`` apply as well
    (``pyasynq.cli._connection.resolve`` has the precedence)."""

    @click.option("--redis-url", "-r", default=None, help="Redis URL (env REDIS_URL).")
    @click.option("--uri", default=None, help="Redis host:port, as in Go's asynq CLI.")
    @click.option("--db", type=click.IntRange(0), default=None, help="Redis database number.")
    @click.option("--password", default=None, help="Redis password.")
    @functools.wraps(func)
    def wrapper(
        *args: Any,
        redis_url: str | None,
        uri: str | None,
        db: int | None,
        password: str | None,
        **kwargs: Any,
    ) -> Any:
        from pyasynq.cli._connection import ConnectionFlags, resolve

        given = ConnectionFlags(redis_url=redis_url, uri=uri, db=db, password=password)
        kwargs["redis_url"] = resolve(click.get_current_context(), given)
        return func(*args, **kwargs)

    return cast(F, wrapper)


def resolve_url(
    redis_url: str | None, uri: str | None, db: int | None, password: str | None
) -> str:
    if redis_url and not uri:
        return redis_url
    if uri:
        auth = f":{password}@" if password else ""
        return f"redis://{auth}{uri}/{db or 0}"
    return os.environ.get("REDIS_URL") or DEFAULT_URL


def import_object(spec: str) -> Any:
    """Import ``package.module:attr`` (dots after the colon walk attributes), with the working
    directory importable as it is for ``python -m``."""
    import importlib

    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise click.BadParameter(f"expected MODULE:ATTR, e.g. myapp.tasks:mux, got {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise click.BadParameter(f"cannot import {module_name!r}: {exc}") from exc
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise click.BadParameter(f"{module_name!r} has no attribute {attr!r}") from None
    return obj


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(func)


def require_console() -> None:
    """Refuse, saying how to install it, when the console extra (Flask, gunicorn) is missing."""
    import importlib.util

    missing = [m for m in ("flask", "gunicorn") if importlib.util.find_spec(m) is None]
    if missing:
        raise click.UsageError(
            f"this command needs the console extra ({', '.join(missing)} missing): "
            "pip install 'pyasynq[console]'"
        )


def fail(message: str, code: int = EXIT_REFUSED) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def guarded(func: F) -> F:
    """Turn engine errors into one clear line on stderr and a meaningful exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import RedisClusterException
        from redis.exceptions import TimeoutError as RedisTimeoutError

        _opened.clear()
        try:
            result = func(*args, **kwargs)
            report_bad_data()
            return result
        except RedisUnavailableError as exc:
            fail(str(exc), EXIT_REDIS)
        except (RedisClusterException, RedisConnectionError, RedisTimeoutError) as exc:
            # what the broker did not wrap (a cluster whose nodes cannot be reached at startup)
            fail(f"cannot reach Redis: {exc}", EXIT_REDIS)
        except BadDataError as exc:
            fail(f"bad data in Redis: {exc}", EXIT_REFUSED)
        except (AsynqError, ValueError) as exc:
            fail(str(exc), EXIT_REFUSED)

    return cast(F, wrapper)


_opened: list[Any] = []


def inspector(redis_url: str) -> Inspector:
    from pyasynq.inspector import Inspector

    insp = Inspector(redis_url, clock=cli_clock())
    _opened.append(insp)  # so guarded() can name the bad data its reads left out
    return insp


def report_bad_data() -> None:
    """After a command printed what it could read, name on stderr every bad record its
    Inspector left out (a queue key of the wrong type, an undecodable task, ...)."""
    seen: dict[str, None] = {}
    for insp in _opened:
        seen.update(dict.fromkeys(insp.problems_seen))
        insp.problems_seen.clear()
    _opened.clear()
    for problem in seen:
        click.echo(f"warning: bad data in Redis, left out: {problem}", err=True)


def cli_clock() -> Any:
    """The clock tests pin with ``main(obj={"clock": ManualClock(...)})``; else the wall clock."""
    from pyasynq.clock import SYSTEM_CLOCK

    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    clock = obj.get("clock") if isinstance(obj, dict) else None
    return clock or SYSTEM_CLOCK


def cli_now() -> datetime:
    """Now, from ``cli_clock`` (UTC)."""
    from datetime import UTC

    return datetime.fromtimestamp(cli_clock().now(), UTC)


def to_jsonable(value: Any) -> Any:
    """Dataclasses, datetimes, durations and bytes as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return {"base64": __import__("base64").b64encode(value).decode()}
    return value


def print_json(value: Any) -> None:
    click.echo(json.dumps(to_jsonable(value), indent=2, sort_keys=True, ensure_ascii=False))


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Aligned columns with a dash rule under the headers, as Go's CLI prints them."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True))

    click.echo(line(headers).rstrip())
    click.echo(line(["-" * len(h) for h in headers]).rstrip())
    for row in cells:
        click.echo(line(row).rstrip())


def payload_text(data: bytes | None, limit: int = 40) -> str:
    if not data:
        return ""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "non-printable bytes"
    if not text.isprintable():
        return "non-printable bytes"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def relative(value: datetime | None, now: datetime) -> str:
    if value is None:
        return ""
    seconds = (value - now).total_seconds()
    if seconds <= 0:
        return "right now"
    return f"in {timedelta(seconds=int(seconds))}"


def error_rate(processed: int, failed: int) -> str:
    return f"{failed / processed * 100:.2f}%" if processed else "N/A"
