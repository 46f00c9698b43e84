"""Several console workers need no setting: forms work whichever gunicorn worker answers.

Two gunicorn workers without ``CONSOLE_SECRET_KEY``, as the Procfile runs them: each form is
rendered by one worker and posted, often, to the other. Both sign sessions with the key they share
through Redis, so every POST succeeds.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from pyasynq import Client, Inspector, Task
from tests.support.redis_server import free_port

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def test_twenty_form_posts_across_two_workers_without_a_secret_key(redis_url):
    with Client(redis_url) as client:
        client.enqueue(Task("t"), queue="orders")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("CONSOLE_SECRET_KEY", "SECRET_KEY")}
    env.update(REDIS_URL=redis_url, CONSOLE_POLL_INTERVAL="0", CONSOLE_RECORD_THROUGHPUT="0")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "pyasynq.console.wsgi:app"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/monitoring"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/health", timeout=2):
                    break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.monotonic() < deadline, "gunicorn never answered"
                time.sleep(0.2)
        statuses = []
        for n in range(20):
            # a new browser each round: no connection or cookie reuse between rounds
            opener = urllib.request.build_opener(
                urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
            )
            with opener.open(base + "/queues/orders", timeout=5) as page:
                token = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode())[1]
            verb = "pause" if n % 2 == 0 else "unpause"
            form = urllib.parse.urlencode({"csrf_token": token}).encode()
            request = urllib.request.Request(f"{base}/queues/orders/{verb}", data=form)
            with opener.open(request, timeout=5) as answer:
                statuses.append(answer.status)
        assert statuses == [200] * 20
        with Inspector(redis_url) as inspector:
            assert inspector.get_queue_info("orders").paused is False  # 10 pauses, 10 resumes
    finally:
        proc.terminate()
        proc.wait(15)
