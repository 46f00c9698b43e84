"""Shared benchmark machinery: the private Redis, worker processes, counters and statistics."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import redis

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def env(url: str, **extra: str) -> dict[str, str]:
    e = dict(os.environ)
    e["BENCH_REDIS_URL"] = url
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    e.update(extra)
    return e


def card(r: redis.Redis, key: str) -> int:
    """Size of ``key`` whatever its type (0 when missing)."""
    kind = r.type(key).decode()
    return {"list": r.llen, "zset": r.zcard, "hash": r.hlen, "set": r.scard}.get(
        kind, lambda _k: 0
    )(key)


def commands(r: redis.Redis) -> int:
    return int(r.info("stats")["total_commands_processed"])


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def pct(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))]


def tree_rss(pids: list[int]) -> int:
    """RSS in bytes of processes ``pids`` and all their children."""
    total = 0
    for pid in pids:
        try:
            p = psutil.Process(pid)
            procs = [p, *p.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for q in procs:
            with contextlib.suppress(psutil.NoSuchProcess):
                total += q.memory_info().rss
    return total


@dataclass
class System:
    """How the benchmark drives one library: worker command and 'tasks left' for its layout."""

    name: str
    remaining_keys: list[str]
    one_per_process: bool = False  # runs one task at a time per process (rq)
    versions: str = ""

    def worker_cmd(self, concurrency: int, processes: int) -> list[list[str]]:
        """One argv per OS process the benchmark starts (a library may fork more itself)."""
        n = self.name
        if n == "pyasynq":
            return [[PY, "-m", "bench.peers.pyasynq_worker", str(concurrency)]] * processes
        if n == "floor":  # latency only: a bare BRPOP loop, the bound for any Redis queue
            return [[PY, "-m", "bench.peers.bare_brpop"]]
        if n == "huey":  # latency only (the target quotes it); blocking BRPOP workers
            return [
                [
                    PY,
                    "-m",
                    "huey.bin.huey_consumer",
                    "bench.peers.huey_tasks.huey",
                    "-w",
                    str(concurrency),
                    "-k",
                    "thread",
                    "-q",
                ]
            ] * processes
        if n == "rq":
            return [
                [
                    PY,
                    "-m",
                    "rq.cli",
                    "worker",
                    "-w",
                    "rq.worker.SimpleWorker",
                    "-q",
                    "--url",
                    "%URL%",
                    "default",
                ]
            ] * processes
        if n == "arq":
            return [[PY, "-m", "arq", "bench.peers.arq_tasks.WorkerSettings"]] * processes
        if n == "celery":
            return [
                [
                    PY,
                    "-m",
                    "celery",
                    "-A",
                    "bench.peers.celery_tasks",
                    "worker",
                    "-P",
                    "threads",
                    "-c",
                    str(concurrency),
                    "-l",
                    "warning",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-n",
                    f"w{i}@%h",
                ]
                for i in range(processes)
            ]
        if n == "dramatiq":
            return [
                [
                    PY,
                    "-m",
                    "dramatiq",
                    "bench.peers.dramatiq_tasks",
                    "--processes",
                    str(processes),
                    "--threads",
                    str(concurrency),
                ]
            ]
        raise ValueError(n)

    def remaining(self, r: redis.Redis) -> int:
        return sum(card(r, k) for k in self.remaining_keys)


SYSTEMS = {
    "pyasynq": System("pyasynq", ["asynq:{default}:pending", "asynq:{default}:active"]),
    "rq": System("rq", ["rq:queue:default", "rq:wip:default"], one_per_process=True),
    "arq": System("arq", ["arq:queue"]),
    "celery": System("celery", ["celery", "unacked"]),
    "dramatiq": System("dramatiq", ["dramatiq:default.msgs"]),
}
HUEY = System("huey", ["huey.redis.bench"])  # latency only, not in the other phases
FLOOR = System("floor", ["bench:floor"])  # the latency phase's bare LPUSH -> BRPOP


@dataclass
class Workers:
    """Worker processes of one system, in their own process groups (stopped as a group)."""

    system: System
    url: str
    concurrency: int
    processes: int
    procs: list[subprocess.Popen] = field(default_factory=list)

    def start(self) -> Workers:
        extra = {"BENCH_CONCURRENCY": str(self.concurrency)}
        log = open(ROOT / "bench" / ".worker.log", "ab")  # noqa: SIM115 - kept open by children
        for argv in self.system.worker_cmd(self.concurrency, self.processes):
            argv = [a.replace("%URL%", self.url) for a in argv]
            self.procs.append(
                subprocess.Popen(
                    argv,
                    cwd=ROOT,
                    env=env(self.url, **extra),
                    stdout=log,
                    stderr=log,
                    start_new_session=True,
                )
            )
        return self

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def rss(self) -> int:
        return tree_rss(self.pids)

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
        for p in self.procs:
            p.wait(10)
        self.procs.clear()


def run_json(argv: list[str], url: str, timeout: float = 600) -> dict:
    out = subprocess.run(
        argv, cwd=ROOT, env=env(url), capture_output=True, text=True, timeout=timeout
    )
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def enqueue_rate(system: str, mode: str, n: int, url: str) -> float:
    return float(run_json([PY, "-m", "bench.enqueue", system, mode, str(n)], url)["rate"])


def wait_until(pred, timeout: float, step: float = 0.01) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return False
