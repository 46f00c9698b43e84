"""Shared fixtures: a private Redis started for the test session, flushed before each test."""

from __future__ import annotations

import pytest
import redis

from pyasynq.clock import ManualClock
from tests.support.redis_server import RedisServer


@pytest.fixture(scope="session")
def redis_server():
    server = RedisServer().start()
    yield server
    server.cleanup()


@pytest.fixture
def redis_url(redis_server) -> str:
    """URL of the private test Redis, emptied before the test (it is ours, so flushing is safe)."""
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    return redis_server.url


@pytest.fixture
def r(redis_url):
    """A raw redis-py client on the test Redis, for asserting exact keys and fields."""
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_800_000_000.0)
