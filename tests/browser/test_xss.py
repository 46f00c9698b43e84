"""No injected script runs anywhere in the console, and the CSP is on every page.

Task types, payloads, headers, errors, results, queue names, group names and audit entries all
carry script in two forms (a ``<script>`` element and an ``onerror`` attribute). Every page is
opened in Chromium; ``window.__xss`` stays undefined and the browser reports no CSP violation
(which would mean one of our own pages relies on inline script or style).
"""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest

from pyasynq import Client, ServeMux, SkipRetry, Task
from pyasynq.console.security import CSP
from pyasynq.inspector import Inspector
from pyasynq.server import Server
from tests.faults.conftest import write_report

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCRIPT = "<script>window.__xss=1</script>"
IMG = '<img src=x onerror="window.__xss=1">'
EVIL_QUEUE = f"q{IMG}"
EVIL_TYPE = f"type{SCRIPT}"


def seg(name: str) -> str:
    return quote(name.replace("~", "~7E").replace("/", "~2F"), safe="")


def wait_for(predicate, timeout=15.0):
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.1)


def test_injected_markup_never_runs(page, live_console, redis_url):
    started = time.monotonic()
    mux = ServeMux()

    @mux.handle(EVIL_TYPE)
    def handler(ctx, task):
        if task.payload.startswith(b"fail"):
            raise SkipRetry(f"boom {SCRIPT} {IMG}")
        task.result_writer.write(f"result {SCRIPT}{IMG}".encode())

    headers = {f"h{IMG}": f"v{SCRIPT}"}
    with Client(redis_url) as client:
        for q in (EVIL_QUEUE, "default"):
            client.enqueue(
                Task(EVIL_TYPE, f"ok {SCRIPT}".encode(), headers=headers), queue=q, retention=3600
            )
            client.enqueue(
                Task(EVIL_TYPE, f"fail {IMG}".encode(), headers=headers), queue=q, max_retry=0
            )
            client.enqueue(
                Task(EVIL_TYPE, f"later {SCRIPT}".encode(), headers=headers),
                queue=q,
                process_in=3600,
            )
            client.enqueue(Task(EVIL_TYPE, f"group {IMG}".encode()), queue=q, group=f"g{SCRIPT}")
    server = Server(
        redis_url,
        concurrency=2,
        queues={EVIL_QUEUE: 1, "default": 1},
        heartbeat_interval=0.5,
        shutdown_timeout=1,
    )
    insp = Inspector(redis_url)
    server.start(mux)
    try:
        wait_for(
            lambda: all(
                insp.get_queue_info(q).completed == 1 and insp.get_queue_info(q).archived == 1
                for q in (EVIL_QUEUE, "default")
            )
        )
        server.stop()
        with Client(redis_url) as client:  # pending ones, listed while nobody takes them
            client.enqueue(
                Task(EVIL_TYPE, f"pending {SCRIPT}".encode(), headers=headers), queue=EVIL_QUEUE
            )
        violations: list[str] = []
        page.on(
            "console",
            lambda msg: (
                violations.append(f"{page.url}: {msg.text[:120]} {msg.location}")
                if "Content Security Policy" in msg.text
                else None
            ),
        )

        # an audited action whose queue name carries markup
        page.goto(f"{live_console}/")
        page.locator('form[action*="onerror"][action$="/pause"] button').first.click()
        page.wait_for_load_state()

        urls = [
            "/",
            "/servers",
            "/schedulers",
            "/redis",
            "/throughput",
            "/audit",
            "/settings",
            "/alerts",
            "/enqueue",
        ]
        for q in (EVIL_QUEUE, "default"):
            for state in (
                "active",
                "pending",
                "aggregating",
                "scheduled",
                "retry",
                "archived",
                "completed",
            ):
                urls.append(f"/queues/{seg(q)}?state={state}")
            for state in ("pending", "scheduled", "archived", "completed"):
                for t in getattr(insp, f"list_{state}_tasks")(q):
                    urls.append(f"/queues/{seg(q)}/tasks/{seg(t.id)}")
        checked = 0
        for url in urls:
            resp = page.goto(live_console + url)
            assert resp is not None
            if resp.status == 404:  # a page another build of the console may not have
                continue
            assert resp.status == 200, (url, resp.status)
            assert resp.headers.get("content-security-policy") == CSP, url
            page.wait_for_timeout(150)  # let htmx fragments and charts run
            assert page.evaluate("typeof window.__xss") == "undefined", f"script ran on {url}"
            checked += 1
        assert checked >= 20
        body = page.goto(f"{live_console}/queues/{seg(EVIL_QUEUE)}?state=archived")
        assert body is not None and "&lt;img src=x onerror=" in body.text()
        assert not violations, violations
        write_report(
            {
                "scenario": "XSS: markup in every field, every page in Chromium",
                "tasks": 9,
                "kills": 0,
                "outages": 0,
                "inputs": checked,
                "lost": 0,
                "run_twice": 0,
                "duration": round(time.monotonic() - started, 1),
            }
        )
    finally:
        server.shutdown()
        insp.close()
