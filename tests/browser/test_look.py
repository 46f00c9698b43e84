"""Browser tests that look: every page at 1280x800 and 1920x1080 with demo-like data.

For each page: no horizontal overflow (``scrollWidth <= clientWidth`` on the page and its main
blocks), every chart canvas has drawn pixels, and the counts shown agree with the Inspector.
With ``PYASYNQ_SCREENSHOTS=DIR`` the run also writes the screenshots the README and docs use
(``PYASYNQ_SCREENSHOTS=docs pytest tests/browser/test_look.py`` refreshes docs/*.png).
"""

from __future__ import annotations

import os
import re

import pytest

from pyasynq import Inspector, Scheduler, ServeMux, Server, Task
from pyasynq.console import create_app
from pyasynq.console.config import ConsoleConfig
from tests.browser.conftest import CHROMIUM, LAUNCH_ARGS, LiveServer
from tests.support.demo_data import seed
from tests.support.redis_server import RedisServer, free_port
from tests.support.worker_util import wait_for

pytestmark = pytest.mark.browser

VIEWPORTS = [(1280, 800), (1920, 1080)]
SHOTS = os.environ.get("PYASYNQ_SCREENSHOTS")

OVERFLOW_JS = """() => {
  const out = [];
  const check = (el, name) => {
    if (el && el.scrollWidth > el.clientWidth + 0) out.push(`${name}: ${el.scrollWidth} > ${el.clientWidth}`);
  };
  check(document.documentElement, "html");
  check(document.body, "body");
  document.querySelectorAll("main, .topbar, .card, .table-wrap, .summary, .toolbar, .tabs, .pager, .charts, section")
    .forEach((el, i) => check(el, (el.id ? "#" + el.id : el.className || el.tagName) + "[" + i + "]"));
  return out;
}"""

CANVAS_JS = """() => Array.from(document.querySelectorAll("canvas")).map((c) => {
  const ctx = c.getContext("2d");
  if (!c.width || !c.height) return [c.id, 0];
  const data = ctx.getImageData(0, 0, c.width, c.height).data;
  let drawn = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) drawn++;
  return [c.id, drawn];
})"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A private Redis with demo-like data, a worker serving an idle queue and a scheduler
    (so Servers and Schedulers have something to show without moving any count), and a
    console on it."""
    if not CHROMIUM:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    redis = RedisServer().start()
    seed(redis.url)
    mux = ServeMux()
    mux.handle_func("maintenance:", lambda ctx, task: None)
    server = Server(redis.url, concurrency=4, queues={"maintenance": 1}, record_throughput=False)
    server.start(mux)
    scheduler = Scheduler(redis.url)
    scheduler.register("@every 24h", Task("report:generate", b'{"account":"acme"}'), queue="low")
    scheduler.register("0 7 * * 1-5", Task("email:deliver", b'{"to":"team@example.com"}'))
    scheduler.start()
    app = create_app(ConsoleConfig(redis_url=redis.url, secret_key="look-tests", poll_interval=30))
    insp = Inspector(redis.url)
    wait_for(lambda: insp.servers() and insp.scheduler_entries(), what="server and scheduler up")
    with LiveServer(app) as live:
        yield live.url + "/monitoring", insp
    insp.close()
    app.extensions["pyasynq"].close()
    scheduler.shutdown()
    server.shutdown()
    redis.cleanup()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


def pages(base: str, insp: Inspector) -> list[tuple[str, str]]:
    """(name, url) of every page kind, with real names and IDs."""
    queue = "critical"
    task = insp.list_retry_tasks(queue, page_size=1) or insp.list_archived_tasks(queue, page_size=1)
    entry = insp.scheduler_entries()[0]
    out = [
        ("dashboard", f"{base}/"),
        ("dashboard-today", f"{base}/?range=today"),
        ("queue", f"{base}/queues/{queue}"),
    ]
    out += [(f"queue-{s}", f"{base}/queues/default?state={s}") for s in STATES]
    out += [
        ("queue-low", f"{base}/queues/low"),
        ("task", f"{base}/queues/{queue}/tasks/{task[0].id}"),
        ("servers", f"{base}/servers"),
        ("schedulers", f"{base}/schedulers"),
        ("scheduler-entry", f"{base}/schedulers/{entry.id}"),
        ("redis", f"{base}/redis"),
        ("metrics", f"{base}/throughput"),
        ("alerts", f"{base}/alerts"),
        ("audit", f"{base}/audit"),
        ("settings", f"{base}/settings"),
        ("enqueue", f"{base}/enqueue"),
        ("not-found", f"{base}/queues/nope"),
    ]
    return out


STATES = ("active", "pending", "aggregating", "scheduled", "retry", "archived", "completed")


def _wait_for_charts(page) -> None:
    if page.locator("#queue-insights").count():
        page.wait_for_selector("#queue-insights[data-poll] canvas", state="attached")
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll('canvas')).every(c => window.Chart && window.Chart.getChart(c))"""
    )


def _charts_sized(page) -> None:
    """Chart.js redraws after a resize on its next frame: wait until every chart has the size
    of its box again."""
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll('canvas')).every(c => {
             const ch = window.Chart && window.Chart.getChart(c);
             return ch && Math.abs(ch.width - c.parentNode.clientWidth) < 2;
           })"""
    )


def test_every_page_fits_and_draws_its_charts_at_both_sizes(demo, browser):
    """Each page is loaded once at 1280x800, checked, resized to 1920x1080 and checked again."""
    base, insp = demo
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    problems: list[str] = []
    try:
        for name, url in pages(base, insp):
            page.set_viewport_size({"width": 1280, "height": 800})
            page.goto(url)
            _wait_for_charts(page)
            for width, height in VIEWPORTS:
                if width != 1280:
                    page.set_viewport_size({"width": width, "height": height})
                    _charts_sized(page)
                overflow = page.evaluate(OVERFLOW_JS)
                if overflow:
                    problems.append(f"{name} at {width}px overflows: {overflow}")
                for canvas_id, drawn in page.evaluate(CANVAS_JS):
                    if drawn < 50:
                        problems.append(f"{name} at {width}px: canvas {canvas_id} drew {drawn} px")
                if SHOTS and width == 1280 and name in SHOT_NAMES:
                    os.makedirs(SHOTS, exist_ok=True)
                    page.screenshot(path=os.path.join(SHOTS, SHOT_NAMES[name]), full_page=True)
    finally:
        context.close()
    assert not problems, "\n".join(problems)
    assert not errors, f"JavaScript errors: {errors}"


SHOT_NAMES = {
    "dashboard": "console-dashboard.png",
    "queue": "console-queue.png",
    "task": "console-task.png",
    "metrics": "console-metrics.png",
}


def _num(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text))


def test_counts_agree_with_the_inspector_tables_sort_and_ids_copy(demo, browser):
    base, insp = demo
    context = browser.new_context(
        viewport={"width": 1280, "height": 800},
        permissions=["clipboard-read", "clipboard-write"],
    )
    page = context.new_page()
    try:
        page.goto(base + "/")
        infos = {q.queue: q for q in insp.get_queue_infos(insp.queues())}
        assert sum(q.retry for q in infos.values()) and sum(q.archived for q in infos.values())
        for name, info in infos.items():
            row = page.locator(f'#queues-table tr[data-queue="{name}"]')
            for s in STATES:
                shown = row.locator(f'td[data-state="{s}"]').inner_text()
                assert _num(shown) == getattr(info, s), (name, s, shown)
            assert _num(row.locator("td[data-col=processed]").inner_text()) == info.processed
            assert _num(row.locator("td[data-col=failed]").inner_text()) == info.failed
        foot = page.locator("#queues-table tfoot")
        assert _num(foot.locator("td[data-col=processed]").inner_text()) == sum(
            q.processed for q in infos.values()
        )
        # the queue page: header figures, tab counts and the insights card say the same
        info = infos["default"]
        page.goto(f"{base}/queues/default")
        for s in STATES:
            assert _num(page.locator(f'.tabs a[data-state="{s}"] .count').inner_text()) == getattr(
                info, s
            )
        assert _num(page.locator("[data-stat=processed]").inner_text()) == info.processed
        page.wait_for_selector("#queue-insights [data-today-processed]")
        assert _num(page.locator("[data-today-processed]").inner_text()) == info.processed
        # sortable: a click sorts by that column, and the choice survives a reload
        page.goto(base + "/")
        page.locator("#queues-table thead th", has_text="Processed today").click()

        def processed_column() -> list[int]:
            return [
                _num(t)
                for t in page.locator(
                    "#queues-table tbody td[data-col=processed]"
                ).all_inner_texts()
            ]

        assert processed_column() == sorted(processed_column())
        page.locator("#queues-table thead th", has_text="Processed today").click()
        assert processed_column() == sorted(processed_column(), reverse=True)
        page.reload()
        assert processed_column() == sorted(processed_column(), reverse=True)
        # copy to clipboard: a task's full ID from the table
        page.goto(f"{base}/queues/critical?state=retry")
        first = page.locator("#tasks-table td.id a").first
        first.locator("xpath=following-sibling::button[1]").click()
        assert page.evaluate("navigator.clipboard.readText()") == first.get_attribute("title")
        # Completed: newest first
        page.goto(f"{base}/queues/default?state=completed&size=100")
        stamps = page.locator("#tasks-table tbody tr td:nth-child(5) time").evaluate_all(
            "els => els.map(e => e.getAttribute('datetime'))"
        )
        assert len(stamps) >= 2 and stamps == sorted(stamps, reverse=True)
    finally:
        context.close()


def test_redis_down_page_says_what_to_check_and_retries(browser):
    port = free_port()
    app = create_app(
        ConsoleConfig(redis_url=f"redis://127.0.0.1:{port}/0", secret_key="x", poll_interval=0)
    )
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    redis = None
    try:
        with LiveServer(app) as live:
            url = live.url + "/monitoring/queues/critical?state=retry"
            response = page.goto(url)
            assert response.status == 503
            text = page.locator("main").inner_text()
            assert text.count("cannot reach Redis") + text.count("Cannot reach Redis") == 1, text
            assert "REDIS_URL" in text and "--redis-url" in text and f"127.0.0.1:{port}" in text
            assert not page.evaluate(OVERFLOW_JS)
            retry = page.locator("a#retry")
            assert retry.get_attribute("href").endswith("/monitoring/queues/critical?state=retry")
            redis = RedisServer(port=port).start()
            from pyasynq import Client

            Client(redis.url).enqueue(Task("x"), queue="critical")
            retry.click()
            page.wait_for_selector("h1 .qname")
            assert page.url == url
    finally:
        context.close()
        app.extensions["pyasynq"].close()
        if redis is not None:
            redis.cleanup()


def test_one_sampled_minute_is_a_visible_point_with_a_collecting_note(browser):
    """A fresh deployment: two samples a minute apart make one per-minute figure. The chart
    shows it as a dot on an axis that spans the data, and says it is still collecting."""
    import time

    import redis as redis_py

    from pyasynq import Client
    from pyasynq.broker.broker import Broker

    server = RedisServer().start()
    app = None
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        Client(server.url).enqueue(Task("email:deliver", b"{}"))
        raw, broker = redis_py.Redis.from_url(server.url), Broker(server.url)
        minute = int(time.time() // 60) * 60
        raw.set("asynq:{default}:processed", 0)
        broker.record_throughput(["default"], minute - 120)
        raw.set("asynq:{default}:processed", 94)
        broker.record_throughput(["default"], minute - 60)
        app = create_app(
            ConsoleConfig(
                redis_url=server.url, secret_key="x", poll_interval=0, record_throughput=False
            )
        )
        with LiveServer(app) as live:
            page = context.new_page()
            page.goto(live.url + "/monitoring/throughput?range=1h")
            _wait_for_charts(page)
            chart = page.evaluate(
                """() => {
                  const ch = window.Chart.getChart(document.getElementById('chart-tp-processed'));
                  const meta = ch.getDatasetMeta(0);
                  const i = ch.data.datasets[0].data.findIndex(v => v !== null);
                  return {labels: ch.data.labels.length, value: ch.data.datasets[0].data[i],
                          radius: meta.data[i].options.radius};
                }"""
            )
            assert chart["value"] == 94 and chart["radius"] > 0
            assert chart["labels"] <= 10  # the axis spans the data, not the whole hour
            note = page.locator('[data-collecting="chart-tp-processed"]')
            assert note.is_visible() and "1 minute sampled so far" in note.inner_text()
            assert "Collecting since" in note.inner_text()
            drawn = dict(page.evaluate(CANVAS_JS))
            assert drawn["chart-tp-processed"] > 50
    finally:
        context.close()
        if app is not None:
            app.extensions["pyasynq"].close()
        server.cleanup()
