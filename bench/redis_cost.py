"""Redis CPU per task: what one enqueued or processed task costs the shared Redis.

One Redis serves every producer and worker of a fleet, so the Redis CPU a task costs decides where
adding worker processes stops helping. This measures it from Redis's own counters, on a private
redis-server:

- ``INFO cpu`` (``used_cpu_user`` + ``used_cpu_sys``: the whole server, network I/O included) and
- ``INFO commandstats`` (calls and microseconds per command, as Redis times them; commands run
  inside Lua scripts are counted under their own names as well as under EVALSHA),

as deltas over: single ``Client.enqueue`` calls, ``Client.enqueue_many`` batches of 1,000, and the
processing of a pre-filled queue of no-op tasks by pyasynq workers at several concurrencies and
process counts. Run: ``python -m bench.redis_cost [--quick] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import redis

from pyasynq import Client, Task
from pyasynq.extras.embedded_redis import RedisServer

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Code:
    """The pyasynq that workers and producers run: a checkout and a Python that imports it."""

    python: str
    root: Path


THIS = Code(sys.executable, ROOT)

# The enqueue loop, run in a process of its own with the code measured: it connects and loads
# the scripts, says "ready", enqueues on a line from stdin, says "done".
ENQUEUE_PROBE = """
import sys
from pyasynq import Client, Task
url, n, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with Client(url) as client:
    client.enqueue(Task("warm"), queue="warm")
    print("ready", flush=True)
    sys.stdin.readline()
    if batch:
        for start in range(0, n, batch):
            client.enqueue_many([Task("noop", b"x") for _ in range(min(batch, n - start))])
    else:
        for _ in range(n):
            client.enqueue(Task("noop", b"x"))
    print("done", flush=True)
"""


@dataclass
class Snapshot:
    cpu: float
    calls: dict[str, int]
    usec: dict[str, int]
    cpu_user: float = 0.0

    @classmethod
    def take(cls, r: redis.Redis) -> Snapshot:
        cpu = r.info("cpu")
        stats = r.info("commandstats")
        calls = {k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in stats.items()}
        usec = {k.removeprefix("cmdstat_"): int(v["usec"]) for k, v in stats.items()}
        user = float(cpu["used_cpu_user"])
        return cls(user + float(cpu["used_cpu_sys"]), calls, usec, user)


@dataclass
class Cost:
    """Redis's work per task over one measured run.

    ``usec_per_task`` says where the microseconds went, by Redis's own accounting: each
    command run inside a script under its own name, ``script (Lua)`` for the rest of the
    scripts' time (interpreting them, converting arguments and replies), the commands sent
    outside scripts, and ``outside commands`` for the CPU no command accounts for (reading
    requests, writing replies, the event loop: mostly one cost per round trip)."""

    what: str
    tasks: int
    seconds: float
    cpu_us_per_task: float
    command_us_per_task: float
    calls_per_task: dict[str, float] = field(default_factory=dict)
    user_us_per_task: float = 0.0
    usec_per_task: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.tasks / self.seconds if self.seconds else float("nan")


TOP = {"evalsha", "eval", "multi", "exec"}
IGNORED = {"info", "config|resetstat"}


def cost(
    what: str, r: redis.Redis, before: Snapshot, after: Snapshot, tasks: int, seconds: float
) -> Cost:
    # Scripts' inner commands are counted under their own names; EVALSHA's usec includes them,
    # so the command time is EVALSHA + EVAL + every command that is not run from a script's body.
    calls = {
        name: (after.calls.get(name, 0) - before.calls.get(name, 0)) / tasks
        for name in after.calls
        if after.calls.get(name, 0) != before.calls.get(name, 0) and name not in IGNORED
    }
    inner = _inner_commands(r)
    used = {
        name: (after.usec.get(name, 0) - before.usec.get(name, 0)) / tasks
        for name in after.usec
        if name not in IGNORED and after.usec.get(name, 0) != before.usec.get(name, 0)
    }
    scripts = sum(v for k, v in used.items() if k in TOP)
    in_scripts = sum(v for k, v in used.items() if k in inner and k not in TOP)
    outside = {k: v for k, v in used.items() if k not in TOP and k not in inner}
    command_us = scripts + sum(outside.values())
    cpu_us = (after.cpu - before.cpu) * 1e6 / tasks
    breakdown = {k: v for k, v in used.items() if k in inner and k not in TOP}
    breakdown["script (Lua)"] = max(0.0, scripts - in_scripts)
    breakdown.update(outside)
    breakdown["outside commands"] = max(0.0, cpu_us - command_us)
    return Cost(
        what=what,
        tasks=tasks,
        seconds=seconds,
        cpu_us_per_task=cpu_us,
        command_us_per_task=command_us,
        calls_per_task=dict(sorted(calls.items(), key=lambda kv: -kv[1])),
        user_us_per_task=(after.cpu_user - before.cpu_user) * 1e6 / tasks,
        usec_per_task=dict(sorted(breakdown.items(), key=lambda kv: -kv[1])),
    )


_INNER: set[str] | None = None


def _inner_commands(r: redis.Redis) -> set[str]:
    """Commands that our Lua scripts call (counted twice by commandstats when called from Lua)."""
    global _INNER
    if _INNER is None:
        import re

        names: set[str] = set()
        for path in (ROOT / "engine" / "broker" / "scripts").glob("*.lua"):
            names |= {m.lower() for m in re.findall(r'redis\.call\("(\w+)"', path.read_text())}
        _INNER = names
    return _INNER


def measure_enqueue(url: str, r: redis.Redis, n: int, batch: int | None, code: Code = THIS) -> Cost:
    """The enqueue loop (ENQUEUE_PROBE) in a process of its own, ``code``'s Client, timed and
    measured from its first enqueue to its last (connection and script loading left out)."""
    r.flushall()
    what = f"enqueue_many ({batch}/call)" if batch else "enqueue (one per call)"
    probe = subprocess.Popen(
        [code.python, "-c", ENQUEUE_PROBE, url, str(n), str(batch or 0)],
        cwd=code.root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert probe.stdin is not None and probe.stdout is not None
    try:
        if probe.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the enqueue probe of {code.root} did not start")
        before, t0 = Snapshot.take(r), time.perf_counter()
        probe.stdin.write("go\n")
        probe.stdin.flush()
        if probe.stdout.readline().strip() != "done":
            raise RuntimeError(f"the enqueue probe of {code.root} failed")
        seconds, after = time.perf_counter() - t0, Snapshot.take(r)
    finally:
        probe.kill()
        probe.wait()
    return cost(what, r, before, after, n, seconds)


def measure_processing(
    url: str,
    r: redis.Redis,
    n: int,
    concurrency: int,
    processes: int,
    queues: int = 1,
    code: Code = THIS,
) -> Cost:
    """Workers drain ``n`` preloaded no-op tasks; with ``queues`` > 1 they are spread over
    that many queues of equal weight (the single-node twin of the cluster measurement).
    ``code``: whose worker runs (its ``bench/peers/pyasynq_worker.py``)."""
    r.flushall()
    names = ["default"] if queues == 1 else [f"q{i}" for i in range(queues)]
    per_queue = n // len(names)
    with Client(url) as client:
        for q in names:
            for start in range(0, per_queue, 1000):
                client.enqueue_many(
                    [Task("noop", b"x", queue=q) for _ in range(min(1000, per_queue - start))]
                )
    total = per_queue * len(names)
    env = dict(
        os.environ, BENCH_REDIS_URL=url, BENCH_QUEUES=",".join(names), PYTHONPATH=str(code.root)
    )
    before = Snapshot.take(r)
    workers = [
        subprocess.Popen(
            [code.python, "-m", "bench.peers.pyasynq_worker", str(concurrency)],
            env=env,
            cwd=code.root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(processes)
    ]
    t0 = None
    try:
        deadline = time.monotonic() + 300
        while True:
            with r.pipeline(transaction=False) as pipe:
                for q in names:
                    pipe.llen(f"asynq:{{{q}}}:pending")
                    pipe.llen(f"asynq:{{{q}}}:active")
                left = sum(pipe.execute())
            if t0 is None and left < total:
                t0 = time.perf_counter()
            if left == 0:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"no progress: {left} of {total} left")
            time.sleep(0.02)  # the bench's own LLENs stay a small share of the commands
        seconds, after = time.perf_counter() - (t0 or time.perf_counter()), Snapshot.take(r)
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(30)
    what = f"process no-op, {processes}p x c{concurrency}"
    if queues > 1:
        what += f", {queues} queues"
    return cost(what, r, before, after, total, seconds)


@dataclass
class ClusterCost:
    """Processing on a Redis Cluster: the whole cluster's CPU per task and each master's share."""

    tasks: int
    seconds: float
    cpu_us_per_task: float
    nodes: list[dict[str, float]]  # per master: port, queues owned, share of tasks, share of CPU

    @property
    def rate(self) -> float:
        return self.tasks / self.seconds


def measure_processing_cluster(
    n: int, queues: int, concurrency: int, processes: int
) -> ClusterCost:
    """Queues spread over a real 3-master cluster; CPU per node from each master's INFO cpu."""
    sys.path.insert(0, str(ROOT))
    from tests.support.redis_cluster import RedisClusterDeployment

    cluster = RedisClusterDeployment(3).start()
    try:
        names = [f"q{i}" for i in range(queues)]
        nodes = {node.port: redis.Redis(port=node.port) for node in cluster.nodes}
        owner: dict[str, int] = {}
        any_node = next(iter(nodes.values()))
        for q in names:
            slot = any_node.cluster("KEYSLOT", f"asynq:{{{q}}}:pending")
            for lo, hi, master, *_ in any_node.cluster("SLOTS"):
                if lo <= slot <= hi:
                    owner[q] = int(master[1])
        per_queue = n // queues
        with Client(cluster.url) as client:
            for q in names:
                for start in range(0, per_queue, 1000):
                    client.enqueue_many(
                        [Task("noop", b"x", queue=q) for _ in range(min(1000, per_queue - start))]
                    )
        total = per_queue * queues
        env = dict(
            os.environ,
            BENCH_REDIS_URL=cluster.url,
            BENCH_QUEUES=",".join(names),
            PYTHONPATH=str(ROOT),
        )
        # a cluster node spends CPU on its own (the cluster bus's gossip, cron): measured
        # idle first and taken out, so the figure is the tasks' cost alone
        idle_from = {port: Snapshot.take(r) for port, r in nodes.items()}
        time.sleep(3.0)
        idle_to = {port: Snapshot.take(r) for port, r in nodes.items()}
        idle_rate = {port: (idle_to[port].cpu - idle_from[port].cpu) / 3.0 for port in nodes}
        before = {port: Snapshot.take(r) for port, r in nodes.items()}
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "bench.peers.pyasynq_worker", str(concurrency)],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            for _ in range(processes)
        ]
        t0 = None
        try:
            deadline = time.monotonic() + 300
            while True:
                left = sum(
                    nodes[owner[q]].llen(f"asynq:{{{q}}}:pending")
                    + nodes[owner[q]].llen(f"asynq:{{{q}}}:active")
                    for q in names
                )
                if t0 is None and left < total:
                    t0 = time.perf_counter()
                if left == 0:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no progress: {left} of {total} left")
                time.sleep(0.05)
            seconds = time.perf_counter() - (t0 or time.perf_counter())
            after = {port: Snapshot.take(r) for port, r in nodes.items()}
        finally:
            for w in workers:
                w.terminate()
            for w in workers:
                w.wait(30)
        cpu = {
            port: max(0.0, after[port].cpu - before[port].cpu - idle_rate[port] * seconds)
            for port in nodes
        }
        all_cpu = sum(cpu.values())
        rows = [
            {
                "port": port,
                "queues": sum(1 for q in names if owner[q] == port),
                "task_share": sum(1 for q in names if owner[q] == port) / queues,
                "cpu_share": cpu[port] / all_cpu if all_cpu else 0.0,
                "cpu_us_per_task": cpu[port] * 1e6 / total,
            }
            for port in nodes
        ]
        for r in nodes.values():
            r.close()
        return ClusterCost(total, seconds, all_cpu * 1e6 / total, rows)
    finally:
        cluster.cleanup()


def cluster_table(c: ClusterCost) -> str:
    lines = [
        f"{c.tasks:,} no-op tasks over a 3-master cluster: {c.rate:,.0f} tasks/s, "
        f"{c.cpu_us_per_task:.2f} us of Redis CPU per task over all masters.",
        "",
        "| master | queues | share of tasks | share of Redis CPU | CPU us per task (of all tasks) |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in c.nodes:
        lines.append(
            f"| :{row['port']} | {row['queues']} | {row['task_share']:.0%} | {row['cpu_share']:.0%} "
            f"| {row['cpu_us_per_task']:.2f} |"
        )
    return "\n".join(lines)


def median_run(measure: Callable[[], Cost], runs: int) -> Cost:
    """The run with the median Redis CPU per task of ``runs`` (its other figures with it)."""
    done = sorted((measure() for _ in range(runs)), key=lambda c: c.cpu_us_per_task)
    return done[len(done) // 2]


SETTINGS = [(10, 1, 1), (32, 1, 1), (10, 2, 1), (32, 2, 1), (32, 2, 12)]
"""(concurrency, processes, queues) of the processing rows; ``--quick`` skips two."""
QUICK_SKIPS = {(10, 2, 1), (32, 2, 12)}


def _plan(
    url: str, r: redis.Redis, quick: bool, settings: list[tuple[int, int, int]]
) -> list[Callable[[Code], Cost]]:
    """One measurement per row, for a given code: the two enqueue rows, then one processing
    row per setting."""
    n_enqueue = 2000 if quick else 10000
    n_process = 12000 if quick else 60000
    plan: list[Callable[[Code], Cost]] = [
        lambda code: measure_enqueue(url, r, n_enqueue, None, code),
        lambda code: measure_enqueue(url, r, n_enqueue * 5, 1000, code),
    ]
    for concurrency, processes, queues in settings:
        plan.append(
            lambda code, c=concurrency, p=processes, q=queues: measure_processing(
                url, r, n_process, c, p, q, code
            )
        )
    return plan


def run(quick: bool = False) -> list[Cost]:
    server = RedisServer().start()
    r = redis.Redis.from_url(server.url)
    try:
        settings = [s for s in SETTINGS if not (quick and s in QUICK_SKIPS)]
        runs = 1 if quick else 3
        return [
            median_run(lambda m=measure: m(THIS), runs)
            for measure in _plan(server.url, r, quick, settings)
        ]
    finally:
        r.close()
        server.cleanup()


def compare(before: Code, quick: bool = False) -> tuple[list[Cost], list[Cost]]:
    """This code and ``before`` on one Redis, their runs alternating (before, this, before,
    ...) so that a machine whose speed drifts (a shared VM) weighs on both alike; the median of
    3 runs each (1 with ``quick``). Returns (this code's costs, before's), one per row of the
    single-queue settings (an older checkout's worker serves one queue only)."""
    server = RedisServer().start()
    r = redis.Redis.from_url(server.url)
    try:
        runs = 1 if quick else 3
        single_queue = [s for s in SETTINGS if s[2] == 1]
        mine: list[Cost] = []
        theirs: list[Cost] = []
        for measure in _plan(server.url, r, quick, single_queue):
            pairs = [(measure(before), measure(THIS)) for _ in range(runs)]
            for side, out in ((1, mine), (0, theirs)):
                done = sorted((pair[side] for pair in pairs), key=lambda c: c.cpu_us_per_task)
                out.append(done[len(done) // 2])
            print(
                f"  {mine[-1].what:36s} before {theirs[-1].cpu_us_per_task:6.2f} us/task, "
                f"now {mine[-1].cpu_us_per_task:6.2f}",
                flush=True,
            )
        return mine, theirs
    finally:
        r.close()
        server.cleanup()


def record_comparison(
    results_path: Path, mine: list[Cost], theirs: list[Cost], label: str
) -> dict[str, Any]:
    """Store a ``compare`` in results.json: this code's rows replace the same rows of the
    ``redis_cost`` phase (the others, such as the 12-queue twin of the cluster run, stay), and
    ``redis_cost_before`` gets before's, marked as measured alternately in one run."""
    results: dict[str, Any] = json.loads(results_path.read_text()) if results_path.exists() else {}
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    block = results.setdefault("redis_cost", {})
    fresh = {c.what: asdict(c) | {"rate": c.rate} for c in mine}
    rows = [fresh.pop(row["what"], row) for row in block.get("single", [])]
    block["single"] = rows + list(fresh.values())
    results["redis_cost_before"] = {
        "label": label,
        "single": [asdict(c) | {"rate": c.rate} for c in theirs],
        "measured_at": stamp,
        "alternating": True,
    }
    results.setdefault("measured_at", {})["redis_cost"] = stamp
    results_path.write_text(json.dumps(results, indent=1, default=str))
    return results


def table(results: list[Cost]) -> str:
    lines = [
        "| what | tasks/s | Redis CPU us/task | of it user | command us/task | Redis calls per task |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for c in results:
        calls = ", ".join(f"{k} {v:.2f}" for k, v in c.calls_per_task.items() if v >= 0.01)
        lines.append(
            f"| {c.what} | {c.rate:,.0f} | {c.cpu_us_per_task:.2f} | {c.user_us_per_task:.2f} "
            f"| {c.command_us_per_task:.2f} | {calls} |"
        )
    return "\n".join(lines)


def breakdown_table(results: list[Cost], before: list[dict[str, Any]] | None = None) -> str:
    """Where each microsecond of a processed task went (c32 rows), after and, when given, before."""
    old = {b["what"]: b for b in before or []}
    cols: list[tuple[str, dict[str, float], float]] = []
    for c in results:
        if "c32" not in c.what or "queues" in c.what:
            continue
        was = old.get(c.what)
        if was is not None:
            cols.append((f"{c.what}: before", was["usec_per_task"], was["cpu_us_per_task"]))
        cols.append((c.what if was is None else "after", c.usec_per_task, c.cpu_us_per_task))
    names: list[str] = []
    for _, used, _ in cols:
        names += [k for k in used if k not in names]
    lines = [
        "| us per task | " + " | ".join(title for title, _, _ in cols) + " |",
        "|---|" + "---:|" * len(cols),
    ]
    for k in names:
        cells = [used.get(k, 0.0) for _, used, _ in cols]
        if max(cells) >= 0.01:
            lines.append(f"| {k} | " + " | ".join(f"{x:.2f}" for x in cells) + " |")
    lines.append("| **Redis CPU** | " + " | ".join(f"**{t:.2f}**" for _, _, t in cols) + " |")
    return "\n".join(lines)


def phase_redis_cost(ctx: dict[str, Any]) -> dict[str, Any]:
    """The bench phase (bench/run.py): its own private Redis; the cluster only in a full run."""
    results = run(ctx["quick"])
    out: dict[str, Any] = {"single": [asdict(c) | {"rate": c.rate} for c in results]}
    print(table(results), flush=True)
    if not ctx["quick"]:
        clustered = measure_processing_cluster(60000, 12, 32, 2)
        out["cluster"] = asdict(clustered) | {"rate": clustered.rate}
        print(cluster_table(clustered), flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--cluster", action="store_true", help="also measure on a 3-master cluster")
    parser.add_argument(
        "--before",
        type=Path,
        help="a checkout of older code with its own .venv: measure it and this code alternately,"
        " record both in bench/results.json and re-render bench/RESULTS.md",
    )
    parser.add_argument("--before-label", default="", help="what --before is (its commit)")
    args = parser.parse_args()
    if args.before:
        old = Code(str(args.before.resolve() / ".venv" / "bin" / "python"), args.before.resolve())
        mine, theirs = compare(old, args.quick)
        label = args.before_label or f"the checkout at {args.before}"
        results = record_comparison(ROOT / "bench" / "results.json", mine, theirs, label)
        from bench import report

        (ROOT / "bench" / "RESULTS.md").write_text(report.render(results))
        return
    results = run(args.quick)
    print(table(results))
    out: dict = {"single": [asdict(c) | {"rate": c.rate} for c in results]}
    if args.cluster:
        clustered = measure_processing_cluster(20000 if args.quick else 60000, 12, 32, 2)
        print(cluster_table(clustered))
        out["cluster"] = asdict(clustered) | {"rate": clustered.rate}
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()


def _cost(row: dict[str, Any]) -> Cost:
    fields = {k: v for k, v in row.items() if k != "rate"}
    return Cost(**fields)


def render(res: dict[str, Any], tg: list[tuple[str, str, bool]]) -> list[str]:
    """The RESULTS.md section (bench/report.py calls this) and its targets, appended to ``tg``.

    ``redis_cost_before`` in results.json, when present, holds the same measurement of the
    code before this work (its commit named there), taken on the same machine and day."""
    x = res.get("redis_cost")
    if not x:
        return []
    now = [_cost(c) for c in x["single"]]
    before_block = res.get("redis_cost_before") or {}
    before = {c["what"]: c for c in before_block.get("single", [])}
    lines = [
        "## Redis CPU per task",
        "",
        "What one task costs the shared Redis (`python -m bench.redis_cost`): a private "
        "redis-server, `INFO cpu` (user + system: the whole server, network I/O included) and "
        "`INFO commandstats` deltas over single `Client.enqueue` calls, `enqueue_many` batches "
        "of 1,000, and the processing of a preloaded queue of no-op tasks by pyasynq worker "
        "processes; the median of 3 runs each (1 with `--quick`). Commands run inside Lua "
        "scripts are counted under their own names.",
        "",
    ]
    if before and before_block.get("alternating"):
        lines += [
            f"Before: {before_block.get('label', 'the code before this work')}, measured by this "
            "same script in the same run, its runs alternating with this code's on the same Redis "
            "(`python -m bench.redis_cost --before <checkout>`), so that the machine's drifting "
            "speed weighs on both alike.",
            "",
        ]
    elif before:
        lines += [
            f"Before: {before_block.get('label', 'the code before this work')}, measured on the "
            "same machine the same day with this same script.",
            "",
        ]
    lines += [
        "| what | tasks/s | Redis CPU us/task | of it user | command us/task | calls per task |"
        + (" before: tasks/s / CPU us/task |" if before else ""),
        "|---|---:|---:|---:|---:|---|" + ("---|" if before else ""),
    ]
    for c in now:
        calls = ", ".join(f"{k} {v:.2f}" for k, v in c.calls_per_task.items() if v >= 0.02)
        row = (
            f"| {c.what} | {c.rate:,.0f} | {c.cpu_us_per_task:.2f} | {c.user_us_per_task:.2f} "
            f"| {c.command_us_per_task:.2f} | {calls} |"
        )
        was = before.get(c.what)
        if before:
            row += f" {was['rate']:,.0f} / {was['cpu_us_per_task']:.2f} |" if was else " n/a |"
        lines.append(row)
    olds = list(before.values()) if before else None
    lines += [
        "",
        "Where each microsecond of a processed task went (concurrency 32): Redis's own time per "
        "command (commands inside scripts under their names), `script (Lua)` for the rest of "
        "the scripts' time (the interpreter, arguments and replies), and `outside commands` for "
        "CPU no command accounts for (reading requests, writing replies, the event loop: one "
        "cost per round trip).",
        "",
        breakdown_table(now, olds),
        "",
    ]
    if "cluster" in x:
        lines += [
            "On a real 3-master Redis Cluster (12 queues over the masters' slots, 2 worker "
            "processes x concurrency 32; CPU per master from each one's `INFO cpu`, less what "
            "it spends idle, measured for 3 s before, such as the cluster bus's gossip); compare "
            "with the single node's `2p x c32, 12 queues` row above, the same load on one "
            "Redis:",
            "",
            cluster_table(_cluster(x)),
            "",
        ]

    def against_before(c: Cost) -> str:
        old = before.get(c.what)
        if not old:
            return ""
        was = float(old["cpu_us_per_task"])
        return f" (before {was:.2f}: {c.cpu_us_per_task / was:.2f}x)"

    for c in now:
        if c.what == "process no-op, 1p x c32":
            tg.append(
                (
                    "<= 6 us Redis CPU per processed no-op task (1 process, concurrency 32)",
                    f"{c.cpu_us_per_task:.2f} us{against_before(c)}",
                    c.cpu_us_per_task <= 6,
                )
            )
        if c.what.startswith("enqueue_many"):
            tg.append(
                (
                    "<= 4 us Redis CPU per task in enqueue_many",
                    f"{c.cpu_us_per_task:.2f} us{against_before(c)}",
                    c.cpu_us_per_task <= 4,
                )
            )
    return lines


def _cluster(x: dict[str, Any]) -> ClusterCost:
    c = x["cluster"]
    return ClusterCost(c["tasks"], c["seconds"], c["cpu_us_per_task"], c["nodes"])
