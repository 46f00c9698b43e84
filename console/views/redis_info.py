"""The Redis page: the figures an operator needs from INFO, and in cluster mode the nodes and
where each queue lives (slot and nodes), since all keys of a queue share one slot."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, render_template

from pyasynq.console.backend import inspector
from pyasynq.errors import BrokerError

bp = Blueprint("redis_info", __name__)


def _int(info: dict[str, Any], key: str) -> int | None:
    try:
        return int(info[key])
    except (KeyError, TypeError, ValueError):
        return None


def figures(info: dict[str, Any]) -> dict[str, Any]:
    """The handful of INFO fields worth a glance, with missing ones as ``None``."""
    hits, misses = _int(info, "keyspace_hits"), _int(info, "keyspace_misses")
    lookups = (hits or 0) + (misses or 0)
    last_save = _int(info, "rdb_last_save_time")
    keyspace = {k: v for k, v in info.items() if k.startswith("db") and isinstance(v, dict)}
    return {
        "version": info.get("redis_version"),
        "mode": info.get("redis_mode"),
        "role": info.get("role"),
        "uptime": _int(info, "uptime_in_seconds"),
        "used_memory": _int(info, "used_memory"),
        "peak_memory": _int(info, "used_memory_peak"),
        "maxmemory": _int(info, "maxmemory"),
        "maxmemory_policy": info.get("maxmemory_policy"),
        "fragmentation": info.get("mem_fragmentation_ratio"),
        "clients": _int(info, "connected_clients"),
        "blocked_clients": _int(info, "blocked_clients"),
        "replicas": _int(info, "connected_slaves"),
        "ops": _int(info, "instantaneous_ops_per_sec"),
        "commands": _int(info, "total_commands_processed"),
        "hit_rate": (hits or 0) / lookups if lookups else None,
        "last_save": datetime.fromtimestamp(last_save, UTC) if last_save else None,
        "changes_since_save": _int(info, "rdb_changes_since_last_save"),
        "aof": bool(_int(info, "aof_enabled")),
        "keyspace": keyspace,
        "keys": sum(int(v.get("keys", 0)) for v in keyspace.values()),
    }


def raw_lines(info: dict[str, Any]) -> list[tuple[str, str]]:
    """INFO as ``key: value`` pairs for the raw view (nested dicts flattened like Redis prints)."""
    out = []
    for key, value in info.items():
        if isinstance(value, dict):
            value = ",".join(f"{k}={v}" for k, v in value.items())
        out.append((str(key), str(value)))
    return out


def _context() -> dict[str, Any]:
    insp = inspector()
    nodes = [(n, figures(n.info)) for n in insp.redis_nodes()]
    ctx: dict[str, Any] = {"nodes": nodes, "is_cluster": insp.is_cluster}
    if insp.is_cluster:
        ctx["topology"] = insp.cluster_topology()
        try:
            ctx["cluster_info"] = insp.redis_cluster_info()
        except BrokerError:
            ctx["cluster_info"] = {}
        ctx["queues"] = [
            (q, insp.cluster_key_slot(q), insp.cluster_nodes(q)) for q in insp.queues()
        ]
    else:
        ctx["raw"] = raw_lines(nodes[0][0].info) if nodes else []
    return ctx


@bp.get("/redis")
def index() -> Any:
    return render_template("redis.html", **_context())


@bp.get("/_fragments/redis")
def fragment() -> Any:
    """The polled part of the Redis page."""
    return render_template("_redis_body.html", **_context())
