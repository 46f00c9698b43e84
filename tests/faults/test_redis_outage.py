"""Redis outage: Redis (AOF on) stops mid-run and comes back on the same port and data.

Workers, the scheduler and the console must ride it out: no process dies, the console answers
503 (a page, and /health for load balancers) while Redis is gone, and afterwards every task
completes. AOF is what makes "nothing lost" possible across a Redis restart; the engine's part
is to reconnect with backoff and to recover the tasks whose acknowledgement could not be written.
"""

from __future__ import annotations

import time

import redis

from pyasynq.broker import keys
from pyasynq.console import create_app
from pyasynq.console.config import ConsoleConfig
from tests.faults.conftest import runs, spawn, stop, ticks
from tests.faults.test_crash_loop import enqueue_all

Q = "default"


def completed_jobs(r: redis.Redis, ids: set[str]) -> int:
    return sum(1 for m in r.zrange(keys.completed(Q), 0, -1) if m.decode() in ids)


def test_redis_outage_is_survived(aof_redis, tmp_path, profile, report):
    url = aof_redis.url
    r = redis.Redis.from_url(url, socket_timeout=2)
    n = profile.outage_tasks
    ids = enqueue_all(url, n, 20)
    idset = set(ids)
    logs = tmp_path / "logs"
    logs.mkdir()
    workers = [
        spawn(
            "worker",
            url,
            str(tmp_path),
            "--concurrency",
            "4",
            "--lease",
            "5",
            log=logs / f"w{i}.log",
        )
        for i in range(2)
    ]
    scheduler = spawn("scheduler", url, log=logs / "scheduler.log")
    app = create_app(ConsoleConfig(redis_url=url, secret_key="faults", poll_interval=0))
    console = app.test_client()
    started = time.monotonic()
    try:
        assert console.get("/monitoring/health").status_code == 200
        deadline = time.monotonic() + 60
        while completed_jobs(r, idset) < n // 4:
            assert time.monotonic() < deadline, "workers made no progress before the outage"
            time.sleep(0.1)
        before = completed_jobs(r, idset)
        aof_redis.stop()
        down_at = time.monotonic()
        health = console.get("/monitoring/health")
        page = console.get("/monitoring/")
        assert health.status_code == 503 and health.get_json()["redis"] == "down"
        assert page.status_code == 503
        body = page.get_data(as_text=True)
        assert "Redis unavailable" in body and "Traceback" not in body
        time.sleep(max(0.0, profile.outage_seconds - (time.monotonic() - down_at)))
        assert all(p.poll() is None for p in [*workers, scheduler]), (
            "a process died during the outage"
        )
        assert console.get("/monitoring/health").status_code == 503
        aof_redis.start()  # same port, same dir: the AOF brings the data back
        up_at = time.monotonic()
        outage = up_at - down_at
        while console.get("/monitoring/health").status_code != 200:
            time.sleep(0.05)
        console_back = time.monotonic() - up_at
        r = redis.Redis.from_url(url, socket_timeout=2)
        assert completed_jobs(r, idset) >= before, "completed tasks were lost with the restart"
        ticks_at_restart = ticks(tmp_path)
        at_restart = completed_jobs(r, idset)
        progress_after = None
        end = time.monotonic() + 90
        while time.monotonic() < end:
            done = completed_jobs(r, idset)
            if progress_after is None and (done > at_restart or done >= n):
                progress_after = time.monotonic() - up_at
            if done >= n and r.llen(keys.active(Q)) == 0 and ticks(tmp_path) > ticks_at_restart:
                break
            time.sleep(0.1)
        assert console.get("/monitoring/").status_code == 200
        alive = all(p.poll() is None for p in [*workers, scheduler])
    finally:
        codes = [stop(p) for p in [scheduler, *workers]]
        for path in logs.glob("*.log"):  # what the processes said, for a failing run
            print(f"--- {path.name}\n" + path.read_text()[-3000:])
        app.extensions["pyasynq"].close()
    ran = runs(tmp_path)
    done = completed_jobs(r, idset)
    lost = n - done
    report(
        scenario=f"Redis outage ({outage:.0f} s, AOF on, 2 workers + scheduler + console)",
        tasks=n,
        kills=0,
        outages=1,
        inputs=0,
        lost=lost,
        run_twice=sum(1 for i in ids if ran[i] >= 2),
        resumed_after=round(progress_after or -1, 1),
        console_back_after=round(console_back, 2),
    )
    assert alive, "a worker or the scheduler exited after the outage"
    assert codes == [0, 0, 0], f"processes did not shut down cleanly: {codes}"
    assert lost == 0
    assert ticks(tmp_path) > ticks_at_restart, (
        "the scheduler did not enqueue again after the outage"
    )
    assert r.llen(keys.active(Q)) == 0
    assert not idset & {m.decode() for m in r.lrange(keys.pending(Q), 0, -1)}
    assert time.monotonic() - started < 200
