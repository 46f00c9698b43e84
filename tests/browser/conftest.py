"""Browser fixtures: Debian's Chromium through Playwright (one per module) and a live console.

The console runs in a real WSGI server (werkzeug, threaded) on a free loopback port, talking
to the session's private Redis; each test still gets that Redis flushed (``redis_url``).
"""

from __future__ import annotations

import shutil
import threading

import pytest
from werkzeug.serving import make_server

from pyasynq.console import create_app
from pyasynq.console.config import ConsoleConfig
from tests.support.redis_server import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


class LiveServer:
    def __init__(self, app) -> None:
        self.port = free_port()
        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture(scope="module")
def live_console(redis_server):
    """Base URL of the console (root path /monitoring), polling every second."""
    app = create_app(
        ConsoleConfig(redis_url=redis_server.url, secret_key="browser-tests", poll_interval=1)
    )
    with LiveServer(app) as live:
        yield live.url + "/monitoring"
    app.extensions["pyasynq"].close()


@pytest.fixture
def page(browser, redis_url):
    context = browser.new_context()
    pg = context.new_page()
    pg.set_default_timeout(8000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.js_errors = errors  # type: ignore[attr-defined]
    yield pg
    context.close()
    assert not errors, f"JavaScript errors: {errors}"
