"""Redis connection settings from a URL (spec §10) or a ready client.

Accepted URLs: ``redis://[user:password@]host[:port][/db]``, ``rediss://`` (TLS),
``unix:///path?db=N`` and Asynq's ``redis-socket:///path?db=N``,
``redis-sentinel://[:password@]h1[:p1],h2[:p2][/db]?master=name`` (the password is the sentinel's;
``?password=`` sets the data nodes'), and ``redis-cluster://h1:p1,h2:p2`` (our own form: Asynq has
no cluster URL).

TLS (``TLSOptions``): ``rediss://`` turns it on for one server; Sentinel and Cluster URLs turn it on
with ``?ssl=true`` or any ``ssl_*`` parameter (then the sentinels, the master and every cluster node
are all reached over TLS). Parameters: ``ssl_ca_certs`` (PEM file of the CAs to trust; the
system's store when absent), ``ssl_certfile`` + ``ssl_keyfile`` (client certificate for mutual TLS),
``ssl_cert_reqs`` (``required``, the default, ``optional`` or ``none``: no verification at all) and
``ssl_server_name`` (the name the server's certificate must carry, sent as SNI; the host of the URL
by default), as Go's ``--tls_server``.

Connection options (any scheme): ``socket_timeout`` and ``socket_connect_timeout`` (seconds,
5 by default), ``health_check_interval`` (seconds between PINGs on an idle connection, 15 by
default, 0: never) and ``client_name`` (shown by ``CLIENT LIST``). Any other parameter is refused
with the list of accepted ones: a misspelt option must not be ignored in silence.
"""

from __future__ import annotations

import math
import os
import ssl
from dataclasses import dataclass, field
from typing import Any, TypedDict, cast
from urllib.parse import parse_qs, unquote, urlsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.exceptions import RedisClusterException
from redis.retry import Retry
from redis.sentinel import Sentinel, SentinelManagedSSLConnection

from pyasynq.errors import RedisUnavailableError

RedisLike = redis.Redis | RedisCluster

_SCHEMES = ("redis", "rediss", "unix", "redis-socket", "redis-sentinel", "redis-cluster")

TLS_PARAMS = ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile", "ssl_cert_reqs", "ssl_server_name")
"""The URL query parameters that configure TLS (exactly these names; see the module docstring)."""
CERT_REQS = ("required", "optional", "none")
URL_OPTIONS = ("socket_timeout", "socket_connect_timeout", "health_check_interval", "client_name")
"""Connection options a URL may carry as query parameters (any scheme)."""
_OTHER_PARAMS = ("db", "master", "password", "ssl")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class TLSOptions:
    """How to talk TLS to Redis: whom to trust, who we are, and which name to verify."""

    ca_certs: str | None = None
    certfile: str | None = None
    keyfile: str | None = None
    cert_reqs: str = "required"
    server_name: str | None = None

    def __post_init__(self) -> None:
        if self.cert_reqs not in CERT_REQS:
            raise ValueError(
                f"ssl_cert_reqs must be one of {', '.join(CERT_REQS)}, got {self.cert_reqs!r}"
            )
        if self.keyfile and not self.certfile:
            raise ValueError("ssl_keyfile needs ssl_certfile (the client certificate)")
        for name, path in (
            ("ssl_ca_certs", self.ca_certs),
            ("ssl_certfile", self.certfile),
            ("ssl_keyfile", self.keyfile),
        ):
            if path and not os.path.isfile(path):
                raise ValueError(f"{name}: no such file: {path}")

    def redis_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of redis-py's TLS connections (plus our ``ssl_server_name``)."""
        return {
            "ssl_ca_certs": self.ca_certs,
            "ssl_certfile": self.certfile,
            "ssl_keyfile": self.keyfile,
            "ssl_cert_reqs": self.cert_reqs,
            "ssl_check_hostname": self.cert_reqs != "none",
            "ssl_server_name": self.server_name,
        }

    def query(self) -> dict[str, str]:
        """The non-default settings as URL query parameters (see ``with_tls``)."""
        pairs = {
            "ssl_ca_certs": self.ca_certs,
            "ssl_certfile": self.certfile,
            "ssl_keyfile": self.keyfile,
            "ssl_cert_reqs": None if self.cert_reqs == "required" else self.cert_reqs,
            "ssl_server_name": self.server_name,
        }
        return {k: v for k, v in pairs.items() if v}


def _tls_from_query(scheme: str, query: dict[str, list[str]]) -> TLSOptions | None:
    """TLS settings of a URL, or ``None`` for a plain connection; wrong values raise."""
    unknown = sorted(k for k in query if k.startswith("ssl_") and k not in TLS_PARAMS)
    if unknown:
        raise ValueError(f"unknown TLS parameter {unknown[0]!r}: use {', '.join(TLS_PARAMS)}")
    given = {k: query[k][-1] for k in TLS_PARAMS if k in query}
    switch = query.get("ssl", [None])[-1]
    if switch is not None and switch.lower() not in _TRUE + _FALSE:
        raise ValueError(f"ssl must be true or false, got {switch!r}")
    if scheme == "rediss":
        wanted = True
    elif scheme in ("redis-sentinel", "redis-cluster"):
        wanted = bool(given) or (switch or "").lower() in _TRUE
    else:
        if given or (switch or "").lower() in _TRUE:
            raise ValueError(
                f"TLS parameters need a rediss:// URL (got {scheme}://); "
                "Sentinel and Cluster URLs take them too"
            )
        return None
    if not wanted:
        if given:
            raise ValueError("ssl=false contradicts the ssl_* parameters of this URL")
        return None
    options = TLSOptions(
        ca_certs=given.get("ssl_ca_certs") or None,
        certfile=given.get("ssl_certfile") or None,
        keyfile=given.get("ssl_keyfile") or None,
        cert_reqs=(given.get("ssl_cert_reqs") or "required").lower(),
        server_name=given.get("ssl_server_name") or None,
    )
    return options


def with_tls(url: str, options: TLSOptions) -> str:
    """``url`` with TLS turned on and ``options`` added as query parameters.

    ``redis://`` becomes ``rediss://``; Sentinel and Cluster URLs get ``ssl=true``. Used to
    turn flags such as Asynqmon's ``--redis-tls`` or Go's ``--tls`` into one URL.
    """
    from urllib.parse import urlencode

    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"not a redis URL: {url!r}")
    scheme = scheme.lower()
    params = options.query()
    if scheme == "redis":
        scheme = "rediss"
    elif scheme in ("redis-sentinel", "redis-cluster"):
        params = {"ssl": "true", **params}
    elif scheme != "rediss":
        raise ValueError(f"TLS is not available for {scheme}:// URLs")
    if not params:
        return f"{scheme}://{rest}"
    joiner = "&" if "?" in rest else "?"
    return f"{scheme}://{rest}{joiner}{urlencode(params)}"


class TLSHandshakeError(redis.RedisError):
    """The TLS handshake with Redis failed (untrusted certificate, wrong name, no client
    certificate). Not a ``ConnectionError``, so redis-py does not retry it: a wrong CA fails at
    once with this sentence instead of after a round of reconnects."""


class _ServerNameTLS(redis.SSLConnection):
    """Mixin for redis-py's TLS connections: verify ``ssl_server_name`` (sent as SNI) instead of
    the address connected to, and explain a failed handshake in one clear sentence.

    It derives from ``SSLConnection`` so that ``super()`` and the connection's attributes
    (``host``, ``port``, ``ca_certs``) have their types; every class that mixes it in is an
    ``SSLConnection`` already, so their method resolution order is the same as for a bare mixin.
    """

    default_server_name: str | None = None
    """Set on a subclass where the keyword cannot travel (redis-py's cluster node clients)."""

    def __init__(self, *args: Any, ssl_server_name: str | None = None, **kwargs: Any) -> None:
        self.ssl_server_name = ssl_server_name or self.default_server_name
        super().__init__(*args, **kwargs)

    def _wrap_socket_with_ssl(self, sock: Any) -> Any:
        address = f"{self.host}:{self.port}"
        name = self.ssl_server_name or self.host
        host = self.host
        self.host = name
        try:
            # redis-py leaves this method unannotated, and untyped_calls_exclude does not reach
            # a call made through super()
            return super()._wrap_socket_with_ssl(sock)  # type: ignore[no-untyped-call]
        except ssl.SSLCertVerificationError as exc:
            reason = exc.verify_message or exc.reason or str(exc)
            trusted = (
                f"a CA in ssl_ca_certs={self.ca_certs}"
                if self.ca_certs
                else "a CA this system trusts (or set ssl_ca_certs)"
            )
            raise TLSHandshakeError(
                f"TLS: the certificate of Redis at {address} was refused ({reason}); "
                f"it must be signed by {trusted} and name {name!r} (ssl_server_name)"
            ) from exc
        except ssl.SSLError as exc:
            raise TLSHandshakeError(
                f"TLS handshake with Redis at {address} failed: {exc.reason or exc}"
            ) from exc
        except TimeoutError as exc:
            # a plain (non-TLS) Redis reads the TLS hello as the start of a command and never
            # answers: say so once, instead of retrying the same silence a few times
            raise TLSHandshakeError(
                f"TLS handshake with Redis at {address} timed out after "
                f"{self.socket_timeout or 0:g} s: nothing answered the TLS hello; this port "
                "most likely serves plain Redis (use redis:// or drop --tls)"
            ) from exc
        finally:
            self.host = host

    def connect_check_health(self, *args: Any, **kwargs: Any) -> Any:
        """TLS 1.3 reports a refused client certificate on the first read, after the handshake:
        name that case too, instead of retrying it as a network error."""
        try:
            return super().connect_check_health(*args, **kwargs)
        except redis.ConnectionError as exc:
            text = str(exc).lower()
            if "certificate required" in text or "certificate_required" in text:
                raise TLSHandshakeError(
                    f"TLS: Redis at {self.host}:{self.port} requires a client "
                    "certificate: set ssl_certfile and ssl_keyfile (mutual TLS)"
                ) from exc
            no_client_cert = not getattr(self, "certfile", None)
            if no_client_cert and ("eof occurred in violation" in text or "unexpected eof" in text):
                # the same refusal when the server's alert loses the race with our first write
                raise TLSHandshakeError(
                    f"TLS: Redis at {self.host}:{self.port} closed the connection right after "
                    "the handshake; it most likely requires a client certificate: set "
                    "ssl_certfile and ssl_keyfile (mutual TLS)"
                ) from exc
            if "unknown ca" in text or "bad certificate" in text:
                raise TLSHandshakeError(
                    f"TLS: Redis at {self.host}:{self.port} refused our client "
                    "certificate (ssl_certfile): it is not signed by a CA the server trusts"
                ) from exc
            raise


class TLSConnection(_ServerNameTLS, redis.SSLConnection):
    """A TLS connection to one Redis (or one sentinel)."""


class SentinelTLSConnection(_ServerNameTLS, SentinelManagedSSLConnection):
    """A TLS connection to the master a sentinel names."""


def _tls_client(host: str, port: int, tls: TLSOptions, **kwargs: Any) -> redis.Redis:
    pool = redis.ConnectionPool(
        connection_class=TLSConnection, host=host, port=port, **tls.redis_kwargs(), **kwargs
    )
    return redis.Redis.from_pool(pool)


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
    tls_options: TLSOptions | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        if self.path:
            return f"unix:{self.path}"
        hosts = ",".join(f"{h}:{p}" for h, p in self.hosts)
        tls = " (TLS)" if self.tls else ""
        if self.scheme == "redis-sentinel":
            return f"sentinel {hosts} master {self.master_name}{tls}"
        if self.scheme == "redis-cluster":
            return f"cluster {hosts}{tls}"
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


def _url_options(query: dict[str, list[str]]) -> dict[str, Any]:
    """The connection options of a URL's query; unknown parameters and bad values raise."""
    accepted = (*_OTHER_PARAMS, *URL_OPTIONS)
    unknown = sorted(k for k in query if k not in accepted and not k.startswith("ssl_"))
    if unknown:
        raise ValueError(
            f"unknown URL parameter {unknown[0]!r}: accepted are {', '.join(accepted)} "
            "and the ssl_* ones"
        )
    options: dict[str, Any] = {}
    for name in URL_OPTIONS:
        if name not in query:
            continue
        raw = query[name][-1]
        if name == "client_name":
            if not raw or any(c.isspace() for c in raw):
                raise ValueError(f"client_name must be one word, got {raw!r}")
            options[name] = raw
            continue
        try:
            seconds = float(raw)
        except ValueError:
            raise ValueError(f"{name} must be a number of seconds, got {raw!r}") from None
        zero_ok = name == "health_check_interval"
        if not math.isfinite(seconds) or seconds < 0 or (seconds == 0 and not zero_ok):
            bound = "0 or more" if zero_ok else "more than 0"
            raise ValueError(f"{name} must be {bound} seconds, got {raw!r}")
        options[name] = seconds
    return options


def parse_url(url: str) -> ConnectionSettings:
    """Parse a Redis URL into settings; raise ``ValueError`` with the reason when it is wrong."""
    if not isinstance(url, str) or "://" not in url:
        raise ValueError(f"not a redis URL: {url!r}")
    scheme = url.split("://", 1)[0].lower()
    if scheme not in _SCHEMES:
        raise ValueError(f"unsupported redis URL scheme: {scheme!r}")
    # urlsplit cannot parse comma separated host lists: split the netloc by hand.
    rest = url.split("://", 1)[1]
    # the query may hold paths (ssl_ca_certs=/etc/...): cut it off before looking for '/'
    head, _, query_text = rest.partition("?")
    netloc, sep, tail = head.partition("/")
    parts = urlsplit("x://host/" + tail + ("?" + query_text if query_text else ""))
    query = parse_qs(parts.query)
    options = _url_options(query)
    userinfo, at, hostpart = netloc.rpartition("@")
    username = password = None
    if at:
        user, colon, pw = userinfo.partition(":")
        username = unquote(user) or None
        password = unquote(pw) if colon else None
        if not colon and user:
            password, username = unquote(user), None  # redis://secret@host
    if scheme in ("unix", "redis-socket"):
        path = "/" + tail if sep else ""
        if not path or path == "/":
            raise ValueError("unix socket URL needs a path")
        return ConnectionSettings(
            scheme=scheme,
            path=unquote(path),
            db=_db("", query),
            username=username,
            password=password,
            options=options,
        )
    hosts = _hosts(hostpart, 26379 if scheme == "redis-sentinel" else 6379)
    tls = _tls_from_query(scheme, query)
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
            tls=tls is not None,
            tls_options=tls,
            options=options,
        )
    return ConnectionSettings(
        scheme=scheme,
        hosts=hosts,
        db=0 if scheme == "redis-cluster" else _db(parts.path, query),
        username=username,
        password=password,
        tls=tls is not None,
        tls_options=tls,
        options=options,
    )


class _Auth(TypedDict):
    """Which database of one Redis, and as whom: keyword arguments of ``redis.Redis``."""

    db: int
    username: str | None
    password: str | None


def connect(target: RedisTarget, **options: Any) -> RedisLike:
    """A redis-py client (bytes in, bytes out) for a URL, settings or an existing client."""
    if isinstance(target, redis.Redis | RedisCluster):
        return target
    settings = parse_url(target) if isinstance(target, str) else target
    options = {**settings.options, **options}  # a keyword given in code wins over the URL
    common = {
        "socket_timeout": options.pop("socket_timeout", 5.0),
        "socket_connect_timeout": options.pop("socket_connect_timeout", 5.0),
        "health_check_interval": options.pop("health_check_interval", 15),
        # a few quick retries ride out a blip; a Redis that is down is reported within ~1 s
        "retry": options.pop("retry", Retry(ExponentialBackoff(cap=0.5, base=0.05), 3)),
        "decode_responses": False,
        **options,
    }
    tls = settings.tls_options or (TLSOptions() if settings.tls else None)
    if settings.scheme in ("unix", "redis-socket"):
        return redis.Redis(
            unix_socket_path=settings.path,
            db=settings.db,
            username=settings.username,
            password=settings.password,
            **common,
        )
    if settings.scheme == "redis-sentinel":
        return _sentinel_master(settings, tls, common)
    if settings.scheme == "redis-cluster":
        common.pop("health_check_interval", None)
        return _cluster(settings, tls, common)
    host, port = settings.hosts[0]
    auth: _Auth = {"db": settings.db, "username": settings.username, "password": settings.password}
    if tls is not None:
        return _tls_client(host, port, tls, **auth, **common)
    return redis.Redis(host=host, port=port, **auth, **common)


def _cluster(
    settings: ConnectionSettings, tls: TLSOptions | None, common: dict[str, Any]
) -> RedisCluster:
    """A cluster client; with TLS every node's connections are ``TLSConnection``s.

    redis-py builds node clients from a connection class only for a cluster given by URL, and
    passes on only the keyword arguments it knows: so the first seed travels as a plain
    ``redis://`` URL (TLS comes from the class, not the scheme) and the server name is bound into
    a subclass."""
    nodes = [ClusterNode(h, p) for h, p in settings.hosts]
    extra: dict[str, Any] = {}
    if tls is not None:
        options = tls.redis_kwargs()
        name = options.pop("ssl_server_name")
        connection_class = type(
            "ClusterTLSConnection", (TLSConnection,), {"default_server_name": name}
        )
        host, port = settings.hosts[0]
        extra = {
            "url": f"redis://[{host}]:{port}" if ":" in host else f"redis://{host}:{port}",
            "connection_class": connection_class,
            **options,
        }
        nodes = nodes[1:]
    try:
        return RedisCluster(
            startup_nodes=nodes,
            username=settings.username,
            password=settings.password,
            **extra,
            **common,
        )
    except (redis.RedisError, RedisClusterException) as exc:  # it reads the layout at once
        raise RedisUnavailableError(f"cannot reach Redis at {settings.describe()}: {exc}") from exc


def _sentinel_master(
    settings: ConnectionSettings, tls: TLSOptions | None, common: dict[str, Any]
) -> redis.Redis:
    """The master a set of sentinels names; with TLS, sentinels and master alike use it."""
    sentinel_kwargs = {k: v for k, v in common.items() if k.startswith("socket_")}
    if settings.sentinel_password:
        sentinel_kwargs["password"] = settings.sentinel_password
    master_kwargs = dict(common)
    if tls is not None:
        master_kwargs.update(connection_class=SentinelTLSConnection, **tls.redis_kwargs())
    sentinel = Sentinel(list(settings.hosts), sentinel_kwargs=sentinel_kwargs, **master_kwargs)
    if tls is not None:  # redis-py builds plain sentinel clients: replace them with TLS ones
        sentinel.sentinels = [_tls_client(h, p, tls, **sentinel_kwargs) for h, p in settings.hosts]
    master = sentinel.master_for(
        settings.master_name,
        db=settings.db,
        username=settings.username,
        password=settings.password,
    )
    # redis-py leaves master_for unannotated: it returns its redis_class, redis.Redis by default
    return cast(redis.Redis, master)


def describe(client: RedisLike) -> str:
    """A short name of the Redis a client talks to, for error messages."""
    if isinstance(client, RedisCluster):
        nodes = client.get_nodes()
        return "cluster " + ",".join(n.name for n in nodes[:3])
    kwargs = client.connection_pool.connection_kwargs
    if kwargs.get("path"):
        return f"unix:{kwargs['path']}"
    tls = issubclass(client.connection_pool.connection_class, redis.SSLConnection)
    service = getattr(client.connection_pool, "service_name", None)
    if service is not None:
        return f"sentinel master {service}" + (" (TLS)" if tls else "")
    scheme = "rediss" if tls else "redis"
    return f"{scheme}://{kwargs.get('host', '?')}:{kwargs.get('port', '?')}/{kwargs.get('db', 0)}"
