"""Console fixtures: an app on the private test Redis, a client, and data helpers."""

from __future__ import annotations

import re

import pytest

from pyasynq import Client
from pyasynq.console import create_app
from pyasynq.console.config import ConsoleConfig
from tests.support.redis_server import free_port

ROOT = "/monitoring"


def make_config(redis_url: str, **overrides) -> ConsoleConfig:
    # record_throughput off: a recorder thread left running by an app a test did not close
    # would keep writing pyasynq:{q}:throughput keys into later tests' Redis.
    options = {
        "redis_url": redis_url,
        "secret_key": "test-secret",
        "poll_interval": 5,
        "record_throughput": False,
    }
    options.update(overrides)
    return ConsoleConfig(**options)


@pytest.fixture
def config(redis_url) -> ConsoleConfig:
    return make_config(redis_url)


@pytest.fixture
def app(config):
    app = create_app(config)
    app.config["TESTING"] = True
    yield app
    app.extensions["pyasynq"].close()


@pytest.fixture
def producer(redis_url):
    client = Client(redis_url)
    yield client
    client.close()


@pytest.fixture
def dead_redis_url() -> str:
    """A URL where nothing listens: every Redis call fails fast with connection refused."""
    return f"redis://127.0.0.1:{free_port()}/0"


@pytest.fixture
def csrf(client) -> str:
    """The CSRF token of the client's session, read from a page as a browser would."""
    html = client.get(f"{ROOT}/health-page-for-token").get_data(as_text=True)
    match = re.search(r'"X-CSRF-Token": "([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def token_in(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field in the page"
    return match.group(1)


def assert_no_traceback(html: str) -> None:
    assert "Traceback" not in html
    assert 'File "' not in html
