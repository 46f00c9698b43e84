"""The I/O-bound phase (``--only async``): every task awaits 50 ms; pyasynq's async handlers
on its event-loop runtime against arq and SAQ, one worker process each, in the same session.

For each concurrency (200 and 1000) and system: preload the queue, start one worker process,
start the clock at the first finished task, stop it after ``window`` seconds (or when the
queue is empty) and report tasks/s, the share of the ideal rate (concurrency / 50 ms) and the
worker's CPU time (user + system, whole process tree) per task over the same interval.
``pyasynq-threads`` runs the same wait as a sync handler on as many threads (at 200 only).
Ratios within one run are what the report compares: the machine is shared.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

import psutil
import redis

from bench import harness as h

IO_SECONDS = 0.05
SYSTEMS = ("pyasynq", "arq", "saq")
REMAINING = {
    "pyasynq": ["asynq:{default}:pending", "asynq:{default}:active"],
    "pyasynq-threads": ["asynq:{default}:pending", "asynq:{default}:active"],
    "arq": ["arq:queue"],
    "saq": ["saq:default:incomplete"],
}


def worker_argv(system: str) -> tuple[list[str], dict[str, str]]:
    if system == "pyasynq":
        return [h.PY, "-m", "bench.peers.pyasynq_io_worker", "%C%"], {}
    if system == "pyasynq-threads":
        return [h.PY, "-m", "bench.peers.pyasynq_io_worker", "%C%"], {"BENCH_IO_SYNC": "1"}
    if system == "arq":
        return [h.PY, "-m", "arq", "bench.peers.arq_io.WorkerSettings"], {}
    if system == "saq":
        return [h.PY, "-m", "saq", "bench.peers.saq_io.settings", "--workers", "1"], {}
    raise ValueError(system)


# -- preload (run in a child: ``python -m bench.aio_bench preload SYSTEM N``) ------------------
def preload(system: str, n: int, url: str) -> None:
    if system.startswith("pyasynq"):
        from pyasynq import Client, Task

        with Client(url) as c:
            for i in range(0, n, 1000):
                c.enqueue_many([Task("io")] * min(1000, n - i))
        return

    async def fill() -> None:
        if system == "arq":
            from arq import create_pool
            from arq.connections import RedisSettings

            pool = await create_pool(RedisSettings.from_dsn(url))
            send = lambda: pool.enqueue_job("io")  # noqa: E731
        else:
            from saq import Queue

            queue = Queue.from_url(url)
            await queue.connect()
            send = lambda: queue.enqueue("io")  # noqa: E731
        for i in range(0, n, 50):  # a few connections: more time out on a loaded machine
            await asyncio.gather(*(send() for _ in range(min(50, n - i))))

    asyncio.run(fill())


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            p = psutil.Process(pid)
            procs = [p, *p.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for q in procs:
            try:
                t = q.cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
    return total


def remaining(r: redis.Redis, system: str) -> int:
    return sum(h.card(r, k) for k in REMAINING[system])


def one_run(system: str, url: str, r: redis.Redis, concurrency: int, n: int, window: float) -> dict:
    r.flushall()
    h.run_json([h.PY, "-m", "bench.aio_bench", "preload", system, str(n)], url)
    total = remaining(r, system)
    if total < n:
        raise RuntimeError(f"{system}: preloaded {total} of {n}")
    argv, extra = worker_argv(system)
    argv = [a.replace("%C%", str(concurrency)) for a in argv]
    log = open(h.ROOT / "bench" / ".worker.log", "ab")  # noqa: SIM115 - kept open by the child
    import subprocess

    proc = subprocess.Popen(
        argv,
        cwd=h.ROOT,
        env=h.env(url, BENCH_CONCURRENCY=str(concurrency), **extra),
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    t0 = d0 = c0 = None
    deadline = time.monotonic() + 90
    try:
        while True:
            now = time.perf_counter()
            left = remaining(r, system)
            if t0 is None and left < total:
                t0, d0, c0 = now, total - left, cpu_seconds([proc.pid])
            if t0 is not None and (left == 0 or now - t0 >= window):
                t1, d1, c1 = now, total - left, cpu_seconds([proc.pid])
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{system}: no progress (left {left} of {total})")
            time.sleep(0.005)
    finally:
        import signal

        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    done = d1 - d0
    return {
        "rate": done / (t1 - t0),
        "cpu_ms_per_task": 1000 * (c1 - c0) / done if done else float("nan"),
        "done": done,
    }


def phase_async(ctx: dict) -> dict:
    url, r = ctx["url"], ctx["r"]
    runs = ctx.get("runs", 1)
    window = ctx.get("window", 3.0)
    systems = [s for s in ctx.get("async_systems", SYSTEMS)]
    out: dict = {"io_ms": IO_SECONDS * 1000, "settings": {}, "load_before": os.getloadavg()[0]}
    for conc in (200, 1000):
        ideal = conc / IO_SECONDS
        key = f"c{conc}"
        out["settings"][key] = {"concurrency": conc, "ideal": ideal, "systems": {}}
        names = [*systems, "pyasynq-threads"] if conc == 200 and "pyasynq" in systems else systems
        runs_of: dict[str, list[dict]] = {name: [] for name in names}
        for _ in range(runs):  # rounds of every system: a change of machine load hits all alike
            for system in names:
                # enough tasks to outlast the window at the fastest rate the system could reach
                cap = 12000 if system.startswith("pyasynq") else 5000
                n = int(min(ideal, cap) * (window + 1.5))
                runs_of[system].append(one_run(system, url, r, conc, n, window))
        for system in names:
            rs = runs_of[system]
            rates = [x["rate"] for x in rs]
            med = h.median(rates)
            cpu = h.median([x["cpu_ms_per_task"] for x in rs])
            out["settings"][key]["systems"][system] = {
                "median": med,
                "runs": rates,
                "cpu_ms_per_task": cpu,
                "of_ideal": med / ideal,
            }
            print(
                f"  async {key:6s} {system:16s} {med:9.0f}/s {100 * med / ideal:5.1f}% of ideal "
                f"cpu {cpu:6.3f} ms/task",
                flush=True,
            )
    out["load_after"] = os.getloadavg()[0]
    out["cores"] = psutil.cpu_count()
    return out


if __name__ == "__main__":
    if sys.argv[1] == "preload":
        preload(sys.argv[2], int(sys.argv[3]), os.environ["BENCH_REDIS_URL"])
        print(json.dumps({"ok": True}))
