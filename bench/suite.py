"""The benchmark phases; each returns plain data that ``report`` renders into RESULTS.md."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import platform
import random
import time
from importlib import metadata
from pathlib import Path

import psutil
import redis

from bench import harness as h
from tests.support.redis_server import RedisServer

HERE = Path(__file__).resolve().parent


class Producer:
    """Sends one latency probe (carrying its enqueue time) through a system's own client."""

    def __init__(self, system: str, url: str) -> None:
        self.system, self.url = system, url
        if system == "pyasynq":
            from pyasynq import Client, Task

            self._c, self._T = Client(url), Task
        elif system == "floor":
            self._r = redis.Redis.from_url(url)
        elif system == "huey":
            from bench.peers.huey_tasks import lat

            self._lat = lat
        elif system == "rq":
            from rq import Queue

            from bench.peers.rq_tasks import lat

            self._q, self._lat = Queue("default", connection=redis.Redis.from_url(url)), lat
        elif system == "arq":
            from arq import create_pool
            from arq.connections import RedisSettings

            self._loop = asyncio.new_event_loop()
            self._pool = self._loop.run_until_complete(create_pool(RedisSettings.from_dsn(url)))
        elif system == "celery":
            from bench.peers.celery_tasks import lat

            self._lat = lat
        elif system == "dramatiq":
            from bench.peers.dramatiq_tasks import lat

            self._lat = lat

    def send(self) -> None:
        s, t = self.system, time.time()
        if s == "pyasynq":
            self._c.enqueue(self._T("lat", repr(t).encode()))
        elif s == "floor":
            self._r.lpush("bench:floor", repr(t))
        elif s == "rq":
            self._q.enqueue(self._lat, t)
        elif s == "arq":
            self._loop.run_until_complete(self._pool.enqueue_job("lat", t))
        elif s == "celery":
            self._lat.delay(t)
        elif s == "huey":
            self._lat(t)
        elif s == "dramatiq":
            self._lat.send(t)


# -- phases ---------------------------------------------------------------------------------
def phase_enqueue(ctx: dict) -> dict:
    """Single: pyasynq and the two bare redis-py loops take turns in one process (ratios from
    the same seconds); each peer runs its rounds in its own process. Batch: 10x the tasks."""
    url, r, n, rounds = ctx["url"], ctx["r"], ctx["enqueue_n"], ctx["enqueue_rounds"]
    out: dict = {"single": {}, "batch": {}}
    groups = [["bare", "bare-min", "pyasynq"]] + [[p] for p in ctx["systems"] if p != "pyasynq"]
    for mode in ("single", "batch"):
        for group in groups:
            group = [g for g in group if not (mode == "batch" and g.startswith("bare"))]
            if mode == "batch" and group[0] in ("arq", "celery", "dramatiq"):
                out[mode][group[0]] = None  # no bulk enqueue API
                continue
            r.flushall()
            per = h.run_json(
                [
                    h.PY,
                    "-m",
                    "bench.enqueue",
                    ",".join(group),
                    "rounds",
                    str(n if mode == "single" else 10 * n),
                    str(rounds),
                    mode,
                ],
                url,
            )
            for system, rates in per.items():
                out[mode][system] = {"median": h.median(rates), "runs": rates}
                print(f"  enqueue {mode:6s} {system:9s} {h.median(rates):10.0f}/s", flush=True)
    return out


def one_processing_run(
    system: str, url: str, r: redis.Redis, concurrency: int, processes: int, n: int, window: float
) -> dict:
    sysdef = h.SYSTEMS[system]
    r.flushall()
    h.enqueue_rate(system, "preload", n, url)
    total = sysdef.remaining(r)
    w = h.Workers(sysdef, url, concurrency, processes).start()
    t0 = d0 = None
    peak = 0
    next_rss = 0.0
    deadline = time.monotonic() + 60
    try:
        while True:
            now = time.perf_counter()
            left = sysdef.remaining(r)
            if t0 is None and left < total:
                t0, d0 = now, total - left
            if t0 is not None and (left == 0 or now - t0 >= window):
                t1, d1 = now, total - left
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{system}: no progress (left {left} of {total})")
            if now >= next_rss:
                peak = max(peak, w.rss())
                next_rss = now + 0.25
            time.sleep(0.01)
    finally:
        w.stop()
    return {"rate": (d1 - d0) / (t1 - t0), "rss_peak": peak, "done": d1}


def phase_process(ctx: dict) -> dict:
    url, r, runs = ctx["url"], ctx["r"], ctx["runs"]
    settings = [(c, 1) for c in ctx["concurrencies"]] + [
        (ctx["concurrencies"][-1 if ctx["quick"] else 1], 2)
    ]
    out: dict = {}
    for c, p in settings:
        key = f"{p}p x c{c}"
        out[key] = {}
        for system in ctx["systems"]:
            if h.SYSTEMS[system].one_per_process and p == 1 and c != ctx["concurrencies"][0]:
                out[key][system] = {"same_as": f"1p x c{ctx['concurrencies'][0]}"}
                continue
            n = ctx["process_n"] * (2 if system == "pyasynq" else 1)
            rs = []
            for _ in range(runs):
                rs.append(one_processing_run(system, url, r, c, p, n, ctx["window"]))
                # later runs preload what the window needs at the first run's rate (x1.5, at
                # least 2,000): preloading the slow peers took most of this phase's time
                n = min(n, max(2000, int(rs[0]["rate"] * ctx["window"] * 1.5)))
            rates = [x["rate"] for x in rs]
            out[key][system] = {
                "median": h.median(rates),
                "runs": rates,
                "rss_peak": max(x["rss_peak"] for x in rs),
            }
            print(f"  process {key:9s} {system:9s} {h.median(rates):10.0f}/s", flush=True)
    return out


def phase_latency(ctx: dict) -> dict:
    url, r = ctx["url"], ctx["r"]
    out: dict = {}
    extra = {"huey": h.HUEY, "floor": h.FLOOR}
    if importlib.util.find_spec("huey") is None:  # a bench/.venv made before Huey was a peer
        print("  latency huey: not installed in bench/.venv (pip install huey), skipped")
        del extra["huey"]
    for system in [*ctx["systems"], *extra]:
        r.flushall()
        w = h.Workers(h.SYSTEMS.get(system) or extra[system], url, 10, 1).start()
        prod = Producer(system, url)
        try:
            prod.send()  # readiness probe: the worker is up once it ran one task
            if not r.blpop("bench:lat", 60):
                raise RuntimeError(f"{system}: worker never ran the probe")
            time.sleep(ctx["settle"])  # start-up work (first heartbeats, script loads) ends
            rss_idle = w.rss()
            c0, t0 = h.commands(r), time.monotonic()
            time.sleep(ctx["idle_window"])
            idle = (h.commands(r) - c0 - 1) / (time.monotonic() - t0)
            lats = []
            # the rows the targets and the comparison read get 3x the samples: a p99 of 100
            # samples is the second-worst one, which moved by half a millisecond between runs
            samples = ctx["lat_samples"] * (3 if system in ("pyasynq", "huey", "floor") else 1)
            for _ in range(samples):
                time.sleep(random.uniform(0.05, 0.15))
                prod.send()
                got = r.blpop("bench:lat", 10)
                if not got:
                    raise RuntimeError(f"{system}: latency probe lost")
                lats.append(float(got[1]) * 1000)
        finally:
            w.stop()
        out[system] = {
            "p50_ms": h.pct(lats, 50),
            "p99_ms": h.pct(lats, 99),
            "idle_cmds_per_s": idle,
            "rss_idle": rss_idle,
            "samples": len(lats),
        }
        print(
            f"  latency {system:9s} p50 {out[system]['p50_ms']:8.2f} ms p99 "
            f"{out[system]['p99_ms']:8.2f} ms idle {idle:5.1f} cmd/s rss {rss_idle >> 20} MiB",
            flush=True,
        )
    return out


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for pkg in (
        "redis",
        "hiredis",
        "protobuf",
        "rq",
        "arq",
        "celery",
        "kombu",
        "dramatiq",
        "huey",
        "saq",
        "flask",
    ):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "-"
    return {
        "cpu": cpu,
        "cores": psutil.cpu_count(),
        "mem_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "os": platform.platform(),
        "versions": versions,
    }


def main(args) -> None:
    from bench import report

    quick = args.quick
    only = set(filter(None, args.only.split(",")))
    systems = args.systems.split(",")
    server = RedisServer().start()
    # Peer task modules read this at import (the Producer imports them here): never 6379.
    import os

    os.environ["BENCH_REDIS_URL"] = server.url
    r = redis.Redis.from_url(server.url)
    ctx = {
        "url": server.url,
        "r": r,
        "systems": systems,
        "quick": quick,
        "runs": 1 if quick else 3,
        "enqueue_n": 500 if quick else 1000,
        "enqueue_rounds": 5 if quick else 15,
        "process_n": 8000 if quick else 15000,
        "window": 2.0 if quick else 3.0,
        "concurrencies": [10] if quick else [1, 10, 50],
        "idle_window": 3.0 if quick else 6.0,
        "settle": 1.0 if quick else 2.0,
        "lat_samples": 30 if quick else 100,
        "redis_version": r.info("server")["redis_version"],
    }
    results_path = HERE / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() and only else {}
    results["machine"] = {**machine(), "redis_server": ctx["redis_version"]}
    results["settings"] = {k: v for k, v in ctx.items() if k not in ("r", "url")}
    results["command"] = "python3 bench/run.py" + (" --quick" if quick else "")
    try:
        phases = [
            ("enqueue", phase_enqueue),
            ("process", phase_process),
            ("latency", phase_latency),
        ]
        from bench import aio_bench, console_bench, limits, profiles

        phases += [("console", console_bench.phase_console), ("profile", profiles.phase_profile)]
        phases.append(("limits", limits.phase_limits))
        phases += [("async", aio_bench.phase_async)]
        from bench import many_queues

        phases.append(("many_queues", many_queues.phase_many_queues))
        from bench import redis_cost

        phases.append(("redis_cost", redis_cost.phase_redis_cost))
        for name, fn in phases:
            if only and name not in only:
                continue
            print(f"== {name}", flush=True)
            t = time.monotonic()
            results[name] = fn(ctx)
            results.setdefault("durations", {})[name] = round(time.monotonic() - t, 1)
            # with --only, the other phases keep older figures: say when each was measured
            results.setdefault("measured_at", {})[name] = time.strftime(
                "%Y-%m-%d %H:%M UTC", time.gmtime()
            )
            results_path.write_text(json.dumps(results, indent=1, default=str))
    finally:
        r.close()
        server.cleanup()
    if "profile" in results:
        results["profile_md"] = (
            results["profile"]["worker"] + "\n\n" + results["profile"]["producer"]
        )
        results_path.write_text(json.dumps(results, indent=1, default=str))
    if not args.no_write:
        (HERE / "RESULTS.md").write_text(report.render(results))
        print(f"wrote {HERE / 'RESULTS.md'}")
