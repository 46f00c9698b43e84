"""Where Redis is, as Go's ``asynq`` CLI is told it: persistent flags, ``--config`` and
``~/.asynq.yaml``, and pyasynq's own ``--redis-url`` / ``REDIS_URL``.

Go's persistent flags (``-u/--uri``, ``-n/--db``, ``-p/--password``, ``-U/--username``,
``--cluster``, ``--cluster_addrs``, ``--tls``, ``--tls_server``, ``--insecure``, ``--config``) are
accepted before the subcommand (on the root group) and after it (on every Go command); a value
given after the subcommand wins. Precedence, per setting: a flag, then ``REDIS_URL`` (only when no
connection flag and no ``--config`` is given), then the config file, then Go's defaults.

The result is one of our Redis URLs: ``redis[s]://[user:password@]host:port/db`` with TLS query
parameters (``ssl_server_name``, ``ssl_cert_reqs=none``), or ``redis-cluster://h1,h2`` for
``--cluster``. A URL we cannot read is a usage error that lists the accepted forms.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, urlencode

import click

from pyasynq.cli._common import F

DEFAULT_URI = "127.0.0.1:6379"  # Go's --uri default
DEFAULT_CLUSTER_ADDRS = (
    "127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003,127.0.0.1:7004,127.0.0.1:7005"
)
# viper's search order for ~/.asynq.<ext> among the formats we read
CONFIG_EXTENSIONS = ("json", "toml", "yaml", "yml")

URL_FORMS = """accepted Redis URLs:
  redis://[user:password@]host[:port][/db]
  rediss://[user:password@]host[:port][/db][?ssl_cert_reqs=none&ssl_server_name=NAME&...]  (TLS)
  unix:///path/redis.sock?db=N   redis-socket:///path?db=N
  redis-sentinel://[:sentinel-password@]h1:26379,h2:26379[/db]?master=NAME[&password=P]
  redis-cluster://[user:password@]h1:7000,h2:7001
any of them may add ?socket_timeout=S&socket_connect_timeout=S&health_check_interval=S&client_name=N
or Go's flags: --uri host:port --db N --password P [--username U] [--tls] [--tls_server NAME]
[--insecure] [--cluster --cluster_addrs h1:7000,h2:7001]"""


@dataclasses.dataclass
class ConnectionFlags:
    """The connection settings given on one command line level (``None``: not given)."""

    redis_url: str | None = None
    config: str | None = None
    uri: str | None = None
    db: int | None = None
    password: str | None = None
    username: str | None = None
    cluster: bool | None = None
    cluster_addrs: str | None = None
    tls: bool | None = None
    tls_server: str | None = None
    insecure: bool | None = None

    GO_KEYS = (
        "uri",
        "db",
        "password",
        "username",
        "cluster",
        "cluster_addrs",
        "tls",
        "tls_server",
        "insecure",
    )

    def over(self, base: ConnectionFlags) -> ConnectionFlags:
        """These flags where given, ``base`` elsewhere."""
        return ConnectionFlags(
            **{
                f.name: getattr(self, f.name)
                if getattr(self, f.name) is not None
                else getattr(base, f.name)
                for f in dataclasses.fields(self)
            }
        )

    def go_keys_given(self) -> list[str]:
        return [k for k in self.GO_KEYS if getattr(self, k) is not None]


CONNECTION_OPTIONS: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
    click.option("--redis-url", "-r", default=None, help="Redis URL (pyasynq's; env REDIS_URL)."),
    click.option(
        "--config",
        default=None,
        help="Config file with flag defaults (default $HOME/.asynq.yaml), Go's keys.",
    ),
    click.option(
        "--uri", "-u", default=None, help="Redis server host:port (default 127.0.0.1:6379)."
    ),
    click.option("--db", "-n", type=click.IntRange(0), default=None, help="Redis database number."),
    click.option("--password", "-p", default=None, help="Redis password."),
    click.option("--username", "-U", default=None, help="Redis ACL username."),
    click.option(
        "--cluster",
        is_flag=True,
        default=None,
        help="Connect to a Redis Cluster (--cluster_addrs).",
    ),
    click.option("--cluster_addrs", default=None, help="Comma-separated cluster node addresses."),
    click.option("--tls", is_flag=True, default=None, help="Use TLS (rediss://)."),
    click.option("--tls_server", default=None, help="Server name for TLS validation."),
    click.option(
        "--insecure", is_flag=True, default=None, help="Skip TLS certificate verification."
    ),
]


def connection_options(func: F) -> F:
    """Go's persistent flags on a command: after the subcommand, as cobra accepts them.

    The wrapped function receives ``redis_url`` (the resolved URL), nothing else of these.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        given = ConnectionFlags(
            **{f.name: kwargs.pop(f.name) for f in dataclasses.fields(ConnectionFlags)}
        )
        kwargs["redis_url"] = resolve(click.get_current_context(), given)
        return func(*args, **kwargs)

    for option in reversed(CONNECTION_OPTIONS):
        wrapper = option(wrapper)
    return cast(F, wrapper)


def root_flags(ctx: click.Context) -> ConnectionFlags:
    """The flags given before the subcommand (kept by the root group in ``ctx.obj``)."""
    obj = ctx.find_root().obj
    flags = obj.get("connection") if isinstance(obj, dict) else None
    return flags if isinstance(flags, ConnectionFlags) else ConnectionFlags()


def resolve(ctx: click.Context, given: ConnectionFlags) -> str:
    """The Redis URL for this command line (see the module docstring for the precedence)."""
    flags = given.over(root_flags(ctx))
    if flags.redis_url and flags.go_keys_given():
        raise click.UsageError(
            "give either --redis-url or Go's connection flags "
            f"({', '.join('--' + k for k in flags.go_keys_given())}), not both"
        )
    if flags.redis_url:
        return checked_url(flags.redis_url)
    if not flags.go_keys_given() and not flags.config:
        env = os.environ.get("REDIS_URL")
        if env:
            return checked_url(env)
    config = load_config(flags.config)
    return checked_url(go_url(flags.over(ConnectionFlags(**config))))


def go_url(flags: ConnectionFlags) -> str:
    """Go's connection settings as one of our URLs (Go's defaults where a key is unset).

    ``--tls_server NAME`` turns TLS on by itself, as Go's ``getTLSConfig`` does; ``--insecure``
    only matters with TLS. TLS settings travel as the URL query parameters ``ssl_server_name``
    and ``ssl_cert_reqs=none``.
    """
    auth = ""
    if flags.username or flags.password:
        auth = quote(flags.username or "", safe="")
        if flags.password:
            auth += ":" + quote(flags.password, safe="")
        auth += "@"
    use_tls = bool(flags.tls) or bool(flags.tls_server)
    query: dict[str, str] = {}
    if use_tls and flags.tls_server:
        query["ssl_server_name"] = flags.tls_server
    if use_tls and flags.insecure:
        query["ssl_cert_reqs"] = "none"
    if flags.cluster:
        addrs = ",".join(
            a.strip() for a in (flags.cluster_addrs or DEFAULT_CLUSTER_ADDRS).split(",")
        )
        if use_tls:
            query = {"ssl": "true", **query}
        return f"redis-cluster://{auth}{addrs}" + (f"?{urlencode(query)}" if query else "")
    uri = (flags.uri or DEFAULT_URI).strip()
    if "://" in uri:  # pyasynq accepts a whole URL in --uri / uri:
        return uri
    scheme = "rediss" if use_tls else "redis"
    return f"{scheme}://{auth}{uri}/{flags.db or 0}" + (f"?{urlencode(query)}" if query else "")


def checked_url(url: str) -> str:
    """The URL when we can read it; otherwise a usage error listing the accepted forms."""
    from pyasynq.broker.connection import parse_url

    try:
        parse_url(url)
    except ValueError as exc:
        raise click.UsageError(f"bad Redis URL {_masked(url)!r}: {exc}\n{URL_FORMS}") from None
    return url


def _masked(url: str) -> str:
    """The URL without its password, for error messages."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{host}"


# -- config file (viper's ~/.asynq.yaml) -------------------------------------------------------------

_TYPES: dict[str, type] = {
    "uri": str,
    "db": int,
    "password": str,
    "username": str,
    "cluster": bool,
    "cluster_addrs": str,
    "tls": bool,
    "tls_server": str,
    "insecure": bool,
}


def default_config_path() -> Path | None:
    """``$HOME/.asynq.{json,toml,yaml,yml}``, the first that exists (viper's order)."""
    home = Path(os.path.expanduser("~"))
    for ext in CONFIG_EXTENSIONS:
        path = home / f".asynq.{ext}"
        if path.is_file():
            return path
    return None


def load_config(explicit: str | None) -> dict[str, Any]:
    """Go's keys from ``--config FILE`` or ``~/.asynq.yaml``; unknown keys are ignored, as viper
    does. A missing ``--config`` file or a bad value is a usage error (viper ignores both)."""
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise click.UsageError(f"config file {explicit!r} not found")
    else:
        found = default_config_path()
        if found is None:
            return {}
        path = found
    data = _read(path)
    click.echo(f"Using config file: {path}", err=True)
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = str(key).lower()
        if name not in _TYPES or value is None:
            continue
        out[name] = _coerce(path, name, value)
    return out


def _read(path: Path) -> dict[str, Any]:
    text = path.read_text("utf-8")
    try:
        if path.suffix == ".toml":
            data: Any = tomllib.loads(text)
        elif path.suffix == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as exc:  # JSON, TOML and YAML errors alike: one clear line
        raise click.UsageError(f"cannot read config file {path}: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise click.UsageError(f"config file {path} must hold key: value pairs")
    return data


def _coerce(path: Path, name: str, value: Any) -> Any:
    want = _TYPES[name]
    if want is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "t", "true", "yes", "on"):
            return True
        if text in ("0", "f", "false", "no", "off", ""):
            return False
    elif want is int:
        try:
            if not isinstance(value, bool) and int(str(value)) >= 0:
                return int(str(value))
        except ValueError:
            pass
    elif name == "cluster_addrs" and isinstance(value, list):
        return ",".join(str(v) for v in value)
    elif isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    raise click.UsageError(f"config file {path}: bad value for {name}: {value!r}")
