"""Inspector methods for metrics and operations pages: throughput history, task types per
state, scheduler history size, and Redis/cluster facts.

A mixin of ``pyasynq.inspector.Inspector`` (it relies on ``self.broker`` and ``self._queue``),
kept in its own module so the metrics work does not crowd the Inspector's core.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pyasynq.broker import keys
from pyasynq.broker.metrics import THROUGHPUT_KEEP_MINUTES
from pyasynq.options import check_queue_name
from pyasynq.states import model

if TYPE_CHECKING:
    from pyasynq.broker.broker import Broker
MAX_TYPE_SAMPLE = 10_000
UNKNOWN_TYPE = "(unreadable)"


@dataclass(frozen=True)
class ThroughputPoint:
    """Tasks finished in one minute of a queue.

    ``processed`` counts successes and failures (Asynq's meaning of processed); ``failed``
    is the part of them that failed.
    """

    minute: datetime
    processed: int
    failed: int

    @property
    def succeeded(self) -> int:
        return max(self.processed - self.failed, 0)


@dataclass(frozen=True)
class TypeCounts:
    """Tasks per type in one state of a queue.

    ``sampled`` tasks were looked at out of ``total``; ``exact`` is False when the state held
    more tasks than the sample, so the counts describe the next tasks to run (lists) or the
    soonest/oldest (sorted sets), not the whole state.
    """

    counts: dict[str, int]
    sampled: int
    total: int
    exact: bool

    def scaled(self) -> dict[str, int]:
        """Counts extrapolated to the whole state (equal to ``counts`` when exact)."""
        if self.exact or not self.sampled:
            return dict(self.counts)
        factor = self.total / self.sampled
        return {t: round(n * factor) for t, n in self.counts.items()}


@dataclass(frozen=True)
class RedisNode:
    """One Redis server and its parsed ``INFO`` (values as redis-py parses them)."""

    addr: str
    info: dict[str, Any]


@dataclass(frozen=True)
class ClusterNodeLine:
    """One line of ``CLUSTER NODES``."""

    id: str
    addr: str
    flags: list[str]
    master_id: str
    link_state: str
    slots: list[str] = field(default_factory=list)

    @property
    def role(self) -> str:
        return "primary" if "master" in self.flags else "replica" if "slave" in self.flags else "?"


def parse_cluster_nodes(text: str) -> list[ClusterNodeLine]:
    """Parse ``CLUSTER NODES`` text; the address drops the ``@cport`` and ``,hostname`` parts."""
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 8:
            continue
        addr = parts[1].split("@", 1)[0].split(",", 1)[0]
        out.append(
            ClusterNodeLine(
                id=parts[0],
                addr=addr,
                flags=parts[2].split(","),
                master_id="" if parts[3] == "-" else parts[3],
                link_state=parts[7],
                slots=parts[8:],
            )
        )
    return sorted(out, key=lambda n: n.addr)


def minute_points(
    samples: list[tuple[int, int, int]], start: int, end: int
) -> list[ThroughputPoint]:
    """Per-minute counts from cumulative samples, for minutes ``start <= m < end``.

    The count of minute m is the difference between the samples of m and of the next sample.
    A counter that went down (queue removed and re-created, Redis flushed) restarted from zero,
    so its new value is the count, as Prometheus treats counter resets. When samples are
    missing (no recorder ran), the difference is spread evenly over the minutes of the gap.
    """
    out: dict[int, tuple[int, int]] = {}
    for (m1, p1, f1), (m2, p2, f2) in zip(samples, samples[1:], strict=False):
        span = (m2 - m1) // 60
        if span < 1:
            continue
        dp = p2 - p1 if p2 >= p1 else p2
        df = f2 - f1 if f2 >= f1 else f2
        for j in range(span):
            minute = m1 + 60 * j
            if start <= minute < end:
                out[minute] = (
                    dp // span + (1 if j < dp % span else 0),
                    df // span + (1 if j < df % span else 0),
                )
    return [
        ThroughputPoint(datetime.fromtimestamp(m, UTC), p, f) for m, (p, f) in sorted(out.items())
    ]


class InspectorMetrics:
    """Metrics reads of the Inspector (mixed into ``pyasynq.inspector.Inspector``)."""

    broker: Broker

    def _queue(self, queue: str) -> str:  # pragma: no cover - provided by Inspector
        raise NotImplementedError

    def throughput(self, queue: str, minutes: int = 180) -> list[ThroughputPoint]:
        """Processed and failed tasks per minute over the last ``minutes`` closed minutes.

        Read from the samples that ``ThroughputRecorder`` (run by every pyasynq Server and by
        the console) keeps for one day; minutes without samples are absent from the list.
        """
        if not isinstance(minutes, int) or not 1 <= minutes <= THROUGHPUT_KEEP_MINUTES:
            raise ValueError(
                f"minutes must be an integer from 1 to {THROUGHPUT_KEEP_MINUTES}, got {minutes!r}"
            )
        self._queue(queue)
        current = int(self.broker.now() // 60) * 60
        start = current - minutes * 60
        # Look back further than the range so a gap at its start can still be spread.
        samples = self.broker.throughput_samples(queue, start - 60 * 60)
        return minute_points(samples, start, current)

    def throughputs(
        self, queues: Iterable[str], minutes: int = 180
    ) -> dict[str, list[ThroughputPoint]]:
        """``throughput`` of many queues in one pipelined round trip (the dashboard's card).

        Queues not in ``asynq:queues`` (removed since they were listed) and names that are no
        queue (blank) are left out."""
        if not isinstance(minutes, int) or not 1 <= minutes <= THROUGHPUT_KEEP_MINUTES:
            raise ValueError(
                f"minutes must be an integer from 1 to {THROUGHPUT_KEEP_MINUTES}, got {minutes!r}"
            )
        # a blank name (bad data in asynq:queues, shown as bad by get_queue_infos) has no series
        names = [q for q in dict.fromkeys(queues) if isinstance(q, str) and q.strip()]
        if not names:
            return {}
        known = {
            q.decode("utf-8", "replace") if isinstance(q, bytes) else q
            for q in self.broker.all_queues()
        }
        names = [q for q in names if q in known]
        current = int(self.broker.now() // 60) * 60
        start = current - minutes * 60
        found = self.broker.throughput_samples_many(names, start - 60 * 60)
        return {
            q: minute_points(samples, start, current)
            for q, samples in zip(names, found, strict=True)
        }

    def task_type_counts(
        self, queue: str, state: str, sample: int = 1000, group: str | None = None
    ) -> TypeCounts:
        """How many tasks of each type one state holds, looking at no more than ``sample`` tasks.

        Lists (pending, active) are sampled from the next tasks to run, sorted sets from the
        lowest score. ``group`` is required for ``aggregating``.
        """
        spec = model(str(state))
        if not isinstance(sample, int) or not 1 <= sample <= MAX_TYPE_SAMPLE:
            raise ValueError(
                f"sample must be an integer from 1 to {MAX_TYPE_SAMPLE}, got {sample!r}"
            )
        self._queue(queue)
        if spec.grouped and not group:
            raise ValueError("a group is needed to count aggregating tasks")
        container, kind = keys.state_container(queue, spec.name, group)
        total, types = self.broker.sample_task_types(queue, container, kind, sample)
        counts = Counter(
            (t.decode("utf-8", "replace") if isinstance(t, bytes) else str(t)) or UNKNOWN_TYPE
            for t in types
        )
        ordered = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        return TypeCounts(
            counts=ordered, sampled=len(types), total=total, exact=len(types) >= total
        )

    def scheduler_history_size(self, entry_id: str) -> int:
        """How many enqueue events an entry's history holds, for paging through all of them."""
        return self.broker.scheduler_history_size(entry_id)

    def redis_nodes(self) -> list[RedisNode]:
        """The Redis server, or every node of a cluster, with its parsed INFO."""
        return [RedisNode(addr, info) for addr, info in self.broker.node_infos()]

    @property
    def is_cluster(self) -> bool:
        return bool(self.broker.is_cluster)

    def cluster_topology(self) -> list[ClusterNodeLine]:
        """Every node of the cluster from ``CLUSTER NODES``; a BrokerError outside cluster mode."""
        return parse_cluster_nodes(self.broker.cluster_nodes_text())

    def queue_slot(self, queue: str) -> int:
        """The cluster slot of every key of ``queue``."""
        check_queue_name(queue)
        return keys.cluster_slot(queue)
