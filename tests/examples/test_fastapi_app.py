"""examples/fastapi_app.py served by a real uvicorn on loopback: enqueue through HTTP with
AsyncClient, process with the example's async handler, see the task on a console page."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from pyasynq import Server
from tests.support.redis_server import free_port
from tests.support.worker_util import wait_for

pytest.importorskip("fastapi")
pytest.importorskip("a2wsgi")
pytest.importorskip("uvicorn")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def http(method: str, url: str, body: dict | None = None) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def uvicorn_app(redis_url):
    port = free_port()
    env = {**os.environ, "REDIS_URL": redis_url, "SECRET_KEY": "test-secret"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "pyasynq.examples.fastapi_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(proc.stdout.read().decode() if proc.stdout else "uvicorn died")
        try:
            return http("GET", base + "/")[0] == 200
        except OSError:
            return False

    try:
        wait_for(up, timeout=30, what="uvicorn serving the example")
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


def test_enqueue_over_http_process_and_see_it_in_the_console(uvicorn_app, redis_url, r):
    from pyasynq.examples import fastapi_app

    status, body = http("POST", uvicorn_app + "/signup", {"email": "ada@example.com"})
    assert status == 202, body
    task = json.loads(body)
    assert task["queue"] == "default" and task["state"] == "pending"

    page = f"{uvicorn_app}/monitoring/queues/default/tasks/{task['task_id']}"
    status, html = http("GET", page)
    assert status == 200 and task["task_id"] in html and "email:welcome" in html

    server = Server(redis_url, concurrency=1, async_concurrency=10, heartbeat_interval=1)
    server.start(fastapi_app.mux)
    try:
        key = f"asynq:{{default}}:t:{task['task_id']}"
        wait_for(lambda: r.hget(key, "state") == b"completed", what="the task completed")
    finally:
        server.shutdown()
    status, html = http("GET", page)
    assert status == 200 and "completed" in html and "welcomed ada@example.com" in html

    status, body = http("POST", uvicorn_app + "/signup", {"email": "not an address"})
    assert status == 422, body
    status, html = http("GET", uvicorn_app + "/monitoring/queues/default/tasks/nope")
    assert status == 404 and "Traceback" not in html


def test_nothing_else_in_the_examples_imports_it():
    for path in EXAMPLES.glob("*.py"):
        if path.name != "fastapi_app.py":
            assert "fastapi_app" not in path.read_text(), path.name
