"""Redis connection settings from a URL (spec §10) or a ready client.

Accepted URLs: ``redis://[user:password@]host[:port][/db]``, ``rediss://`` (TLS),
``unix:///path?db=N`` and Asynq's ``redis-socket:///path?db=N``,
``redis-sentinel://[:password@]h1[:p1],h2[:p2][/db]?master=name`` (the password is the sentinel's;
``?password=`` sets the data nodes'), and ``redis-cluster://h1:p1,h2:p2`` (our own form: Asynq has
no cluster URL).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.retry import Retry
from redis.sentinel import Sentinel

RedisLike = redis.Redis | RedisCluster

_SCHEMES = ("redis", "rediss", "unix", "redis-socket", "redis-sentinel", "redis-cluster")


@dataclass(frozen=True)
class ConnectionSettings:
    """Where Redis is and how to talk to it; ``describe()`` names it in error messages."""

    scheme: str
    hosts: tuple[tuple[str, int], ...] = ()
    path: str | None = None
    db: int = 0
    username: str | None = None
    password: str | None = None
    sentinel_password: str | None = None
    master_name: str | None = None
    tls: bool = False
    options: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        if self.path:
            return f"unix:{self.path}"
        hosts = ",".join(f"{h}:{p}" for h, p in self.hosts)
        if self.scheme == "redis-sentinel":
            return f"sentinel {hosts} master {self.master_name}"
        if self.scheme == "redis-cluster":
            return f"cluster {hosts}"
        return f"{self.scheme}://{hosts}/{self.db}"


# What a Broker (and so a Client, Inspector or Server) can be built from.
RedisTarget = str | ConnectionSettings | RedisLike


def _hosts(netloc_hosts: str, default_port: int) -> tuple[tuple[str, int], ...]:
    hosts = []
    for part in netloc_hosts.split(","):
        part = part.strip()
        if not part:
            continue
        if part.startswith("["):  # IPv6 literal
            host, _, rest = part[1:].partition("]")
            port = rest.lstrip(":")
        else:
            host, _, port = part.rpartition(":") if ":" in part else (part, "", "")
        try:
            hosts.append((host or "127.0.0.1", int(port) if port else default_port))
        except ValueError:
            raise ValueError(f"invalid port in redis address {part!r}") from None
    if not hosts:
        raise ValueError("redis URL names no host")
    return tuple(hosts)


def _db(path: str, query: dict[str, list[str]]) -> int:
    raw = query.get("db", [None])[0]
    if raw is None:
        segment = path.strip("/").split("/")[0] if path.strip("/") else ""
        if not segment:
            if path not in ("", "/"):
                raise ValueError(f"invalid database number in {path!r}")
            return 0
        raw = segment
    try:
        db = int(raw)
    except ValueError:
        raise ValueError(f"database must be a number, got {raw!r}") from None
    if db < 0:
        raise ValueError("database number cannot be negative")
    return db


def parse_url(url: str) -> ConnectionSettings:
    """Parse a Redis URL into settings; raise ``ValueError`` with the reason when it is wrong."""
    if not isinstance(url, str) or "://" not in url:
        raise ValueError(f"not a redis URL: {url!r}")
    scheme = url.split("://", 1)[0].lower()
    if scheme not in _SCHEMES:
        raise ValueError(f"unsupported redis URL scheme: {scheme!r}")
    # urlsplit cannot parse comma separated host lists: split the netloc by hand.
    rest = url.split("://", 1)[1]
    netloc, sep, tail = rest.partition("/")
    if "?" in netloc:
        netloc, _, q = netloc.partition("?")
        tail = "?" + q
        sep = ""
    parts = urlsplit("x://host/" + tail if sep else "x://host" + tail)
    query = parse_qs(parts.query)
    userinfo, at, hostpart = netloc.rpartition("@")
    username = password = None
    if at:
        user, colon, pw = userinfo.partition(":")
        username = unquote(user) or None
        password = unquote(pw) if colon else None
        if not colon and user:
            password, username = unquote(user), None  # redis://secret@host
    if scheme in ("unix", "redis-socket"):
        path = "/" + tail.split("?")[0] if sep else ""
        if not path or path == "/":
            raise ValueError("unix socket URL needs a path")
        return ConnectionSettings(
            scheme=scheme,
            path=unquote(path),
            db=_db("", query),
            username=username,
            password=password,
        )
    hosts = _hosts(hostpart, 26379 if scheme == "redis-sentinel" else 6379)
    if scheme == "redis-sentinel":
        master = query.get("master", [None])[0]
        if not master:
            raise ValueError("redis-sentinel URL needs ?master=<name>")
        return ConnectionSettings(
            scheme=scheme,
            hosts=hosts,
            db=_db(parts.path, {}),
            master_name=master,
            sentinel_password=password,
            password=query.get("password", [None])[0],
            username=username,
        )
    return ConnectionSettings(
        scheme=scheme,
        hosts=hosts,
        db=0 if scheme == "redis-cluster" else _db(parts.path, query),
        username=username,
        password=password,
        tls=scheme == "rediss",
    )


def connect(target: RedisTarget, **options: Any) -> RedisLike:
    """A redis-py client (bytes in, bytes out) for a URL, settings or an existing client."""
    if isinstance(target, redis.Redis | RedisCluster):
        return target
    settings = parse_url(target) if isinstance(target, str) else target
    common = {
        "socket_timeout": options.pop("socket_timeout", 5.0),
        "socket_connect_timeout": options.pop("socket_connect_timeout", 5.0),
        "health_check_interval": options.pop("health_check_interval", 15),
        # a few quick retries ride out a blip; a Redis that is down is reported within ~1 s
        "retry": options.pop("retry", Retry(ExponentialBackoff(cap=0.5, base=0.05), 3)),
        "decode_responses": False,
        **options,
    }
    if settings.scheme in ("unix", "redis-socket"):
        return redis.Redis(
            unix_socket_path=settings.path,
            db=settings.db,
            username=settings.username,
            password=settings.password,
            **common,
        )
    if settings.scheme == "redis-sentinel":
        sentinel = Sentinel(
            list(settings.hosts),
            sentinel_kwargs={"password": settings.sentinel_password}
            if settings.sentinel_password
            else None,
            **common,
        )
        return cast(
            redis.Redis,
            sentinel.master_for(
                settings.master_name,
                db=settings.db,
                username=settings.username,
                password=settings.password,
            ),
        )
    if settings.scheme == "redis-cluster":
        common.pop("health_check_interval", None)
        return RedisCluster(
            startup_nodes=[ClusterNode(h, p) for h, p in settings.hosts],
            username=settings.username,
            password=settings.password,
            **common,
        )
    host, port = settings.hosts[0]
    return redis.Redis(
        host=host,
        port=port,
        db=settings.db,
        username=settings.username,
        password=settings.password,
        ssl=settings.tls,
        **common,
    )


def describe(client: RedisLike) -> str:
    """A short name of the Redis a client talks to, for error messages."""
    if isinstance(client, RedisCluster):
        nodes = client.get_nodes()
        return "cluster " + ",".join(n.name for n in nodes[:3])
    kwargs = client.connection_pool.connection_kwargs
    if kwargs.get("path"):
        return f"unix:{kwargs['path']}"
    service = getattr(client.connection_pool, "service_name", None)
    if service is not None:
        return f"sentinel master {service}"
    return f"redis://{kwargs.get('host', '?')}:{kwargs.get('port', '?')}/{kwargs.get('db', 0)}"
