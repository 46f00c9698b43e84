"""A Prometheus collector with the metric names and labels of Asynq's exporter, plus ours.

Every scrape asks the Inspector for a fresh snapshot, so the figures are as live as Redis.
Asynq's names (namespace ``asynq``) come first so existing dashboards keep working; the
``asynq_`` metrics we add (aggregating tasks, today's counts, servers, workers, schedulers)
only add, never rename.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from prometheus_client import generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString
from prometheus_client.validation import _is_valid_legacy_labelname, _is_valid_legacy_metric_name

from pyasynq.errors import AsynqError, BadDataError
from pyasynq.extras.limits_metrics import limit_metric_families
from pyasynq.states import STATES, model

log = logging.getLogger("pyasynq.exporter")

GO_STATES = tuple(s for s in STATES if not model(s).grouped)
"""The states Go's exporter reports (all but aggregating, which it leaves out), in its order."""


class QueueMetricsCollector(Collector):
    """Collects queue metrics through an ``engine.Inspector`` at scrape time."""

    def __init__(self, inspector: Any) -> None:
        self.inspector = inspector

    def _queue_infos(self) -> list[Any]:
        return list(self.inspector.get_queue_infos(self.inspector.queues(), skip_missing=True))

    @staticmethod
    def _read(source: str, bad: Any, read: Any) -> list[Any]:
        """``read()``, or nothing (counted in ``bad``) when the key listing them is bad data."""
        try:
            return read()  # type: ignore[no-any-return]
        except BadDataError as exc:
            log.warning("scrape: %s", exc)
            bad.add_metric([source, ""], 1)
            return []

    def collect(self) -> Iterator[Any]:
        up = GaugeMetricFamily("asynq_up", "1 when Redis answered this scrape, else 0")
        bad = GaugeMetricFamily(
            "pyasynq_bad_data_records",
            "Records Redis holds that cannot be read (wrong key type, undecodable, not a number),"
            " by where they are; the other metrics leave them out or count them as 0",
            labels=["source", "queue"],
        )
        try:
            # one pipelined round trip for every queue, not several per queue
            infos = self._read("queues", bad, self._queue_infos)
            servers = self._read("servers", bad, self.inspector.servers)
            entries = self._read("schedulers", bad, self.inspector.scheduler_entries)
        except AsynqError as exc:  # Redis unreachable or refusing: only then is it "down"
            log.warning("scrape failed: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        for info in infos:
            if info.problems:
                bad.add_metric(["queue", info.queue], len(info.problems))
        for source, records in (("servers", servers), ("schedulers", entries)):
            problems = getattr(records, "problems", None)
            if problems:
                bad.add_metric([source, ""], len(problems))
        yield bad

        by_state = Rows("asynq_tasks_enqueued_total", "Number of tasks enqueued (by state)")
        size = Rows("asynq_queue_size", "Number of tasks in a queue")
        latency = Rows("asynq_queue_latency_seconds", "Age of the oldest pending task")
        memory = Rows(
            "asynq_queue_memory_usage_approx_bytes", "Approximate memory used by a queue (sampled)"
        )
        processed = Rows(
            "asynq_tasks_processed", "Number of tasks processed (success and failure)", "counter"
        )
        failed = Rows("asynq_tasks_failed", "Number of tasks failed", "counter")
        paused = Rows("asynq_queue_paused_total", "1 when the queue is paused, else 0")
        aggregating = Rows("asynq_tasks_aggregating", "Tasks waiting in aggregation groups")
        groups = Rows("asynq_queue_groups", "Aggregation groups with tasks")
        today_processed = Rows("asynq_tasks_processed_today", "Tasks processed today (UTC)")
        today_failed = Rows("asynq_tasks_failed_today", "Tasks failed today (UTC)")
        # one label dict per queue, shared by its rows: a thousand queues make some 16,000
        # samples, and exposition() formats each label set once (it recognises the shared dict)
        for info in infos:
            q = info.queue
            labels = {"queue": q}
            for state in GO_STATES:
                by_state.rows.append(({"queue": q, "state": state}, getattr(info, state)))
            size.rows.append((labels, info.size))
            latency.rows.append((labels, info.latency.total_seconds()))
            memory.rows.append((labels, info.memory_usage))
            processed.rows.append((labels, info.processed_total))
            failed.rows.append((labels, info.failed_total))
            paused.rows.append((labels, 1 if info.paused else 0))
            aggregating.rows.append((labels, info.aggregating))
            groups.rows.append((labels, info.groups))
            today_processed.rows.append((labels, info.processed))
            today_failed.rows.append((labels, info.failed))
        yield from (by_state, size, latency, memory, processed, failed, paused)
        yield from (aggregating, groups, today_processed, today_failed)

        server_count = GaugeMetricFamily("asynq_servers", "Live worker servers")
        server_count.add_metric([], len(servers))
        workers = GaugeMetricFamily(
            "asynq_server_active_workers", "Tasks in flight per server", labels=["server", "host"]
        )
        concurrency = GaugeMetricFamily(
            "asynq_server_concurrency",
            "Configured concurrency per server",
            labels=["server", "host"],
        )
        for s in servers:
            workers.add_metric([s.id, s.host], len(s.active_workers))
            concurrency.add_metric([s.id, s.host], s.concurrency)
        scheduler_entries = GaugeMetricFamily(
            "asynq_scheduler_entries", "Periodic task entries registered by live schedulers"
        )
        scheduler_entries.add_metric([], len(entries))
        yield from (server_count, workers, concurrency, scheduler_entries)
        try:
            yield from limit_metric_families(self.inspector)  # pyasynq_limit_*
        except AsynqError as exc:
            log.warning("limit metrics unavailable: %s", exc)


class Rows(Metric):
    """A gauge or counter family of one sample per queue, kept as (labels, value) rows.

    ``exposition`` writes the rows straight to text (no ``Sample`` per row: with a thousand
    queues the exporter has some 16,000); ``samples``, what prometheus-client's own writers
    read, is built from the rows when asked, named as GaugeMetricFamily/CounterMetricFamily
    name theirs, so ``generate_latest`` writes the same text."""

    def __init__(self, name: str, documentation: str, typ: str = "gauge") -> None:
        super().__init__(name, documentation, typ)
        self.rows: list[tuple[dict[str, str], float]] = []
        self.sample_name = name + "_total" if typ == "counter" else name

    @property
    def samples(self) -> list[Sample]:
        return [Sample(self.sample_name, labels, value, None) for labels, value in self.rows]

    @samples.setter
    def samples(self, value: list[Sample]) -> None:
        if value:  # Metric.__init__ sets []; samples of a Rows are its rows
            raise ValueError("a Rows family takes rows, not samples")


_PROM_TYPES = {"counter": "counter", "gauge": "gauge", "untyped": "untyped", "unknown": "untyped"}


def _label_value(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def exposition(registry: Any) -> bytes:
    """The Prometheus text format of ``registry``, byte for byte what ``generate_latest`` gives.

    ``generate_latest`` validates and escapes every label name of every sample (about 25 us a
    sample); with a thousand queues the exporter has some 16,000 samples, and that alone took
    most of a scrape. Here names are checked once per label set, and each label dict (shared by
    a queue's samples) and each distinct value is formatted once. Metric families of another kind than counter, gauge or
    untyped (histograms, summaries, info), or names outside Prometheus's legacy character set,
    go through ``generate_latest`` for the whole output, so the result is always the same.
    """
    families = list(registry.collect())
    out: list[str] = []
    checked: dict[Any, bool] = {}  # metric names and label-name tuples: legacy charset?
    label_sets: dict[int, tuple[dict[str, str], str]] = {}  # id(labels): (labels, text)
    values: dict[float, str] = {}  # 0.0 and 1.0 are most of the samples
    escaped: dict[str, str] = {}  # label values: a queue's name recurs in 8 label sets

    def escape(value: str) -> str:
        text = escaped.get(value)
        if text is None:
            text = escaped[value] = _label_value(value)
        return text

    def legacy(key: Any) -> bool:
        ok = checked.get(key)
        if ok is None:
            if isinstance(key, tuple):
                ok = all(_is_valid_legacy_labelname(n) for n in key)
            else:
                ok = _is_valid_legacy_metric_name(key)
            checked[key] = ok
        return ok

    def line(name: str, labels: dict[str, str], raw: float) -> str | None:
        """One sample's line; None when a name is outside the legacy character set."""
        if not legacy(name):
            return None
        value = values.get(raw)
        if value is None:
            value = values[raw] = floatToGoString(raw)  # type: ignore[no-untyped-call]  # prometheus-client's own formatter, unannotated
        if not labels:
            return f"{name} {value}\n"
        # a queue's label dict is shared by its dozen rows: formatted once
        known = label_sets.get(id(labels))
        if known is not None and known[0] is labels:
            return f"{name}{{{known[1]}}} {value}\n"
        names = tuple(sorted(labels))
        if not legacy(names):
            return None
        pairs = ",".join(f'{n}="{escape(labels[n])}"' for n in names)
        label_sets[id(labels)] = (labels, pairs)
        return f"{name}{{{pairs}}} {value}\n"

    for metric in families:
        mtype = _PROM_TYPES.get(metric.type)
        mname = metric.name + "_total" if metric.type == "counter" else metric.name
        if mtype is None or not legacy(mname):
            return generate_latest(_Fixed(families))
        doc = metric.documentation.replace("\\", r"\\").replace("\n", r"\n")
        out.append(f"# HELP {mname} {doc}\n# TYPE {mname} {mtype}\n")
        if isinstance(metric, Rows):  # the per-queue bulk: no Sample objects
            name = metric.sample_name
            for labels, raw in metric.rows:
                text = line(name, labels, raw)
                if text is None:
                    return generate_latest(_Fixed(families))
                out.append(text)
            continue
        created = metric.name + "_created"
        for sample in metric.samples:
            text = None
            if sample.timestamp is None and sample.name != created:
                text = line(sample.name, sample.labels, sample.value)
            if text is None:  # generate_latest's own layout, or names it must check
                return generate_latest(_Fixed(families))
            out.append(text)
    return "".join(out).encode("utf-8")


class _Fixed(Collector):
    """Families already collected (a scrape reads Redis once, whichever writer runs)."""

    def __init__(self, families: list[Any]) -> None:
        self.families = families

    def collect(self) -> Iterator[Any]:
        yield from self.families
