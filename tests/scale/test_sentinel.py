"""Sentinel: a master with a replica; the master is killed mid-run and work goes on."""

from __future__ import annotations

import threading
import time

import pytest
import redis

from pyasynq import Client, Inspector, ManualClock, Scheduler, ServeMux, Server, Task
from pyasynq.console import create_app
from pyasynq.console.config import ConsoleConfig
from tests.support.redis_cluster import SentinelDeployment


@pytest.fixture(scope="module")
def sentinel():
    deployment = SentinelDeployment().start()
    yield deployment
    deployment.cleanup()


def wait_until(predicate, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:  # noqa: BLE001 - Redis may be failing over
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_failover_mid_run_loses_no_acknowledged_task(sentinel):
    client = Client(sentinel.url)
    done: set[str] = set()
    lock = threading.Lock()
    mux = ServeMux()

    @mux.handle("work")
    def work(ctx, task):
        time.sleep(0.01)
        with lock:
            done.add(task.payload.decode())

    before = [client.enqueue(Task("work", f"a{i}".encode())) for i in range(200)]
    master = redis.Redis(port=sentinel.master.port)
    assert master.wait(1, 5000) == 1, "replica did not confirm the first batch"
    server = Server(
        sentinel.url,
        concurrency=2,
        heartbeat_interval=1,
        delayed_task_check_interval=0.5,
        recoverer_interval=1,
        syncer_interval=0.5,
    )
    server.start(mux)
    console = create_app(ConsoleConfig(redis_url=sentinel.url, secret_key="t")).test_client()
    clock = ManualClock(time.time())
    scheduler = Scheduler(sentinel.url, clock=clock)
    scheduler.register("@every 10s", Task("work", b"tick"))
    try:
        assert console.get("/monitoring/health").status_code == 200
        wait_until(lambda: len(done) >= 20, what="processing to start")
        sentinel.kill_master()
        sentinel.wait_failover()
        # the console and the scheduler follow the failover too
        wait_until(
            lambda: console.get("/monitoring/health").status_code == 200, what="console health"
        )

        def tick_processed() -> bool:
            clock.advance(11)  # each call is a new due instant; a failed enqueue fires again
            scheduler.tick()
            time.sleep(0.5)
            return "tick" in done

        wait_until(tick_processed, what="scheduled tick processed")
        after = []
        for i in range(50):
            for _ in range(100):
                try:
                    after.append(client.enqueue(Task("work", f"b{i}".encode())))
                    break
                except Exception:  # noqa: BLE001 - retried until the new master answers
                    time.sleep(0.1)
        assert len(after) == 50
        expected = {f"a{i}" for i in range(200)} | {f"b{i}" for i in range(50)}
        wait_until(lambda: expected <= done, timeout=120, what="every task processed")
        assert len(before) == 200
        insp = Inspector(sentinel.url)
        wait_until(lambda: insp.get_queue_info("default").active == 0, what="active drained")
        info = insp.get_queue_info("default")
        assert info.pending == 0 and info.archived == 0
    finally:
        scheduler.shutdown()
        server.shutdown()
