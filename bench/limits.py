"""Limits phase: what a fleet-wide limit check costs per task, on a no-op workload.

One in-process pyasynq Server (concurrency 10) drains N preloaded no-op tasks, once per case:

* ``none``: no limit stored at all (the hot path without limits),
* ``other queue``: a limit exists but on a queue this worker does not serve (must cost nothing),
* ``rate``: a rate limit on the queue that never binds (every task checked, none held),
* ``concurrency``: a concurrency limit that never binds (acquire + release per task),
* ``rate per key``: a per-key rate limit (JSON payload field, 100 keys) that never binds.

Reported: tasks/s (median of ``runs``), the ratio to ``none``, and Redis commands per task (from
``INFO stats``, commands run inside scripts included). Run alone with
``python -m bench.limits [--write]`` (``--write`` merges the figures into bench/results.json and
re-renders bench/RESULTS.md), or as the ``limits`` phase of ``bench/run.py``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import redis

from bench import harness as h

HERE = Path(__file__).resolve().parent
QUEUE = "default"
CASES: dict[str, dict[str, Any] | None] = {
    "none": None,
    "other queue": {"kind": "rate", "n": 1000, "period": 1.0, "queue": "elsewhere"},
    "rate": {"kind": "rate", "n": 100_000, "period": 1.0, "queue": QUEUE},
    "concurrency": {"kind": "concurrency", "n": 10_000, "queue": QUEUE},
    "rate per key": {"kind": "rate", "n": 100_000, "period": 1.0, "key": "json:k"},
}


def _preload(url: str, n: int) -> None:
    from pyasynq import Client, Task

    c = Client(url)
    tasks = [Task("noop", json.dumps({"k": i % 100}).encode()) for i in range(n)]
    for start in range(0, n, 1000):
        c.enqueue_many(tasks[start : start + 1000])
    c.close()


def _drain(url: str, r: redis.Redis, n: int, case: dict[str, Any] | None) -> tuple[float, float]:
    from pyasynq import Limits, Server

    r.flushall()
    if case is not None:
        api = Limits(url)
        if case["kind"] == "rate":
            api.set_rate(
                "bench",
                case["n"],
                per=case["period"],
                queue=case.get("queue", "*"),
                key=case.get("key", ""),
            )
        else:
            api.set_concurrency("bench", case["n"], queue=case["queue"])
        api.close()
    _preload(url, n)
    done = threading_event()
    count = [0]

    def handle(ctx: Any, task: Any) -> None:
        count[0] += 1
        if count[0] >= n:
            done.set()

    server = Server(url, concurrency=10, queues={QUEUE: 1}, record_throughput=False)
    before = h.commands(r)
    t0 = time.perf_counter()
    server.start(handle)
    done.wait(600)
    h.wait_until(lambda: r.llen(f"asynq:{{{QUEUE}}}:active") == 0, 30)
    elapsed = time.perf_counter() - t0
    cmds = h.commands(r) - before
    server.shutdown()
    return n / elapsed, cmds / n


def threading_event() -> Any:
    import threading

    return threading.Event()


def phase_limits(ctx: dict) -> dict:
    url, r = ctx["url"], ctx["r"]
    n = 3000 if ctx.get("quick") else 10_000
    runs = ctx.get("runs", 3)
    out: dict[str, Any] = {"tasks": n, "runs": runs, "cases": {}}
    rates: dict[str, list[float]] = {name: [] for name in CASES}
    cmds: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(runs):  # interleaved, so load changes on the shared machine hit every case
        for name, case in CASES.items():
            rate, per_task = _drain(url, r, n, case)
            rates[name].append(rate)
            cmds[name].append(per_task)
            print(f"  {name}: {rate:,.0f} tasks/s, {per_task:.2f} Redis cmds/task", flush=True)
    base = h.median(rates["none"])
    for name in CASES:
        rate = h.median(rates[name])
        out["cases"][name] = {
            "rate": round(rate, 1),
            "ratio": round(rate / base, 3),
            "cmds_per_task": round(h.median(cmds[name]), 2),
            "runs": [round(x, 1) for x in rates[name]],
        }
    return out


def render(res: dict) -> list[str]:
    """The RESULTS.md section (bench/report.py calls this)."""
    x = res.get("limits")
    if not x or not x.get("cases"):
        return []
    lines = [
        "## Cost of a limit check per task",
        "",
        f"One in-process Server (concurrency 10) drains {x['tasks']:,} no-op tasks per case, "
        f"median of {x['runs']} interleaved runs; limits are set so they never bind, so the "
        "figure is the check itself (`limit_acquire.lua` per fetched batch, plus "
        "`limit_release.lua` per task for concurrency). The machine was shared with other "
        "work while measuring: compare the ratios, not the absolute rates.",
        "",
        "| case | tasks/s | vs none | Redis cmds/task |",
        "|---|---:|---:|---:|",
    ]
    for name, c in x["cases"].items():
        lines.append(
            f"| {name} | {c['rate']:,.0f} | {c['ratio']:.2f}x | {c['cmds_per_task']:.2f} |"
        )
    lines.append("")
    return lines


def main() -> None:
    import sys

    sys.path.insert(0, str(HERE.parent))
    from tests.support.redis_server import RedisServer

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--write", action="store_true", help="update results.json and RESULTS.md")
    args = parser.parse_args()
    server = RedisServer().start()
    r = redis.Redis.from_url(server.url)
    try:
        ctx = {"url": server.url, "r": r, "quick": args.quick, "runs": 1 if args.quick else 3}
        result = phase_limits(ctx)
    finally:
        r.close()
        server.cleanup()
    print(json.dumps(result, indent=1))
    if args.write:
        from bench import report

        path = HERE / "results.json"
        results = json.loads(path.read_text()) if path.exists() else {}
        results["limits"] = result
        results.setdefault("measured_at", {})["limits"] = time.strftime(
            "%Y-%m-%d %H:%M UTC", time.gmtime()
        )
        path.write_text(json.dumps(results, indent=1, default=str))
        (HERE / "RESULTS.md").write_text(report.render(results))


if __name__ == "__main__":
    main()
