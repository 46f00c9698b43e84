"""Fault-suite settings: a short variant for CI, the full one with ``PYASYNQ_FAULTS=full``.

Each scenario reports its figures through the ``report`` fixture; ``python3 -m
tests.faults.run`` collects them (``PYASYNQ_FAULTS_REPORT`` names a JSON-lines file) and writes
the table of docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pyasynq.extras.embedded_redis import RedisServer

ROOT = Path(__file__).resolve().parents[2]
FULL = os.environ.get("PYASYNQ_FAULTS", "").lower() == "full"


@dataclass(frozen=True)
class Profile:
    crash_tasks: int
    crash_min_kill_seconds: float
    crash_task_ms: int
    outage_tasks: int
    outage_seconds: float
    shutdown_tasks: int
    fuzz_examples: int


SHORT = Profile(
    crash_tasks=600,
    crash_min_kill_seconds=15,
    crash_task_ms=300,
    outage_tasks=300,
    outage_seconds=3.5,
    shutdown_tasks=40,
    fuzz_examples=60,
)
FULLP = Profile(
    crash_tasks=5000,
    crash_min_kill_seconds=60,
    crash_task_ms=150,
    outage_tasks=2000,
    outage_seconds=10,
    shutdown_tasks=120,
    fuzz_examples=400,
)


@pytest.fixture(scope="session")
def profile() -> Profile:
    return FULLP if FULL else SHORT


def write_report(row: dict[str, Any]) -> None:
    """Print one scenario's figures and append them to ``PYASYNQ_FAULTS_REPORT`` if set."""
    row.setdefault("mode", "full" if FULL else "short")
    print(f"\nFAULTS {json.dumps(row)}")
    target = os.environ.get("PYASYNQ_FAULTS_REPORT")
    if target:
        with open(target, "a") as fh:
            fh.write(json.dumps(row) + "\n")


@pytest.fixture
def report(request):
    """Call ``report(scenario=..., tasks=..., ...)`` once; written for tests/faults/run.py."""
    started = time.monotonic()

    def write(**row: Any) -> None:
        row.setdefault("duration", round(time.monotonic() - started, 1))
        write_report(row)

    return write


@pytest.fixture
def aof_redis():
    """A private Redis with AOF on, which a test may stop and start again (same port and dir)."""
    server = RedisServer(appendonly=True).start()
    yield server
    server.cleanup()


def spawn(*args: str, log: Path | None = None) -> subprocess.Popen:
    """``python -m tests.faults.runner ARGS``, in its own process group, stderr to ``log``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    err = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - owned by the child
    return subprocess.Popen(
        [sys.executable, "-m", "tests.faults.runner", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=err,
        start_new_session=True,
    )


def runs(runs_dir: Path) -> Counter[str]:
    """How many times each task's handler started, from every worker's run log."""
    counts: Counter[str] = Counter()
    for path in runs_dir.glob("runs-*.log"):
        for line in path.read_text().splitlines():
            if line and not line.startswith("tick "):
                counts[line] += 1
    return counts


def ticks(runs_dir: Path) -> int:
    return sum(
        1
        for path in runs_dir.glob("runs-*.log")
        for line in path.read_text().splitlines()
        if line.startswith("tick ")
    )


def stop(proc: subprocess.Popen, timeout: float = 15) -> int | None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode
