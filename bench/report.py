"""Render bench/results.json into bench/RESULTS.md: figures, ratios, targets, machine."""

from __future__ import annotations

import datetime as dt
import math

PEERS = ["rq", "arq", "celery", "dramatiq"]


def _f(x, unit: str = "", nd: int = 0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:,.{nd}f}{unit}"


def _ok(cond: bool) -> str:
    return "**met**" if cond else "**NOT met**"


def _async_section(a: dict | None, tg: list) -> list[str]:
    """The I/O-bound phase (``bench/aio_bench.py``): async handlers vs arq and SAQ."""
    if not a:
        return []
    io = a.get("io_ms", 50)
    out = [
        f"## I/O-bound tasks: async handlers (each task awaits {io:g} ms; tasks/s)",
        "",
        "One worker process per system, the queue preloaded, the clock started at the first "
        "finished task; CPU is the worker's user+system time per task over the same interval. "
        "pyasynq: `Server(async_concurrency=N)` (async handlers on its event loop); arq "
        "`max_jobs=N`; SAQ `concurrency=N`; `pyasynq-threads`: the same wait in a sync handler "
        "on N threads. Ideal = N / 50 ms.",
        "",
        "| concurrency | system | tasks/s | of ideal | CPU ms/task | runs |",
        "|---|---|---:|---:|---:|---|",
    ]
    if "load_before" in a:
        out[-2:-2] = [
            f"Machine load average (1 min) {a['load_before']:.1f} before and "
            f"{a['load_after']:.1f} after this phase, on {a.get('cores', '?')} cores: every "
            "system was short of CPU, which lowers the share of the ideal rate for all of them; "
            "`pyasynq-threads` (the same fetch/ack path as async handlers) is the control.",
            "",
        ]
    for st in a.get("settings", {}).values():
        for name, x in st["systems"].items():
            out.append(
                f"| {st['concurrency']} | {name} | {_f(x['median'])} | "
                f"{_f(100 * x['of_ideal'], '%', 1)} | {_f(x['cpu_ms_per_task'], '', 3)} | "
                f"{', '.join(_f(v) for v in x['runs'])} |"
            )
        ours = st["systems"].get("pyasynq", {}).get("median")
        peers = [st["systems"][p]["median"] for p in ("arq", "saq") if p in st["systems"]]
        if ours is None:
            continue
        if st["concurrency"] == 200:
            tg.append(
                (
                    "async I/O, concurrency 200: >= 80% of the ideal rate",
                    _f(100 * ours / st["ideal"], "%", 1),
                    ours >= 0.8 * st["ideal"],
                )
            )
        if st["concurrency"] == 1000 and peers:
            best = max(peers)
            tg.append(
                (
                    "async I/O, concurrency 1000: >= 3x the better of arq and SAQ",
                    _f(ours / best, "x", 1),
                    ours >= 3 * best,
                )
            )
    out.append("")
    return out


def render(res: dict) -> str:
    m = res.get("machine", {})
    out = ["# pyasynq benchmark results", ""]
    out += [
        f"Reproduce: `{res.get('command', 'python3 bench/run.py')}` (one command: creates "
        "`bench/.venv` with the peers, starts a private redis-server, runs everything, "
        "writes this file; `--quick` for a short run). Generated "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC.",
        "",
    ]
    v = m.get("versions", {})
    out += [
        "## Machine",
        "",
        f"- CPU: {m.get('cpu')} — **{m.get('cores')} cores**, {m.get('mem_gib')} GiB RAM; "
        f"{m.get('os')}",
        f"- Python {m.get('python')}, redis-server {m.get('redis_server')} (private, loopback TCP)",
        "- Libraries: " + ", ".join(f"{k} {v[k]}" for k in v),
        "- Every figure is the median of several runs (single enqueue: 15 interleaved rounds; "
        "processing: 3 runs), all systems in the same session against the same Redis. The "
        "machine is shared (load from other processes varies), so compare ratios within a "
        "table rather than absolute numbers across tables.",
        "",
    ]
    tg = []  # target lines
    e = res.get("enqueue")
    if e:
        s, b = e["single"], e["batch"]
        ours = s["pyasynq"]["median"]
        out += [
            "## Enqueue rate (tasks/s, one producer thread)",
            "",
            "| system | one task per call | ratio pyasynq/system | bulk API (1,000 per call) |",
            "|---|---:|---:|---:|",
        ]
        for name in ["pyasynq", "bare", "bare-min", *PEERS]:
            if name not in s:
                continue
            label = {
                "bare": "bare redis-py EVALSHA, same Redis work (enqueue_notify.lua)",
                "bare-min": "bare redis-py EVALSHA of Go's enqueue.lua",
            }.get(name, name)
            bb = b.get(name)
            out.append(
                f"| {label} | {_f(s[name]['median'])} | "
                f"{'-' if name == 'pyasynq' else _f(ours / s[name]['median'], 'x', 2)} | "
                f"{_f(bb['median']) if bb else ('no bulk API' if name in PEERS else '-')} |"
            )
        ratio = s["bare"]["median"] / ours
        out += [
            "",
            f"pyasynq `enqueue` costs {ratio:.2f}x the time of the bare EVALSHA loop doing "
            "the same Redis work (target <= 1.5x). `enqueue_many`: "
            f"{_f(b['pyasynq']['median'])} tasks/s (target >= 50,000).",
            "",
        ]
        tg.append(
            ("single `enqueue` within 1.5x of bare EVALSHA loop", f"{ratio:.2f}x", ratio <= 1.5)
        )
        tg.append(
            (
                "`enqueue_many` >= 50,000 tasks/s",
                _f(b["pyasynq"]["median"]),
                b["pyasynq"]["median"] >= 50_000,
            )
        )
    p = res.get("process")
    if p:
        out += [
            "## Processing rate of no-op tasks (tasks/s)",
            "",
            "Queue pre-filled, then workers started; the rate is measured from the first task "
            "done to the end of the window. Concurrency = threads (pyasynq, Celery "
            "`-P threads`, Dramatiq `--threads`) or asyncio jobs (arq `max_jobs`); RQ's "
            "SimpleWorker runs one job at a time per process.",
            "",
            "| setting | pyasynq | " + " | ".join(PEERS) + " | pyasynq / best peer |",
            "|---|---:|" + "---:|" * len(PEERS) + "---:|",
        ]
        best_ratio_all = []
        for key, row in p.items():
            ours = row.get("pyasynq", {}).get("median")
            cells, peer_rates = [], []
            for peer in PEERS:
                x = row.get(peer)
                if not x:
                    cells.append("-")
                elif "same_as" in x:
                    val = p[x["same_as"]][peer]["median"]
                    cells.append(f"({_f(val)})")
                    peer_rates.append(val)
                else:
                    cells.append(_f(x["median"]))
                    peer_rates.append(x["median"])
            best = max(peer_rates) if peer_rates else None
            r = ours / best if ours and best else None
            if r:
                best_ratio_all.append((key, r))
            out.append(
                f"| {key.replace('p x c', ' process(es) x concurrency ')} | {_f(ours)} | "
                + " | ".join(cells)
                + f" | {_f(r, 'x', 2)} |"
            )
        one_proc = max(
            (row["pyasynq"]["median"] for k, row in p.items() if k.startswith("1p")), default=0
        )
        worst = min(best_ratio_all, key=lambda kr: kr[1]) if best_ratio_all else ("", 0)
        out += [
            "",
            "Values in parentheses: RQ has no in-process concurrency, its 1-process "
            "figure is repeated.",
            "",
        ]
        tg.append(
            (
                "processing >= 1.5x the fastest peer (every setting)",
                f"lowest {worst[1]:.2f}x ({worst[0]})",
                worst[1] >= 1.5,
            )
        )
        tg.append((">= 5,000 no-op tasks/s in one process", _f(one_proc), one_proc >= 5000))
    lat = res.get("latency")
    if lat:
        out += [
            "## Enqueue-to-start latency on an idle worker, idle cost, memory",
            "",
            "One worker process, concurrency 10, idle for seconds between probes (50-150 ms "
            "apart; 300 probes for pyasynq, Huey and the floor, 100 for the others); latency = "
            "handler start - time before the enqueue call (same clock). Idle Redis commands/s "
            "from `INFO stats` over a quiet window. Huey runs in this phase only: the latency "
            "target quotes it (its consumer's threads block in BRPOP).",
            "",
            "| system | p50 ms | p99 ms | idle Redis cmds/s | RSS idle MiB | RSS under load MiB |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        load_key = next((k for k in (p or {}) if k.startswith("1p") and k.endswith("c10")), None)
        for name in ["pyasynq", *PEERS]:
            x = lat.get(name)
            if not x:
                continue
            rl = (p or {}).get(load_key, {}).get(name, {}) if load_key else {}
            if rl and "same_as" in rl:
                rl = p[rl["same_as"]][name]
            out.append(
                f"| {name} | {_f(x['p50_ms'], '', 2)} | {_f(x['p99_ms'], '', 2)} | "
                f"{_f(x['idle_cmds_per_s'], '', 1)} | {_f(x['rss_idle'] / 2**20, '', 1)} | "
                f"{_f(rl.get('rss_peak', float('nan')) / 2**20, '', 1)} |"
            )
        huey = lat.get("huey")
        if huey:  # latency only: the latency target quotes it
            out.append(
                f"| huey (latency only) | {_f(huey['p50_ms'], '', 2)} | "
                f"{_f(huey['p99_ms'], '', 2)} | {_f(huey['idle_cmds_per_s'], '', 1)} | "
                f"{_f(huey['rss_idle'] / 2**20, '', 1)} | - |"
            )
        floor = lat.get("floor")
        if floor:
            out.append(
                f"| bare redis-py LPUSH -> BRPOP (the floor) | {_f(floor['p50_ms'], '', 2)} | "
                f"{_f(floor['p99_ms'], '', 2)} | {_f(floor['idle_cmds_per_s'], '', 1)} | "
                f"{_f(floor['rss_idle'] / 2**20, '', 1)} | - |"
            )
        x = lat["pyasynq"]
        out += [
            "",
            "RSS is the whole process tree (Dramatiq and Celery fork helpers). Under load = "
            "peak during the 1 process x concurrency 10 processing runs. The floor is one "
            "process pushing the probe and another popping it with a blocking BRPOP, no job "
            "system at all: one hop through Redis, which no Redis-backed queue can beat on the "
            "same machine.",
            "",
        ]
        at_floor = f" (floor {floor['p50_ms']:.2f})" if floor else ""
        at_floor99 = f" (floor {floor['p99_ms']:.2f})" if floor else ""
        tg.append(("latency p50 < 10 ms", _f(x["p50_ms"], " ms", 2), x["p50_ms"] < 10))
        tg.append(("latency p99 < 50 ms", _f(x["p99_ms"], " ms", 2), x["p99_ms"] < 50))
        tg.append(
            (
                "idle latency p50 <= 0.8 ms",
                _f(x["p50_ms"], " ms", 2) + at_floor,
                x["p50_ms"] <= 0.8,
            )
        )
        tg.append(
            (
                "idle latency p99 <= 2 ms",
                _f(x["p99_ms"], " ms", 2) + at_floor99,
                x["p99_ms"] <= 2,
            )
        )
        tg.append(
            (
                "idle worker <= 20 Redis cmds/s",
                _f(x["idle_cmds_per_s"], "", 1),
                x["idle_cmds_per_s"] <= 20,
            )
        )
    c = res.get("console")
    if c and c.get("pages"):
        d = c["data"]
        out += [
            "## Console server time and Redis work per request",
            "",
            f"Data: {d['pending']:,} pending, {d['scheduled']:,} scheduled, "
            f"{d['archived']:,} archived in one queue; {d['queues']} queues; page size "
            f"{d['page_size']}. Flask test client in-process (WSGI app time, no network); "
            "Redis commands per request from `INFO stats` deltas (commands run inside Lua "
            "scripts included), Redis CPU from `INFO commandstats`.",
            "",
            "| page | p50 ms | p99 ms | Redis cmds/request | Redis CPU us/request | commands used |",
            "|---|---:|---:|---:|---:|---|",
        ]
        worst = 0.0
        for name, x in c["pages"].items():
            worst = max(worst, x["p50_ms"])
            used = ", ".join(
                f"{k} {v:g}" for k, v in sorted(x["by_command"].items(), key=lambda kv: -kv[1])[:8]
            )
            out.append(
                f"| {name} | {_f(x['p50_ms'], '', 1)} | {_f(x['p99_ms'], '', 1)} | "
                f"{_f(x['cmds'])} | {_f(x['redis_usec'])} | {used} |"
            )
        bad = [
            n for n, x in c["pages"].items() if any(k in x["by_command"] for k in ("keys", "scan"))
        ]
        out += [
            "",
            "No page for the peers: RQ, arq, Celery and Dramatiq ship no comparable "
            "console in their PyPI packages (rq-dashboard, Flower are separate projects).",
            "",
        ]
        tg.append(
            (
                "console: every page < 50 ms p50 at 1M pending",
                _f(worst, " ms (worst)", 1),
                worst < 50,
            )
        )
        tg.append(
            (
                "console: no KEYS/SCAN in request paths",
                "none seen" if not bad else ", ".join(bad),
                not bad,
            )
        )
    from bench.limits import render as render_limits  # the limit-check cost section

    out += render_limits(res)
    out += _async_section(res.get("async"), tg)
    from bench.many_queues import render as render_many_queues  # 1,000 queues

    out += render_many_queues(res)
    from bench.redis_cost import render as render_redis_cost  # Redis CPU per task

    out += render_redis_cost(res, tg)
    out += [
        "## Notes and open items",
        "",
        "- `enqueue_many` of Tasks without options takes a bulk path "
        "(`TaskBuilder.prepare_plain`, shared by `Client` and `AsyncClient`): "
        "ids drawn from one `os.urandom` call, messages encoded in one loop with the cached "
        "options tail, TaskInfos copied from one prototype, and `enqueue_batch.lua` pushes each "
        "chunk's ids with one LPUSH (Redis state still exactly §4.2's per task, checked by "
        "tests/engine/test_batch_scripts.py). Tasks with options still take the general path.",
        "- The dashboard reads every queue's counts in one pipelined round trip "
        "(`Inspector.queue_counts`: `queue_counts.lua`, about 10 commands per queue, a few "
        "hundred queues per call outside a cluster) and Go's full `queue_info.lua` (counts plus "
        "the sampled memory estimate) only for the page's rows; the history chart sums every "
        "queue with one MGET per day (`Inspector.history_totals`) and the throughput card reads "
        "`Inspector.throughputs` and draws the 9 busiest queues plus one line for the others. "
        "Its Redis work is independent of queue length.",
        "- A busy worker acknowledges finished tasks and takes as many new ones in one script "
        "call (`done_and_dequeue.lua`; the acker gathers up to 1 ms of acknowledgements while "
        "other tasks run), so concurrency 32 costs Redis one call per ~32 tasks; the per-task "
        "work left is Go's format itself (HSET state, HDEL pending_since, HGET msg per task, "
        "the lease ZADD) and the Lua around it. See the Redis CPU section for each microsecond.",
        "- Where the rest goes (`perf record` on redis-server while `done_and_dequeue.lua` runs "
        "32 tasks per call): no single hot spot. Key and command lookups (`dictFind`, siphash) "
        "take ~13%, the kernel's network path ~12%, the allocator ~10%; per task the task's hash "
        "key is looked up five times (HSET, HDEL, HGET at dequeue, EXISTS and DEL at done) and "
        "the lease set, a listpack below 128 leases, is scanned per member by ZADD, ZMSCORE and "
        "ZREM. Tried and dropped for measuring no better: one `SORT ... GET *->msg` for the "
        "batch's messages instead of an HGET per task, and one MGET for a queue's counters "
        "(lookups, not calls, are what a missing key costs).",
        "- Idle latency: an idle worker offers itself (`pyasynq:{q}:idle`) and our Client's "
        "enqueue hands it the task already leased, on the worker's own channel; the subscriber "
        "thread that reads it runs the handler itself while its standby thread takes over the "
        "connection. What is left is one hop through Redis, as for the floor row, plus Python "
        "on both sides, slowed by the machine's idle wake-up (on this VM a PING after 100 ms of "
        "quiet takes ~0.4 ms against 0.02 ms back to back, and the Client's code before its "
        "one send takes ~0.35 ms instead of ~0.1). With no offer (Go workers, many queues, "
        "limits) a `pyasynq:wake` message dequeues in the subscriber's thread. An idle worker's "
        "periodic look is one LLEN per queue; the dequeue script runs only where a task waits.",
        "- arq's low figures come from its default `poll_delay` (0.5 s); Celery ran with "
        "`-P threads`, acks_late, without gossip/mingle/heartbeat; all peers otherwise use "
        "their defaults.",
        "",
    ]
    if res.get("measured_at"):
        out += [
            "Phases measured (a run with `--only` keeps the other phases' earlier figures): "
            + ", ".join(f"{k} {v}" for k, v in res["measured_at"].items())
            + ".",
            "",
        ]
    if res.get("profile_md"):
        out += ["## Profiles of the hot paths", "", res["profile_md"], ""]
    if tg:
        out[4:4] = [
            "## Targets",
            "",
            "| target | measured | |",
            "|---|---:|---|",
            *[f"| {a} | {b} | {_ok(ok)} |" for a, b, ok in tg],
            "",
        ]
    return "\n".join(out) + "\n"
