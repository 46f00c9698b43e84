"""ServerConfig: Server's settings in one validated value; keywords and ``config=`` agree."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from click.testing import CliRunner

from pyasynq import Limit, Server, ServerConfig
from pyasynq.cli import main
from pyasynq.server_config import usable_cpus


def test_defaults_are_asynqs():
    c = ServerConfig()
    assert c.concurrency == usable_cpus() and c.queues is None and not c.strict_priority
    assert (c.shutdown_timeout, c.health_check_interval, c.delayed_task_check_interval) == (
        8,
        15,
        5,
    )
    assert (c.group_grace_period, c.group_max_delay, c.group_max_size) == (60, 0, 0)
    assert (c.heartbeat_interval, c.recoverer_interval, c.janitor_interval) == (5, 60, 8)
    assert (c.janitor_batch_size, c.lease_duration, c.lease_cutoff) == (100, None, 30)


def test_keywords_and_config_build_the_same_server(redis_url):
    by_kwargs = Server(redis_url, concurrency=3, queues={"a": 2}, janitor_interval=2)
    by_config = Server(
        redis_url, config=ServerConfig(concurrency=3, queues={"a": 2}, janitor_interval=2)
    )
    assert by_kwargs.config == by_config.config
    assert (by_config.concurrency, by_config.queues) == (3, {"a": 2})
    assert Server(redis_url).config == ServerConfig()


def test_keywords_override_a_given_config(redis_url):
    base = ServerConfig(concurrency=2, heartbeat_interval=1)
    s = Server(redis_url, config=base, concurrency=7)
    assert (s.config.concurrency, s.config.heartbeat_interval) == (7, 1)
    assert base.concurrency == 2  # frozen: the shared value is untouched
    with pytest.raises(dataclasses.FrozenInstanceError):
        base.concurrency = 5  # type: ignore[misc]


def test_durations_become_float_seconds():
    c = ServerConfig(shutdown_timeout=timedelta(minutes=1), tick=0.25, heartbeat_interval=2)
    assert c.shutdown_timeout == 60.0 and isinstance(c.heartbeat_interval, float)


@pytest.mark.parametrize(
    "settings,message",
    [
        ({"concurrency": -1}, "concurrency must be a positive number"),
        ({"concurrency": True}, "concurrency must be a positive number"),
        ({"shutdown_timeout": -1}, "shutdown_timeout must be >= 0"),
        ({"heartbeat_interval": 0}, "heartbeat_interval must be positive"),
        ({"group_grace_period": 0.5}, "group_grace_period cannot be less than 1 second"),
        ({"group_max_size": -1}, "group_max_size cannot be negative"),
        ({"janitor_batch_size": 0}, "janitor_batch_size must be at least 1"),
        ({"lease_duration": 5, "heartbeat_interval": 5}, "lease_duration must be a whole number"),
    ],
)
def test_bad_settings_are_refused_in_one_place(redis_url, settings, message):
    with pytest.raises(ValueError, match=message):
        ServerConfig(**settings)
    with pytest.raises(ValueError, match=message):
        Server(redis_url, **settings)


def test_unknown_settings_and_bad_limits_are_type_errors(redis_url):
    with pytest.raises(TypeError, match="unknown Server setting"):
        Server(redis_url, concurency=2)
    with pytest.raises(TypeError, match="config must be a pyasynq.ServerConfig"):
        Server(redis_url, config={"concurrency": 2})
    with pytest.raises(TypeError, match="limits must be pyasynq.Limit objects"):
        ServerConfig(limits=["not a limit"])
    c = ServerConfig(limits=[Limit("l", "concurrency", 2)])
    assert c.limits == (Limit("l", "concurrency", 2),)


def test_lease_duration_reaches_the_broker(redis_url):
    s = Server(redis_url, lease_duration=12, heartbeat_interval=2)
    assert s.broker.lease_duration == 12


def test_worker_command_refuses_a_bad_combination_before_starting(redis_url):
    result = CliRunner().invoke(
        main,
        [
            "worker",
            "tests.support.worker_handlers:mux",
            "--redis-url",
            redis_url,
            "--lease-duration",
            "3",
            "--heartbeat-interval",
            "5",
        ],
    )
    assert result.exit_code == 2
    assert "lease_duration must be a whole number of seconds above heartbeat_interval" in (
        result.output
    )
