"""Load a ``*.redis.json`` dump (captured from Go Asynq) into a Redis with ordinary writes."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any


def _b(text: str) -> bytes:
    return base64.b64decode(text)


def read_dump(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text("utf-8"))


def load_dump(
    client: Any, dump: dict[str, Any] | str | Path, *, ttl_margin_ms: int = 60_000
) -> float:
    """Write every key of ``dump`` into ``client`` and return the capture time (Unix seconds).

    Key TTLs are restored relative to the capture: a key that had ``pttl_ms`` left at capture
    time gets the same time left from the moment it is loaded, so an engine whose clock is
    pinned to ``captured_at_unix`` and the real Redis expiry agree on what is still alive.
    ``ttl_margin_ms`` is added so a slow machine does not lose a heartbeat key (seconds of TTL
    at capture) between loading and reading; liveness is judged by scores and the pinned clock.
    """
    if not isinstance(dump, dict):
        dump = read_dump(dump)
    pipe = client.pipeline(transaction=False)
    for name, entry in dump["keys"].items():
        kind, value, pttl = entry["type"], entry["value"], entry["pttl_ms"]
        pipe.delete(name)
        if kind == "string":
            pipe.set(name, _b(value))
        elif kind == "hash":
            pipe.hset(name, mapping={f: _b(v) for f, v in value.items()})
        elif kind == "list":
            pipe.rpush(name, *[_b(v) for v in value])
        elif kind == "set":
            pipe.sadd(name, *[_b(v) for v in value])
        elif kind == "zset":
            pipe.zadd(name, {_b(m): score for m, score in value})
        else:
            raise ValueError(f"unsupported key type {kind!r} for {name}")
        if pttl is not None:
            pipe.pexpire(name, max(1, int(pttl)) + ttl_margin_ms)
    pipe.execute()
    return float(dump["captured_at_unix"])
