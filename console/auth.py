"""Who is using the console, and what they may do: built-in login, roles and a host hook.

Three ways to know the user, tried in this order on every request:

1. ``authenticate(request) -> User | None``, a hook given to ``create_app`` (or in the config)
   when the console is mounted inside an app that already signs its users in;
2. the built-in login (``auth="basic"``: HTTP Basic on every request; ``auth="form"``: a login
   page and a session cookie), checking passwords against werkzeug hashes from the config or
   ``CONSOLE_USERS``;
3. nobody: with ``auth="none"`` and no hook everyone is an operator (the console's default, for
   a console that only listens on a private network).

Roles: ``viewer`` reads everything and changes nothing (403 on any POST, controls hidden);
``operator`` may also run actions. The global read-only mode overrides both. The check runs in
one ``before_request`` for the whole app, so every blueprint, present or future (the JSON API
included), is covered without a decorator a view could forget.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, abort, current_app, g, redirect, request, url_for
from werkzeug.security import check_password_hash, generate_password_hash

from pyasynq.console import sessions
from pyasynq.errors import BrokerError

ROLES: tuple[str, ...] = ("viewer", "operator")
MODES: tuple[str, ...] = ("none", "basic", "form")
SESSION_USER = "user"

# Endpoints anyone may reach: load balancers call /health, and the login form must be seen.
PUBLIC_ENDPOINTS = frozenset({"static", "health.health", "auth.login", "_favicon"})

# Checked when the user name is unknown, so a wrong name costs as long as a wrong password:
# one dummy hash per hashing method in use (scrypt, pbkdf2 with its rounds, ...), made once.
_DUMMY_HASHES: dict[str, str] = {}

Authenticate = Callable[[Any], "User | None"]


@dataclass(frozen=True)
class User:
    """The person behind a request, as the console sees them."""

    name: str
    role: str = "operator"

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, got {self.role!r}")

    @property
    def can_act(self) -> bool:
        return self.role == "operator"


@dataclass(frozen=True)
class UserRecord:
    """One configured login: a name, a role and a werkzeug password hash (never a password)."""

    name: str
    role: str
    password_hash: str = dataclasses.field(repr=False)

    def __post_init__(self) -> None:
        if not self.name or any(c in self.name for c in ":,\n"):
            raise ValueError(f"user name {self.name!r} must be non-empty without ':' or ','")
        if self.role not in ROLES:
            raise ValueError(
                f"user {self.name!r}: role must be one of {', '.join(ROLES)}, got {self.role!r}"
            )
        if "$" not in self.password_hash:
            raise ValueError(
                f"user {self.name!r}: the password must be a hash "
                "(pyasynq console-hash-password, or werkzeug.security.generate_password_hash)"
            )


def parse_users(text: str) -> tuple[UserRecord, ...]:
    """``alice:operator:<hash>,bob:viewer:<hash>`` -> records (werkzeug hashes hold ':' but no ',')."""
    records = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        name, sep1, rest = part.partition(":")
        role, sep2, password_hash = rest.partition(":")
        if not (sep1 and sep2):
            raise ValueError(f"each user must look like name:role:hash, got {part[:40]!r}")
        records.append(UserRecord(name.strip(), role.strip(), password_hash.strip()))
    return tuple(records)


def coerce_users(users: Iterable[Any]) -> tuple[UserRecord, ...]:
    """Accept records, ``(name, role, hash)`` tuples or dicts with those keys."""
    out = []
    for u in users:
        if isinstance(u, UserRecord):
            out.append(u)
        elif isinstance(u, dict):
            out.append(UserRecord(u["name"], u["role"], u["password_hash"]))
        else:
            name, role, password_hash = u
            out.append(UserRecord(name, role, password_hash))
    names = [u.name for u in out]
    if len(set(names)) != len(names):
        raise ValueError("user names must be unique")
    return tuple(out)


def _dummy_hash(users: tuple[UserRecord, ...]) -> str:
    """A hash made the way the configured users' are, so checking it costs what theirs do."""
    method = users[0].password_hash.split("$", 1)[0] if users else "scrypt"
    found = _DUMMY_HASHES.get(method)
    if found is None:
        try:
            found = generate_password_hash("pyasynq-no-such-user", method=method)
        except (ValueError, TypeError):  # a method werkzeug cannot make: its default
            found = generate_password_hash("pyasynq-no-such-user")
        _DUMMY_HASHES[method] = found
    return found


def check_credentials(users: Iterable[UserRecord], name: str, password: str) -> User | None:
    """The user when ``name``/``password`` match a record; same cost whether or not it exists."""
    users = tuple(users)
    record = next((u for u in users if hmac.compare_digest(u.name.encode(), name.encode())), None)
    if record is None:
        check_password_hash(_dummy_hash(users), password)
        return None
    if not check_password_hash(record.password_hash, password):
        return None
    return User(record.name, record.role)


class LoginThrottle:
    """Refuse sign-in for a (user name, address) pair after ``limit`` failures in ``window`` s.

    It slows password guessing through the form or HTTP Basic without a shared store, so the
    limit holds per console process (each gunicorn worker keeps its own count). Memory is
    bounded: at most ``max_keys`` pairs are remembered, the stalest dropped first.
    """

    def __init__(
        self,
        limit: int = 5,
        window: float = 300.0,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window, self.max_keys, self.clock = limit, window, max_keys, clock
        self._failures: dict[tuple[str, str], list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> list[float]:
        times = [t for t in self._failures.get(key, []) if now - t < self.window]
        if times:
            self._failures[key] = times
        else:
            self._failures.pop(key, None)
        return times

    def retry_after(self, key: tuple[str, str]) -> float:
        """Seconds until this pair may try again; 0 when it may try now."""
        with self._lock:
            now = self.clock()
            times = self._recent(key, now)
            return max(0.0, times[0] + self.window - now) if len(times) >= self.limit else 0.0

    def failed(self, key: tuple[str, str]) -> None:
        with self._lock:
            now = self.clock()
            times = self._recent(key, now)
            times.append(now)
            self._failures[key] = times[-self.limit :]
            if len(self._failures) > self.max_keys:
                stalest = min(self._failures, key=lambda k: self._failures[k][-1])
                del self._failures[stalest]

    def succeeded(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._failures.pop(key, None)


class CredentialCache:
    """Remember recent successful checks for ``ttl`` seconds, keyed by an HMAC of the credentials.

    HTTP Basic sends the password with every request, and a live page polls every few seconds:
    without this each poll would run scrypt again. The key is an HMAC-SHA256 of name and
    password under a random per-process key, so the cache never holds a password or anything
    an attacker could test guesses against offline. Bounded to ``max_entries``; a config
    change restarts the process and so empties it.
    """

    def __init__(
        self,
        ttl: float = 60.0,
        max_entries: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl, self.max_entries, self.clock = ttl, max_entries, clock
        self._key = secrets.token_bytes(32)
        self._entries: dict[bytes, tuple[float, User]] = {}
        self._lock = threading.Lock()

    def _digest(self, name: str, password: str) -> bytes:
        data = (
            name.encode("utf-8", "surrogatepass")
            + b"\0"
            + password.encode("utf-8", "surrogatepass")
        )
        return hmac.new(self._key, data, hashlib.sha256).digest()

    def get(self, name: str, password: str) -> User | None:
        digest = self._digest(name, password)
        with self._lock:
            found = self._entries.get(digest)
            if found is None:
                return None
            if self.clock() >= found[0]:
                del self._entries[digest]
                return None
            return found[1]

    def put(self, name: str, password: str, user: User) -> None:
        digest = self._digest(name, password)
        with self._lock:
            now = self.clock()
            if len(self._entries) >= self.max_entries:
                for key in [k for k, (until, _) in self._entries.items() if until <= now]:
                    del self._entries[key]
                while len(self._entries) >= self.max_entries:
                    del self._entries[next(iter(self._entries))]  # the oldest insertion
            self._entries[digest] = (now + self.ttl, user)

    def __len__(self) -> int:
        return len(self._entries)


ADDRESS_LIMIT = 20
"""Failed sign-ins one address may make in ``LoginThrottle.window`` across all user names."""


def _throttles() -> tuple[LoginThrottle, LoginThrottle]:
    """(per user and address, per address) throttles of the current app."""
    ext = current_app.extensions
    per_user = ext.setdefault("pyasynq_login_throttle", LoginThrottle())
    per_address = ext.setdefault("pyasynq_address_throttle", LoginThrottle(limit=ADDRESS_LIMIT))
    return per_user, per_address


def credential_cache() -> CredentialCache:
    return current_app.extensions.setdefault("pyasynq_credential_cache", CredentialCache())  # type: ignore[no-any-return]


def sign_in(config: Any, name: str, password: str, *, cache: bool = False) -> User | None:
    """Check credentials through the app's throttles; a throttled request gets 429, not a check.

    Two throttles: one per (user name, address), so a guessed account locks for that address
    only, and one per address across every user name, so random names cannot buy unlimited
    password hashes. ``cache`` (HTTP Basic) reuses a success for a minute without rehashing.
    """
    cached = credential_cache().get(name, password) if cache else None
    if cached is not None:
        return cached
    address = request.remote_addr or ""
    per_user, per_address = _throttles()
    key, address_key = (name, address), ("*", address)
    wait = max(per_user.retry_after(key), per_address.retry_after(address_key))
    if wait:
        abort(429, f"Too many failed sign-ins from this address; try again in {int(wait) + 1} s.")
    user = check_credentials(config.users, name, password)
    if user is None:
        per_user.failed(key)
        per_address.failed(address_key)
        return None
    per_user.succeeded(key)
    if cache:
        credential_cache().put(name, password, user)
    return user


# -- per request ------------------------------------------------------------------------------


def current_user() -> User | None:
    """The signed-in user of this request, ``None`` when nobody is (or auth is off)."""
    user: User | None = g.get("console_user")
    return user


def can_act() -> bool:
    """May this request change anything? Read-only mode and the viewer role both say no."""
    if current_app.config["CONSOLE"].read_only:
        return False
    user = current_user()
    return user is None or user.can_act


def _basic_credentials() -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    name, sep, password = decoded.partition(":")
    return (name, password) if sep else None


def _api_token_user(config: Any) -> User | None:
    """A JSON API client holding the configured ``api_token`` acts as operator ``api-token``."""
    token = getattr(config, "api_token", None)
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    valid = bool(token and scheme.lower() == "bearer" and sent.strip()) and hmac.compare_digest(
        sent.strip().encode(), str(token).encode()
    )
    return User("api-token", "operator") if valid else None


def _resolve(config: Any, hook: Authenticate | None) -> User | None:
    is_api = request.blueprint == "api" or request.path.startswith("/api/")
    if is_api and (user := _api_token_user(config)) is not None:
        return user
    if hook is not None:
        user = hook(request)
        if user is not None:
            if not isinstance(user, User):
                raise TypeError(
                    "the authenticate hook must return a pyasynq.console.auth.User or None"
                )
            return user
    if config.auth == "basic":
        creds = _basic_credentials()
        return sign_in(config, *creds, cache=True) if creds else None
    if config.auth == "form":
        record = sessions.current_record(config)
        if record is not None:
            return User(record.name, record.role)
    return None


def _wants_json() -> bool:
    return (
        (request.blueprint or "").startswith("api")
        or request.path.startswith("/api/")
        or (request.accept_mimetypes.best == "application/json")
    )


def before_request() -> Any:
    """Know the user, refuse strangers (401 / login page) and viewers' changes (403)."""
    config = current_app.config["CONSOLE"]
    hook: Authenticate | None = current_app.config.get("CONSOLE_AUTHENTICATE")
    auth_on = config.auth != "none" or hook is not None
    g.console_user = None
    if not auth_on:
        return None
    if request.endpoint in PUBLIC_ENDPOINTS:
        if config.auth == "form" and request.endpoint == "auth.login":
            return None
        if request.endpoint != "static":
            try:
                g.console_user = _resolve(config, hook)
            except BrokerError:  # /health must answer for itself when Redis is down
                g.console_user = None
        return None
    user = _resolve(config, hook)
    g.console_user = user
    if user is None:
        if config.auth == "basic":
            abort(401, "Sign in with your console user name and password.")
        if config.auth == "form" and request.method == "GET" and not _wants_json():
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")), 303)
        abort(401, "Sign in first: this console needs a user.")
    changing = request.method not in ("GET", "HEAD", "OPTIONS")
    if changing and not user.can_act and request.endpoint != "auth.logout":
        abort(403, f"User {user.name!r} is a viewer: viewers cannot change anything.")
    return None


def view_config(app: Flask) -> Any:
    """The config templates see: read-only for viewers, so every control disappears for them."""
    config = app.config["CONSOLE"]
    if config.read_only or can_act():
        return config
    cached = app.config.get("CONSOLE_VIEWER_CONFIG")
    if cached is None:
        cached = dataclasses.replace(config, read_only=True)
        app.config["CONSOLE_VIEWER_CONFIG"] = cached
    return cached


def register(app: Flask, hook: Authenticate | None) -> None:
    """Install the check before CSRF and read-only (so a stranger gets 401, not a CSRF 400)."""
    config = app.config["CONSOLE"]
    hook = hook or config.authenticate
    if hook is not None and not callable(hook):
        raise ValueError("authenticate must be a callable (request) -> User | None")
    app.config["CONSOLE_AUTHENTICATE"] = hook
    sessions.configure(app)
    app.before_request_funcs.setdefault(None, []).insert(0, before_request)

    @app.after_request
    def _challenge(response: Any) -> Any:
        if response.status_code == 401 and config.auth == "basic":
            response.headers["WWW-Authenticate"] = 'Basic realm="pyasynq console", charset="UTF-8"'
        return response

    @app.context_processor
    def _user_context() -> dict[str, Any]:
        return {
            "current_user": current_user(),
            "cfg": view_config(app),
            "login_form": config.auth == "form",
        }
