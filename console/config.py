"""ConsoleConfig: every setting of the web console in one frozen, validated object.

Settings are checked once, when the object is built, so a typo in an environment variable
stops the process at startup with a sentence instead of surfacing as a 500 later.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from pyasynq.console.auth import MODES, Authenticate, UserRecord, coerce_users, parse_users

Formatter = Callable[[str, bytes], str]
"""``(task_type, data) -> text``: turns a payload or result into what the console shows."""

PAGE_SIZES: tuple[int, ...] = (10, 20, 30, 60, 100)

_TRUE = {"1", "true", "yes", "on", "t"}
_FALSE = {"0", "false", "no", "off", "f", ""}

ASYNQMON_ALIASES: dict[str, str] = {
    "CONSOLE_READ_ONLY": "READ_ONLY",
    "CONSOLE_MAX_PAYLOAD_LENGTH": "MAX_PAYLOAD_LENGTH",
    "CONSOLE_MAX_RESULT_LENGTH": "MAX_RESULT_LENGTH",
    "CONSOLE_METRICS_EXPORTER": "ENABLE_METRICS_EXPORTER",
    "CONSOLE_PROMETHEUS_ADDR": "PROMETHEUS_ADDR",
}
"""Our variable -> Asynqmon's name for the same setting. Ours wins when both are set."""

REDIS_LOCATION_VARS = ("REDIS_URL", "REDIS_ADDR", "REDIS_CLUSTER_NODES")
REDIS_VARS = (
    *REDIS_LOCATION_VARS,
    "REDIS_DB",
    "REDIS_PASSWORD",
    "REDIS_TLS",
    "REDIS_INSECURE_TLS",
    "REDIS_CA_CERT",
    "REDIS_CLIENT_CERT",
    "REDIS_CLIENT_KEY",
)
"""Asynqmon's Redis variables (``REDIS_URL`` is ours too); see ``redis_url_from_env``."""


def _normalise_root(root: str) -> str:
    root = root.strip()
    if root in ("", "/"):
        return ""
    if not root.startswith("/"):
        raise ValueError(f"root_path must start with '/', got {root!r}")
    return root.rstrip("/")


@dataclass(frozen=True)
class ConsoleConfig:
    """Settings of one console app.

    ``root_path``: the URL prefix the console answers under when it is served on its own
    (default ``/monitoring``; ``""`` for the site root). When a host app mounts the console
    with a WSGI dispatcher, the dispatcher's prefix (``SCRIPT_NAME``) is used instead, so the
    same app works at any prefix.
    ``poll_interval``: seconds between live refreshes; 0 turns live refresh off.
    ``secret_key``: signs the session cookie that carries the CSRF token and flash messages.
    When unset, every console process on the same Redis shares one generated key kept there
    (``Inspector.console_secret_key``), so forms work across gunicorn workers and restarts;
    set ``CONSOLE_SECRET_KEY`` to keep the key out of Redis.
    ``payload_formatter`` / ``result_formatter``: replace the default view of bytes.
    ``max_payload_length`` / ``max_result_length``: characters of a payload / result shown in a
    table cell (Asynqmon's ``MAX_PAYLOAD_LENGTH`` / ``MAX_RESULT_LENGTH``).
    ``metrics_exporter``: serve ``<root>/metrics`` (Prometheus text); on unless turned off with
    ``CONSOLE_METRICS_EXPORTER`` / Asynqmon's ``ENABLE_METRICS_EXPORTER``.
    ``prometheus_addr``: ``http(s)://host:port`` of a Prometheus that scrapes those metrics; the
    console then charts them on its Prometheus metrics page and proxies ``<root>/api/metrics``.
    ``auth``: ``none`` (default), ``basic`` (HTTP Basic) or ``form`` (login page); ``users``:
    ``UserRecord`` (name, role ``viewer``/``operator``, werkzeug password hash) or
    ``"name:role:hash,..."``. ``authenticate``: a ``(request) -> pyasynq.console.auth.User | None`` hook
    for a host app's own sign-in. ``trust_proxy``: honour ``X-Forwarded-Proto/Host/For`` from
    one reverse proxy (HTTPS detection for Secure cookies); only behind a proxy you run.
    ``scan_limit``: tasks a filtered list, bulk step or export chunk reads per request at most
    (then it offers to continue), so a queue of millions never blocks Redis or a page.
    ``bulk_batch_size``: tasks acted on per bulk step. ``export_limit``: rows per export.
    ``api_token``: when set, API clients may write with ``Authorization: Bearer <token>``.
    ``alerts_file``: a rules file (YAML/JSON) checked by an AlertManager inside the console.
    Lists read at most four bytes per character of each payload and result from Redis, never
    the whole value.
    ``inline_payload_limit``: bytes of a payload or result shown on a task page or returned by
    the task API; the full bytes are a download (``.../payload``, ``.../result``).
    ``session_idle_timeout``: seconds without a request after which a form sign-in ends
    (0: never); ``session_lifetime``: seconds after sign-in when it ends regardless.
    ``record_throughput``: sample each queue's processed/failed totals once a minute from the
    console process too (``CONSOLE_RECORD_THROUGHPUT``), so the throughput charts fill even when
    only Go workers run; several recorders never write the same minute twice.
    """

    redis_url: str = "redis://127.0.0.1:6379/0"
    root_path: str = "/monitoring"
    read_only: bool = False
    poll_interval: float = 8.0
    page_size: int = 20
    page_sizes: tuple[int, ...] = PAGE_SIZES
    payload_formatter: Formatter | None = None
    result_formatter: Formatter | None = None
    secret_key: str | None = field(default=None, repr=False)
    max_payload_length: int = 200
    max_result_length: int = 200
    title: str = "pyasynq"
    auth: str = "none"
    users: tuple[UserRecord, ...] = field(default=(), repr=False)
    authenticate: Authenticate | None = None
    trust_proxy: bool = False
    scan_limit: int = 5000
    bulk_batch_size: int = 500
    export_limit: int = 100_000
    api_token: str | None = field(default=None, repr=False)
    alerts_file: str | None = None
    record_throughput: bool = True
    inline_payload_limit: int = 64 * 1024
    session_idle_timeout: float = 3600.0
    session_lifetime: float = 12 * 3600.0
    metrics_exporter: bool = True
    prometheus_addr: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "root_path", _normalise_root(self.root_path))
        if not self.redis_url:
            raise ValueError("redis_url must not be empty")
        from pyasynq.broker.connection import parse_url

        parse_url(self.redis_url)  # a wrong URL or TLS file stops the start with its reason
        if self.prometheus_addr is not None:
            object.__setattr__(self, "prometheus_addr", _prometheus_addr(self.prometheus_addr))
        if self.poll_interval < 0:
            raise ValueError(f"poll_interval must be >= 0 seconds, got {self.poll_interval}")
        sizes = tuple(self.page_sizes)
        if not sizes or any(s < 1 for s in sizes):
            raise ValueError(f"page_sizes must be positive, got {sizes}")
        object.__setattr__(self, "page_sizes", sizes)
        if self.page_size not in sizes:
            raise ValueError(f"page_size {self.page_size} is not one of page_sizes {sizes}")
        for name in ("max_payload_length", "max_result_length"):
            if not 1 <= getattr(self, name) <= 100_000:
                raise ValueError(f"{name} must be from 1 to 100000 characters")
        if not 256 <= self.inline_payload_limit <= 1024 * 1024:
            raise ValueError("inline_payload_limit must be from 256 bytes to 1 MiB")
        if self.session_idle_timeout < 0:
            raise ValueError("session_idle_timeout must be >= 0 seconds (0: no idle limit)")
        if self.session_lifetime < 60:
            raise ValueError("session_lifetime must be at least 60 seconds")
        for name in ("scan_limit", "bulk_batch_size", "export_limit"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name in ("payload_formatter", "result_formatter"):
            value = getattr(self, name)
            if value is not None and not callable(value):
                raise ValueError(f"{name} must be callable (task_type, data) -> str")
        if self.auth not in MODES:
            raise ValueError(f"auth must be one of {', '.join(MODES)}, got {self.auth!r}")
        users = (
            parse_users(self.users)
            if isinstance(self.users, str)  # type: ignore[unreachable]  # a string is accepted too
            else coerce_users(self.users)
        )
        object.__setattr__(self, "users", users)
        if self.auth != "none" and not users:
            raise ValueError(f"auth={self.auth!r} needs at least one user (CONSOLE_USERS)")
        if self.authenticate is not None and not callable(self.authenticate):
            raise ValueError("authenticate must be callable (request) -> User | None")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ConsoleConfig:
        """Build a config from environment variables (a dict in tests).

        ``REDIS_URL``, ``CONSOLE_ROOT_PATH``, ``CONSOLE_READ_ONLY``, ``CONSOLE_POLL_INTERVAL``,
        ``CONSOLE_PAGE_SIZE``, ``CONSOLE_MAX_PAYLOAD_LENGTH``, ``CONSOLE_SECRET_KEY`` (falls back
        to ``SECRET_KEY``), ``CONSOLE_PAYLOAD_FORMATTER`` / ``CONSOLE_RESULT_FORMATTER``
        (``package.module:function``), ``CONSOLE_TITLE``, ``CONSOLE_AUTH`` (none/basic/form),
        ``CONSOLE_USERS`` (``name:role:hash,...``), ``CONSOLE_TRUST_PROXY``,
        ``CONSOLE_AUTHENTICATE`` (``package.module:function``), ``CONSOLE_SCAN_LIMIT``,
        ``CONSOLE_BULK_BATCH_SIZE``, ``CONSOLE_EXPORT_LIMIT``, ``CONSOLE_API_TOKEN``,
        ``CONSOLE_ALERTS_FILE``, ``CONSOLE_MAX_RESULT_LENGTH``, ``CONSOLE_INLINE_PAYLOAD_LIMIT``,
        ``CONSOLE_SESSION_IDLE_TIMEOUT``, ``CONSOLE_SESSION_LIFETIME``,
        ``CONSOLE_METRICS_EXPORTER``, ``CONSOLE_PROMETHEUS_ADDR``.

        Asynqmon's names are read too (``ASYNQMON_ALIASES``: ``READ_ONLY``, ``MAX_PAYLOAD_LENGTH``,
        ``MAX_RESULT_LENGTH``, ``ENABLE_METRICS_EXPORTER``, ``PROMETHEUS_ADDR``; the Redis ones
        in ``redis_url_from_env``); when both are set, the ``CONSOLE_*`` name wins. A variable
        that is not set leaves the default; one that is set is never overridden by a default.
        """
        given = os.environ if environ is None else environ
        try:
            return cls._from_env(_with_aliases(given))
        except ValueError as exc:
            message = _name_the_variable_set(str(exc), given)
            if not message.startswith("invalid console configuration"):
                message = f"invalid console configuration: {message}"
            raise ValueError(message) from exc

    @classmethod
    def _from_env(cls, env: Mapping[str, str]) -> ConsoleConfig:
        kwargs: dict[str, object] = {}
        redis_url = redis_url_from_env(env)
        if redis_url:
            kwargs["redis_url"] = redis_url
        if "CONSOLE_ROOT_PATH" in env:
            kwargs["root_path"] = env["CONSOLE_ROOT_PATH"]
        if "CONSOLE_READ_ONLY" in env:
            kwargs["read_only"] = _bool("CONSOLE_READ_ONLY", env["CONSOLE_READ_ONLY"])
        if env.get("CONSOLE_POLL_INTERVAL"):
            kwargs["poll_interval"] = _number(
                "CONSOLE_POLL_INTERVAL", env["CONSOLE_POLL_INTERVAL"], float
            )
        if env.get("CONSOLE_PAGE_SIZE"):
            kwargs["page_size"] = _number("CONSOLE_PAGE_SIZE", env["CONSOLE_PAGE_SIZE"], int)
        for var, name in (
            ("CONSOLE_MAX_PAYLOAD_LENGTH", "max_payload_length"),
            ("CONSOLE_MAX_RESULT_LENGTH", "max_result_length"),
        ):
            if env.get(var):
                kwargs[name] = _number(var, env[var], int)
        if "CONSOLE_METRICS_EXPORTER" in env:
            kwargs["metrics_exporter"] = _bool(
                "CONSOLE_METRICS_EXPORTER", env["CONSOLE_METRICS_EXPORTER"]
            )
        if env.get("CONSOLE_PROMETHEUS_ADDR"):
            kwargs["prometheus_addr"] = env["CONSOLE_PROMETHEUS_ADDR"]
        secret = env.get("CONSOLE_SECRET_KEY") or env.get("SECRET_KEY")
        if secret:
            kwargs["secret_key"] = secret
        if env.get("CONSOLE_TITLE"):
            kwargs["title"] = env["CONSOLE_TITLE"]
        for var, name in (
            ("CONSOLE_SCAN_LIMIT", "scan_limit"),
            ("CONSOLE_BULK_BATCH_SIZE", "bulk_batch_size"),
            ("CONSOLE_EXPORT_LIMIT", "export_limit"),
            ("CONSOLE_INLINE_PAYLOAD_LIMIT", "inline_payload_limit"),
        ):
            if env.get(var):
                kwargs[name] = _number(var, env[var], int)
        for var, name in (
            ("CONSOLE_SESSION_IDLE_TIMEOUT", "session_idle_timeout"),
            ("CONSOLE_SESSION_LIFETIME", "session_lifetime"),
        ):
            if env.get(var):
                kwargs[name] = _number(var, env[var], float)
        if env.get("CONSOLE_API_TOKEN"):
            kwargs["api_token"] = env["CONSOLE_API_TOKEN"]
        if env.get("CONSOLE_ALERTS_FILE"):
            kwargs["alerts_file"] = env["CONSOLE_ALERTS_FILE"]
        if env.get("CONSOLE_AUTH"):
            kwargs["auth"] = env["CONSOLE_AUTH"].strip().lower()
        if env.get("CONSOLE_USERS"):
            kwargs["users"] = env["CONSOLE_USERS"]
        if "CONSOLE_RECORD_THROUGHPUT" in env:
            kwargs["record_throughput"] = _bool(
                "CONSOLE_RECORD_THROUGHPUT", env["CONSOLE_RECORD_THROUGHPUT"]
            )
        if "CONSOLE_TRUST_PROXY" in env:
            kwargs["trust_proxy"] = _bool("CONSOLE_TRUST_PROXY", env["CONSOLE_TRUST_PROXY"])
        for var, name in (
            ("CONSOLE_PAYLOAD_FORMATTER", "payload_formatter"),
            ("CONSOLE_RESULT_FORMATTER", "result_formatter"),
            ("CONSOLE_AUTHENTICATE", "authenticate"),
        ):
            if env.get(var):
                kwargs[name] = _import_callable(var, env[var])
        try:
            return cls(**kwargs)  # type: ignore[arg-type]
        except ValueError as exc:
            raise ValueError(f"invalid console configuration: {exc}") from exc


def _with_aliases(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with each Asynqmon name copied to ours unless ours is set; errors then name the
    variable the operator wrote."""
    merged = dict(env)
    for ours, theirs in ASYNQMON_ALIASES.items():
        if ours not in env and theirs in env:
            merged[ours] = env[theirs]
    return merged


def _name_the_variable_set(message: str, env: Mapping[str, str]) -> str:
    """An error about ``CONSOLE_X`` names Asynqmon's ``X`` when that is what was set."""
    for ours, theirs in ASYNQMON_ALIASES.items():
        if ours not in env and theirs in env:
            message = message.replace(ours, theirs)
    return message


def redis_url_from_env(env: Mapping[str, str]) -> str | None:
    """One Redis URL from ``REDIS_URL`` and Asynqmon's variables, or ``None`` when none is set.

    As in Asynqmon: ``REDIS_CLUSTER_NODES`` (``h1:p1,h2:p2``, with ``REDIS_PASSWORD``) wins over
    ``REDIS_URL``, which wins over ``REDIS_ADDR`` + ``REDIS_DB`` + ``REDIS_PASSWORD``. TLS:
    ``REDIS_TLS`` is the server name to verify (``true`` just turns TLS on),
    ``REDIS_INSECURE_TLS`` turns TLS on without verification, ``REDIS_CA_CERT``,
    ``REDIS_CLIENT_CERT`` and ``REDIS_CLIENT_KEY`` are PEM files; any of them makes the URL a TLS
    one with the matching ``ssl_*`` parameters (see ``pyasynq.broker.connection``).
    """
    from urllib.parse import quote

    from pyasynq.broker.connection import TLSOptions, with_tls

    value = {k: env[k].strip() for k in REDIS_VARS if env.get(k, "").strip()}
    password = value.get("REDIS_PASSWORD")
    auth = f":{quote(password, safe='')}@" if password else ""
    if "REDIS_CLUSTER_NODES" in value:
        url = f"redis-cluster://{auth}{value['REDIS_CLUSTER_NODES']}"
    elif "REDIS_URL" in value:
        url = value["REDIS_URL"]
    elif {"REDIS_ADDR", "REDIS_DB", "REDIS_PASSWORD"} & value.keys():
        db = _number("REDIS_DB", value.get("REDIS_DB", "0"), int)
        url = f"redis://{auth}{value.get('REDIS_ADDR', '127.0.0.1:6379')}/{db}"
    else:
        url = None
    server_name = value.get("REDIS_TLS")
    tls_on = False
    if server_name is not None and server_name.lower() in _TRUE | _FALSE:
        tls_on, server_name = _bool("REDIS_TLS", server_name), None
    insecure = _bool("REDIS_INSECURE_TLS", value.get("REDIS_INSECURE_TLS", "0"))
    files = [value.get(k) for k in ("REDIS_CA_CERT", "REDIS_CLIENT_CERT", "REDIS_CLIENT_KEY")]
    if not (tls_on or server_name or insecure or any(files)):
        return url
    options = TLSOptions(
        ca_certs=files[0],
        certfile=files[1],
        keyfile=files[2],
        cert_reqs="none" if insecure else "required",
        server_name=server_name,
    )
    return with_tls(url or "redis://127.0.0.1:6379/0", options)


def _prometheus_addr(raw: str) -> str:
    from urllib.parse import urlsplit

    addr = raw.strip().rstrip("/")
    parts = urlsplit(addr)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"prometheus_addr must look like http://host:9090, got {raw!r} "
            "(PROMETHEUS_ADDR / --prometheus-addr)"
        )
    return addr


def _bool(var: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{var} must be true or false, got {raw!r}")


def _number(var: str, raw: str, kind: type[int] | type[float]) -> int | float:
    try:
        return kind(raw.strip())
    except ValueError:
        raise ValueError(
            f"{var} must be a{'n integer' if kind is int else ' number'}, got {raw!r}"
        ) from None


def _import_callable(var: str, spec: str) -> Formatter:
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ValueError(f"{var} must look like 'package.module:function', got {spec!r}")
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"{var}: cannot import {spec!r}: {exc}") from exc
    if not callable(obj):
        raise ValueError(f"{var}: {spec!r} is not callable")
    return obj  # type: ignore[no-any-return]
