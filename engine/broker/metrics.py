"""Metrics operations: throughput samples, task-type samples and Redis/cluster facts.

Everything here is bounded: one script per queue per minute to record throughput, a capped
range to read it back, and at most N task IDs to sample types, however large a queue grows.
Results are raw (bytes, ints, dicts); ``pyasynq.inspector_metrics`` shapes them for people.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from pyasynq.broker import keys
from pyasynq.broker.base import BrokerBase
from pyasynq.broker.inspect import _naming

THROUGHPUT_KEEP_MINUTES = 24 * 60
"""Samples kept per queue: one day of minutes."""
THROUGHPUT_TTL = 2 * 24 * 3600
"""A series not written for this long (its queue was removed) expires by itself."""


SAMPLES_PER_CALL = 500  # queues per throughput_samples.lua call outside a cluster

log = logging.getLogger("pyasynq.broker")


class MetricsOps(BrokerBase):
    # -- throughput -----------------------------------------------------------------------------
    def record_throughput(
        self, queues: Sequence[str], minute: int, keep_minutes: int = THROUGHPUT_KEEP_MINUTES
    ) -> list[Any]:
        """Sample each queue's lifetime counters for ``minute`` in one pipelined round trip.

        One reply per queue: 1 written, 0 already sampled this minute (by any recorder), or the
        exception for that queue; a failing queue does not hide the others.
        """
        oldest = minute - keep_minutes * 60
        calls = [
            (
                "throughput_record",
                [keys.throughput(q), keys.processed_total(q), keys.failed_total(q)],
                [minute, oldest, keep_minutes + 1, THROUGHPUT_TTL],
            )
            for q in queues
        ]
        return self.run_many(calls)

    def throughput_samples(self, queue: str, since: float) -> list[tuple[int, int, int]]:
        """(minute, processed total, failed total) samples at or after ``since``, oldest first."""
        return self.throughput_samples_many([queue], since)[0]

    def throughput_samples_many(
        self, queues: Sequence[str], since: float
    ) -> list[list[tuple[int, int, int]]]:
        """``throughput_samples`` of many queues (the dashboard's throughput card reads every
        queue on each render): ``throughput_samples.lua``, a few hundred queues per call
        outside a cluster (one reply to parse, not one per queue), one per queue on a cluster
        (a script's keys share a slot), grouped by node."""
        if not queues:
            return []
        calls: list[tuple[list[Any], list[Any]]] = [([keys.throughput(q)], []) for q in queues]
        replies = self.run_per_queue(
            "throughput_samples", calls, SAMPLES_PER_CALL, args=[int(since)]
        )
        out = []
        for q, reply in zip(queues, replies, strict=True):
            members: list[Any] = []
            if isinstance(reply, BaseException) or reply[0]:  # our own series key is bad
                log.warning("throughput of queue %r cannot be read: %s", q, _text(reply))
            else:
                members = list(reply[1:])
            out.append(_samples(members))
        return out

    # -- task types -----------------------------------------------------------------------------
    def sample_task_types(
        self, queue: str, container: str, kind: str, limit: int
    ) -> tuple[int, list[bytes]]:
        """(size of the state, type of each of at most ``limit`` sampled tasks)."""
        reply = self.run(
            "sample_task_types", [container], [kind, limit, keys.task_key_prefix(queue)]
        )
        return int(reply[0]), list(reply[1:])

    # -- scheduler history ----------------------------------------------------------------------
    def scheduler_history_size(self, entry_id: str) -> int:
        """How many enqueue events an entry's history holds (Go keeps at most 1000)."""
        with _naming(keys.scheduler_history(entry_id)), self.errors():
            return int(self.redis.zcard(keys.scheduler_history(entry_id)))

    # -- redis and cluster ----------------------------------------------------------------------
    def node_infos(self) -> list[tuple[str, dict[str, Any]]]:
        """(address, parsed INFO) of the Redis, or of every node of a cluster."""
        with self.errors():
            if not self.is_cluster:
                return [(self.where(), dict(self.redis.info()))]
            out = []
            for node in sorted(self.cluster.get_nodes(), key=lambda n: n.name):
                out.append((node.name, dict(self.cluster.get_redis_connection(node).info())))
            return out

    def cluster_nodes_text(self) -> str:
        """Raw ``CLUSTER NODES`` of one node (every node reports the whole topology)."""
        with self.errors():
            client: Any = self.redis
            if self.is_cluster:
                client = self.cluster.get_redis_connection(self.cluster.get_default_node())
            conn = client.connection_pool.get_connection()
            try:
                conn.send_command("CLUSTER", "NODES")
                raw = conn.read_response()
            finally:
                client.connection_pool.release(conn)
        return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _text(reply: Any) -> str:
    if isinstance(reply, BaseException):
        return str(reply)
    first = reply[0]
    return first.decode("utf-8", "replace") if isinstance(first, bytes) else str(first)


def _samples(members: Sequence[Any]) -> list[tuple[int, int, int]]:
    """Parse ``minute:processed:failed`` members, skipping malformed ones, oldest first."""
    out = []
    for member in members:
        text = member.decode("ascii", "replace") if isinstance(member, bytes) else str(member)
        parts = text.split(":")
        if len(parts) != 3:
            continue
        try:
            out.append((int(parts[0]), int(parts[1]), int(parts[2])))
        except ValueError:  # a counter someone set to a non-number: skip that sample
            continue
    return sorted(out)
