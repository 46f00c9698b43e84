"""Console sign-in state shared by every console process: per-user session generations.

A console session cookie names its user and the user's generation when it was issued. Signing
out (or an operator revoking a user) increments the generation, so every cookie issued before,
on any device and any console worker, stops working at once: a copied cookie is worth nothing
after logout. One small string key per user who ever signed in, under ``pyasynq:`` (Go Asynq
has no console), never expiring so a revoked cookie cannot come back.
"""

from __future__ import annotations

import hashlib

from pyasynq.broker.base import BrokerBase

SESSION_GENERATION_PREFIX = "pyasynq:console:session-gen:"


def session_generation_key(user: str) -> str:
    """The key of ``user``'s generation; hashed so any user name makes one short, safe key."""
    return SESSION_GENERATION_PREFIX + hashlib.sha256(user.encode("utf-8")).hexdigest()[:32]


class ConsoleSessionOps(BrokerBase):
    def session_generation(self, user: str) -> int:
        """The current generation of ``user``'s console sessions (0 before any revocation)."""
        with self.errors():
            value = self.redis.get(session_generation_key(user))
        try:
            return int(value or 0)
        except (TypeError, ValueError):
            return -1  # not a number (written by hand): no cookie matches, so nobody gets in

    def revoke_sessions(self, user: str) -> int:
        """End every console session of ``user``; returns the new generation."""
        with self.errors():
            return int(self.redis.incr(session_generation_key(user)))
