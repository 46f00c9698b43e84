"""Console phase: server time and Redis work per page with a queue of millions.

Data: 1,000,000 pending, 100,000 scheduled and 10,000 archived tasks in queue ``big`` and 49
small queues (50 queues), written straight in Asynq's layout by ``load.lua``. Pages are served
by the real Flask app (``console.create_app``) through Flask's test client in this process, so
"server time" is the WSGI app's own time (no network). Redis work per request comes from
``INFO stats``/``INFO commandstats`` deltas on the private Redis (the INFO call itself removed).
"""

from __future__ import annotations

import time
from pathlib import Path

from bench import harness as h
from pyasynq.broker import keys
from pyasynq.broker.codec import task_tail

HERE = Path(__file__).resolve().parent
BIG = "big"
SIZES = {"pending": 1_000_000, "scheduled": 100_000, "archived": 10_000}


def load(r) -> None:
    r.flushall()
    script = r.register_script((HERE / "load.lua").read_text())
    head = b'\x0a\x0dreport:render\x12\x10{"user": 123456}'
    tail = task_tail(
        queue=BIG,
        retry=25,
        timeout=1800,
        deadline=0,
        retention=0,
        group_key="",
        unique_key="",
        headers=None,
    )
    now = int(time.time())
    key = {
        "pending": keys.pending(BIG),
        "scheduled": keys.scheduled(BIG),
        "archived": keys.archived(BIG),
    }
    score = {"pending": 0, "scheduled": now + 3600, "archived": now - 3600}
    first = 0
    for state, count in SIZES.items():
        for start in range(0, count, 20_000):
            n = min(20_000, count - start)
            script(
                keys=[key[state]],
                args=[
                    keys.task_key_prefix(BIG),
                    head,
                    tail,
                    first + start,
                    n,
                    state,
                    score[state],
                    time.time_ns(),
                ],
            )
        first += count
    r.sadd(keys.ALL_QUEUES, BIG)
    from pyasynq import Client, Task

    with Client(r) as c:  # 49 small queues, through the real client
        c.enqueue_many(
            [(Task("small"), {"queue": f"q{i:02d}"}) for i in range(49) for _ in range(5)]
        )


def commandstats(r) -> dict[str, tuple[int, int]]:
    out = {}
    for k, v in r.info("commandstats").items():
        name = k.removeprefix("cmdstat_")
        out[name] = (int(v["calls"]), int(v["usec"]))
    return out


def measure(app, r, path: str, runs: int) -> dict:
    client = app.test_client()
    for _ in range(3):  # warm-up: templates compiled, scripts loaded, connections open
        resp = client.get(path)
        if resp.status_code != 200:
            raise RuntimeError(f"GET {path} -> {resp.status_code}: {resp.data[:300]!r}")
    times = []
    cmds = []
    before_stats = commandstats(r)
    for _ in range(runs):
        c0 = h.commands(r)
        t0 = time.perf_counter()
        resp = client.get(path)
        times.append((time.perf_counter() - t0) * 1000)
        cmds.append(h.commands(r) - c0 - 1)
        assert resp.status_code == 200, (path, resp.status_code)
    after = commandstats(r)
    per_cmd = {}
    usec = 0
    for name, (calls, us) in after.items():
        c0, u0 = before_stats.get(name, (0, 0))
        if name == "info":
            continue
        if calls - c0:
            per_cmd[name] = round((calls - c0) / runs, 1)
            usec += us - u0
    return {
        "p50_ms": h.pct(times, 50),
        "p99_ms": h.pct(times, 99),
        "cmds": h.median(cmds),
        "redis_usec": usec / runs,
        "by_command": per_cmd,
        "runs": runs,
    }


def phase_console(ctx: dict) -> dict:
    from pyasynq.console import create_app
    from pyasynq.console.config import ConsoleConfig

    r = ctx["r"]
    t = time.monotonic()
    load(r)
    load_s = time.monotonic() - t
    cfg = ConsoleConfig(
        redis_url=ctx["url"], secret_key="bench", record_throughput=False, poll_interval=0
    )
    app = create_app(cfg)
    size = cfg.page_size
    tid = next(iter(r.lrange(keys.pending(BIG), 0, 0))).decode()
    pages = {
        "dashboard": "/monitoring/",
        "queue page": f"/monitoring/queues/{BIG}",
    }
    for state, count in SIZES.items():
        last = -(-count // size)
        pages[f"{state} list, first page"] = f"/monitoring/queues/{BIG}?state={state}&page=1"
        pages[f"{state} list, last page ({last})"] = (
            f"/monitoring/queues/{BIG}?state={state}&page={last}"
        )
    pages["task page"] = f"/monitoring/queues/{BIG}/tasks/{tid}"
    out = {
        "data": {
            **SIZES,
            "queues": int(r.scard(keys.ALL_QUEUES)),
            "page_size": size,
            "load_seconds": round(load_s, 1),
        },
        "pages": {},
    }
    runs = 10 if ctx["quick"] else 40
    for name, path in pages.items():
        m = measure(app, r, path, runs)
        m["path"] = path
        out["pages"][name] = m
        print(
            f"  console {name:32s} p50 {m['p50_ms']:7.1f} ms p99 {m['p99_ms']:7.1f} ms "
            f"{m['cmds']:5.0f} cmds  {m['redis_usec']:7.0f} us redis",
            flush=True,
        )
    r.flushall()
    return out
