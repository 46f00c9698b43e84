"""End to end with our own worker: engine.Server processes tasks while the console watches,
and a cancel clicked in the browser reaches the running handler."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from pyasynq import Client, ServeMux, SkipRetry, Task
from pyasynq.inspector import Inspector
from pyasynq.server import Server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def wait_for(predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_console_over_a_running_server(page, live_console, redis_url):
    mux = ServeMux()
    cancelled: list[str] = []

    @mux.handle("ok")
    def ok(ctx, task):
        task.result_writer.write(b'{"rows": 3}')

    @mux.handle("fail")
    def fail(ctx, task):
        raise SkipRetry("bad input")

    @mux.handle("slow")
    def slow(ctx, task):
        if ctx.wait(20):  # True when the context was cancelled
            cancelled.append(task.id)
        ctx.check()

    server = Server(
        redis_url, concurrency=3, queues={"default": 1}, heartbeat_interval=0.5, shutdown_timeout=2
    )
    insp = Inspector(redis_url)
    with Client(redis_url) as client:
        for _ in range(3):
            client.enqueue(Task("ok", b"{}"), queue="default", retention=3600)
        for _ in range(2):
            client.enqueue(Task("fail", b'{"x": 1}'), queue="default")
        slow_info = client.enqueue(Task("slow", b"{}"), queue="default", max_retry=0)
    server.start(mux)
    try:
        wait_for(
            lambda: (
                insp.get_queue_info("default").completed == 3
                and insp.get_queue_info("default").archived == 2
            ),
            what="tasks processed",
        )
        wait_for(
            lambda: any(
                w.task_id == slow_info.id for s in insp.servers() for w in s.active_workers
            ),
            what="slow task on a worker",
        )

        page.goto(live_console + "/")
        row = page.locator('tr[data-queue="default"]')
        expect(row).to_contain_text("40.00%")  # 2 failed of 5 processed today

        page.goto(live_console + "/queues/default?state=completed")
        expect(page.locator("table.tasks")).to_contain_text('{"rows":3}')

        page.goto(live_console + "/queues/default?state=archived")
        expect(page.locator("table.tasks")).to_contain_text("bad input")

        page.goto(live_console + "/queues/default?state=active")
        active = page.locator(f'tr[data-task-id="{slow_info.id}"]')
        expect(active).to_contain_text("running")
        expect(active).to_contain_text("ago")  # started, from the worker's heartbeat
        active.get_by_role("button", name="Cancel").click()
        expect(page.locator(".flash-success")).to_contain_text("Sent a cancel signal")
        wait_for(lambda: cancelled == [slow_info.id], what="the handler to see the cancel")
        wait_for(
            lambda: insp.get_queue_info("default").active == 0, what="the task to leave active"
        )
    finally:
        server.shutdown()
        insp.close()
