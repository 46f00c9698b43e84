"""Console phase with many queues: 1,000 queues of 5 tasks each (per-tenant queues).

Teams with a queue per customer run hundreds to thousands of queues. This measures the console's
server time (Flask test client in this process, as ``console_bench``), response size and Redis
commands for the pages and APIs that cover every queue: the dashboard (first page, and a search),
``/api/queues`` and ``/metrics``. The table parameters (``q``, ``sort``, ``order``, ``qpage``) are
ignored by consoles older than the paged table, so the same pages compare before and after.
Run: ``python -m bench.many_queues [--queues N]``.
"""

from __future__ import annotations

import argparse
import json
import time

import redis

from bench.console_bench import measure
from pyasynq import Client, Task
from pyasynq.console import ConsoleConfig, create_app
from pyasynq.extras.embedded_redis import RedisServer

PAGES = {
    "dashboard": "/monitoring/",
    "dashboard, page 2": "/monitoring/?qpage=2",
    "dashboard, search 'tenant-07'": "/monitoring/?q=tenant-07",
    "dashboard, sorted by pending": "/monitoring/?sort=pending&order=desc",
    "/api/queues": "/monitoring/api/queues",
    "/api/queues, search, sorted": "/monitoring/api/queues?q=tenant-07&sort=size&order=desc",
    "/metrics": "/monitoring/metrics",
}


def load(url: str, queues: int, per_queue: int) -> None:
    with Client(url) as client:
        batch = [
            (Task("tenant:sync", b'{"n": 1}'), {"queue": f"tenant-{q:04d}"})
            for q in range(queues)
            for _ in range(per_queue)
        ]
        for start in range(0, len(batch), 1000):
            for result in client.enqueue_many(batch[start : start + 1000]):
                if isinstance(result, Exception):
                    raise result


def cpu_ms(app, path: str, runs: int) -> float:
    """Median CPU time of the console process per request: on a loaded machine wall time
    mostly measures the other processes; CPU time (plus Redis's own CPU from commandstats)
    is what the request costs."""
    client = app.test_client()
    times = []
    for _ in range(runs):
        t0 = time.process_time()
        client.get(path)
        times.append((time.process_time() - t0) * 1000)
    return sorted(times)[len(times) // 2]


def run(queues: int = 1000, per_queue: int = 5, runs: int = 15) -> dict:
    server = RedisServer().start()
    r = redis.Redis.from_url(server.url)
    try:
        load(server.url, queues, per_queue)
        app = create_app(
            ConsoleConfig(redis_url=server.url, secret_key="bench", record_throughput=False)
        )
        out = {}
        for name, path in PAGES.items():
            result = measure(app, r, path, runs)
            result["bytes"] = len(app.test_client().get(path).data)
            result["cpu_ms"] = cpu_ms(app, path, runs)
            out[name] = result
            print(
                f"  {name:32s} p50 {result['p50_ms']:7.1f} ms  cpu {result['cpu_ms']:7.1f} ms"
                f"  redis {result['redis_usec'] / 1000:6.1f} ms"
                f"  {result['bytes'] / 1024:8.1f} KiB  {result['cmds']:6.0f} cmds",
                flush=True,
            )
        return {"queues": queues, "per_queue": per_queue, "pages": out}
    finally:
        r.close()
        server.cleanup()


def phase_many_queues(ctx: dict) -> dict:
    """The ``many_queues`` phase of ``bench/run.py``: its own Redis (the 1,000 queues stay out
    of the other phases' data), fewer runs per page with ``--quick``."""
    return run(1000, 5, runs=5 if ctx.get("quick") else 15)


TARGETS = {"dashboard": 50.0, "/api/queues": 50.0, "/metrics": 100.0}
# issue 22's figures at 1,000 queues before the paged table (an unloaded run): the speed-up each
# target needs, which a loaded machine can still check as a ratio
ISSUE_BEFORE = {"dashboard": 260.0, "/api/queues": 369.0, "/metrics": 119.0}


def render(res: dict) -> list[str]:
    """The RESULTS.md section (bench/report.py calls this)."""
    x = res.get("many_queues")
    if not x or not x.get("pages"):
        return []
    lines = [
        "## Console with many queues",
        "",
        f"{x['queues']:,} queues of {x['per_queue']} pending tasks each (a queue per tenant). "
        "Flask test client in-process, as the console phase; Redis commands per request from "
        "`INFO stats` deltas (commands inside Lua scripts included). The dashboard and "
        "`/api/queues` read every queue's counts with the light `queue_counts.lua` and Go's full "
        "`queue_info.lua` (sampled memory, latency) only for the rows of the page; the table is "
        "searched, sorted and paged by URL (`q`, `sort`, `order`, `qpage`, `qsize`). The machine "
        "is shared: compare the ratios, not the absolute times. The before column, when "
        "present, is the console before the paged table, measured right before in the same "
        "session (``before`` in results.json).",
        "",
        "| page | p50 ms | p99 ms | console CPU ms | Redis CPU ms | response KiB |"
        " Redis cmds/request | target |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    before = x.get("before", {}).get("pages", {})
    if before:
        lines[-2] += " before: p50 ms / console CPU ms / KiB | speed-up p50 / CPU (needed) |"
        lines[-1] += "---|---|"
    for name, p in x["pages"].items():
        target = TARGETS.get(name)
        verdict = f"< {target:g} ms: {'yes' if p['p50_ms'] < target else 'no'}" if target else ""
        lines.append(
            f"| {name} | {p['p50_ms']:.1f} | {p['p99_ms']:.1f} | {p.get('cpu_ms', 0):.1f} | "
            f"{p['redis_usec'] / 1000:.1f} | {p['bytes'] / 1024:,.1f} | "
            f"{p['cmds']:,.0f} | {verdict} |"
        )
        if before.get(name):
            b = before[name]
            need = f" ({ISSUE_BEFORE[name] / target:.1f}x)" if target else ""
            cpu = b.get("cpu_ms", 0) / p["cpu_ms"] if p.get("cpu_ms") else 0
            lines[-1] += (
                f" {b['p50_ms']:.1f} / {b.get('cpu_ms', 0):.1f} / {b['bytes'] / 1024:,.1f} |"
                f" {b['p50_ms'] / p['p50_ms']:.1f}x / {cpu:.1f}x{need} |"
            )
    lines.append("")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queues", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    result = run(args.queues, runs=args.runs)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
