"""The console under real gunicorn (two workers, as deployed): health, pages and a POST.

Two workers share nothing but the secret key, so a form rendered by one and posted to the
other only works if the CSRF token travels in the signed session cookie, as designed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from pyasynq import Client, Task
from tests.support.redis_server import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def gunicorn_console(redis_url):
    port = free_port()
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "CONSOLE_SECRET_KEY": "gunicorn-test-key",
        "CONSOLE_POLL_INTERVAL": "0",
        "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "pyasynq.console.wsgi:app",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(base + "/monitoring/health", timeout=3) as resp:
                    if resp.status == 200:
                        break
            except OSError:  # URLError, refused, or a read timeout while workers boot
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"gunicorn did not start: {out[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def test_console_under_gunicorn(page, gunicorn_console, redis_url, r):
    with Client(redis_url) as client:
        client.enqueue(Task("a", b"{}"), queue="default")
    with urllib.request.urlopen(gunicorn_console + "/monitoring/health") as resp:
        assert resp.read() == b'{"redis":"up","status":"ok"}\n'
    page.goto(gunicorn_console + "/")
    expect(page).to_have_url(gunicorn_console + "/monitoring/")
    for _ in range(3):  # several round trips, so both workers serve forms and posts
        page.locator('tr[data-queue="default"]').get_by_role("button", name="Pause").click()
        expect(page.locator(".flash-success")).to_contain_text("Paused")
        page.locator('tr[data-queue="default"]').get_by_role("button", name="Resume").click()
        expect(page.locator(".flash-success")).to_contain_text("Resumed")
    assert not r.exists("asynq:{default}:paused")
