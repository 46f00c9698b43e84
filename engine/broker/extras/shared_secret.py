"""A secret shared by every process of one deployment, generated once (pyasynq only).

Several console workers (gunicorn ``--workers N``) must sign session cookies, and so CSRF
tokens, with one key. When the operator sets none, the first worker stores a random key with
``SET NX`` and every other worker reads that one, so forms work on any worker and across
restarts. Whoever can read this Redis can read it, as they can already read and change every
task: an operator who wants the key kept out of Redis sets ``CONSOLE_SECRET_KEY``.
"""

from __future__ import annotations

from pyasynq.broker.base import BrokerBase, to_str

CONSOLE_SECRET_KEY = "pyasynq:console:secret-key"


class SharedSecretOps(BrokerBase):
    def shared_secret(self, key: str, candidate: str) -> str:
        """The value stored at ``key``, storing ``candidate`` first when there is none."""
        with self.errors():
            pipe = self.redis.pipeline(transaction=False)
            pipe.set(key, candidate, nx=True)
            pipe.get(key)
            _, value = pipe.execute()
        return to_str(value)
