"""Helpers for the operations pages' tests: a running Server with a task held in flight."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from pyasynq import Client, Inspector, ServeMux, Server, Task


def wait_for(predicate, timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def running_server(
    redis_url: str, payload: bytes = b'{"user": 42}'
) -> Iterator[tuple[Server, str]]:
    """A real Server (queues critical:6, default:3) running one task until the block ends."""
    release = threading.Event()
    mux = ServeMux()

    @mux.handle("report:build")
    def hold(ctx, task):
        release.wait(20)

    server = Server(
        redis_url,
        concurrency=4,
        queues={"critical": 6, "default": 3},
        heartbeat_interval=0.5,
        shutdown_timeout=2,
        throughput_interval=0.5,
    )
    with Client(redis_url) as client:
        info = client.enqueue(Task("report:build", payload), queue="critical")
    insp = Inspector(redis_url)
    server.start(mux)
    try:
        wait_for(
            lambda: any(w.task_id == info.id for s in insp.servers() for w in s.active_workers),
            what="the task on a worker",
        )
        yield server, info.id
    finally:
        release.set()
        server.shutdown()
        insp.close()
