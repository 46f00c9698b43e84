"""HealthChecker alone: each pass pings Redis and reports None or the error to the callback."""

from __future__ import annotations

import socket

from pyasynq.broker.broker import Broker
from pyasynq.components.healthcheck import HealthChecker
from pyasynq.errors import BrokerError


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_reports_none_while_redis_answers(broker, running):
    seen = []
    hc = running(HealthChecker(broker, seen.append, interval=3600))
    assert seen == []  # the first check is after one interval, as in Go
    assert hc.trigger(wait=5)
    assert seen == [None]


def test_reports_the_error_when_redis_is_away(clock, running):
    seen = []
    away = Broker(f"redis://127.0.0.1:{unused_port()}/0", clock=clock)
    try:
        hc = running(HealthChecker(away, seen.append, interval=3600))
        assert hc.trigger(wait=10)
        assert len(seen) == 1 and isinstance(seen[0], BrokerError)
    finally:
        away.close()


def test_a_failing_callback_does_not_stop_the_checks(broker, running):
    calls = []

    def check(err):
        calls.append(err)
        raise RuntimeError("user code failed")

    hc = running(HealthChecker(broker, check, interval=3600))
    assert hc.trigger(wait=5) and hc.trigger(wait=5)
    assert calls == [None, None]
