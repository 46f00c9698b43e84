"""Form sign-in sessions that really end: on sign-out, password change, idleness and age.

The session lives in Flask's signed cookie, so on its own it would be valid for as long as the
signature is. Four checks on every request make it end when it should:

* **generation**: the cookie carries the user's session generation from Redis
  (``pyasynq:console:session-gen:<hash of name>``, through the Inspector). Signing out
  increments it, so every cookie issued before (copies, other browsers, other console workers)
  stops working at once;
* **password fingerprint**: a short hash of the user's configured password hash. Changing the
  password in ``CONSOLE_USERS`` ends every session signed in with the old one;
* **idle timeout** (``session_idle_timeout``, default 1 h): no request for that long ends it;
* **lifetime** (``session_lifetime``, default 12 h): counted from sign-in, whatever happens.

Times come from the Inspector's clock, so tests move a ManualClock instead of sleeping.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from flask import Flask, flash, session

from pyasynq.console.backend import inspector

SESSION_USER = "user"
GENERATION = "gen"
PASSWORD = "pw"
ISSUED = "iat"
SEEN = "seen"

TOUCH_EVERY = 60.0
"""Seconds between rewrites of the last-seen time (so a polling page does not resign every reply)."""

CLOCK_SKEW = 300.0
"""A cookie issued up to this far in the future is still accepted (console clocks may differ)."""


def now() -> float:
    return float(inspector().broker.now())


def password_fingerprint(password_hash: str) -> str:
    """16 hex digits standing for the configured hash; it changes whenever the password does."""
    return hashlib.sha256(b"pyasynq-console-session:" + password_hash.encode()).hexdigest()[:16]


def start(record: Any) -> None:
    """A fresh session for ``record`` (a UserRecord): nothing from before carries over."""
    at = now()
    session.clear()
    session[SESSION_USER] = record.name
    session[GENERATION] = inspector().console_session_generation(record.name)
    session[PASSWORD] = password_fingerprint(record.password_hash)
    session[ISSUED] = at
    session[SEEN] = at
    session.permanent = False


def end(reason: str | None = None) -> None:
    """Forget the session; ``reason`` is shown on the next page (the login form)."""
    session.clear()
    if reason:
        flash(reason, "error")


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def why_ended(config: Any, record: Any) -> str | None:
    """The reason this session no longer counts, or None while it is valid."""
    if session.get(PASSWORD) != password_fingerprint(record.password_hash):
        return "Your password was changed: sign in again."
    at = now()
    issued, seen = _number(session.get(ISSUED)), _number(session.get(SEEN))
    if issued is None or seen is None or issued > at + CLOCK_SKEW:
        return "Your session is not valid any more: sign in again."
    if at - issued > config.session_lifetime:
        return "Your session reached its maximum age: sign in again."
    if config.session_idle_timeout and at - seen > config.session_idle_timeout:
        return "You were away too long and have been signed out."
    if session.get(GENERATION) != inspector().console_session_generation(record.name):
        return "This session was signed out: sign in again."
    if at - seen >= TOUCH_EVERY:
        session[SEEN] = at
    return None


def current_record(config: Any) -> Any:
    """The UserRecord of this request's session, ending the session when it no longer holds."""
    name = session.get(SESSION_USER)
    if not isinstance(name, str):
        return None
    record = next((u for u in config.users if u.name == name), None)
    if record is None:  # a user removed from the config is signed out at once
        end("Your user no longer exists on this console.")
        return None
    reason = why_ended(config, record)
    if reason is not None:
        end(reason)
        return None
    return record


def revoke(name: str) -> None:
    """End every session of ``name`` on every device and console worker."""
    inspector().revoke_console_sessions(name)


def configure(app: Flask) -> None:
    """Let the signed cookie itself expire with the absolute lifetime (not Flask's 31 days)."""
    app.permanent_session_lifetime = timedelta(seconds=app.config["CONSOLE"].session_lifetime)
