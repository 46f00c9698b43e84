"""Fixtures for component tests: each component alone against the test Redis, on a ManualClock.

Components run with an hour-long interval, so nothing happens unless the test calls
``trigger(wait=...)`` (one pass on the component's own thread, returning once it is over).
"""

from __future__ import annotations

import pytest

from pyasynq import Client, Inspector
from pyasynq.broker.broker import Broker


@pytest.fixture
def broker(redis_url, clock):
    b = Broker(redis_url, clock=clock)
    yield b
    b.close()


@pytest.fixture
def client(broker):
    return Client(broker)


@pytest.fixture
def inspector(redis_url):
    return Inspector(redis_url)


@pytest.fixture
def running():
    """``running(component)`` starts it now and stops it at the end of the test."""
    started = []

    def start(component):
        component.start()
        started.append(component)
        return component

    yield start
    for component in reversed(started):
        component.stop()
