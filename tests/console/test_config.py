"""ConsoleConfig: defaults, environment parsing and startup validation."""

from __future__ import annotations

import pytest

from pyasynq.console.config import ConsoleConfig


def upper_formatter(task_type: str, data: bytes) -> str:
    return data.decode().upper()


def test_defaults():
    c = ConsoleConfig()
    assert c.root_path == "/monitoring"
    assert c.read_only is False
    assert c.poll_interval == 8.0
    assert c.page_size == 20
    assert c.page_sizes == (10, 20, 30, 60, 100)


def test_from_env_reads_every_variable():
    c = ConsoleConfig.from_env(
        {
            "REDIS_URL": "redis://example:6380/2",
            "CONSOLE_ROOT_PATH": "/ops/queues/",
            "CONSOLE_READ_ONLY": "yes",
            "CONSOLE_POLL_INTERVAL": "2.5",
            "CONSOLE_PAGE_SIZE": "60",
            "CONSOLE_MAX_PAYLOAD_LENGTH": "50",
            "SECRET_KEY": "s3cret",
            "CONSOLE_TITLE": "Acme",
            "CONSOLE_PAYLOAD_FORMATTER": "tests.console.test_config:upper_formatter",
        }
    )
    assert c.redis_url == "redis://example:6380/2"
    assert c.root_path == "/ops/queues"
    assert c.read_only is True
    assert c.poll_interval == 2.5
    assert c.page_size == 60
    assert c.max_payload_length == 50
    assert c.secret_key == "s3cret"
    assert c.title == "Acme"
    assert c.payload_formatter is upper_formatter
    assert "s3cret" not in repr(c)


def test_console_secret_key_wins_over_secret_key():
    c = ConsoleConfig.from_env({"SECRET_KEY": "a", "CONSOLE_SECRET_KEY": "b"})
    assert c.secret_key == "b"


@pytest.mark.parametrize("root", ["", "/"])
def test_root_path_can_be_the_site_root(root):
    assert ConsoleConfig(root_path=root).root_path == ""


@pytest.mark.parametrize(
    "env, words",
    [
        ({"CONSOLE_READ_ONLY": "maybe"}, "CONSOLE_READ_ONLY"),
        ({"CONSOLE_POLL_INTERVAL": "fast"}, "CONSOLE_POLL_INTERVAL"),
        ({"CONSOLE_POLL_INTERVAL": "-1"}, "poll_interval"),
        ({"CONSOLE_PAGE_SIZE": "7"}, "page_size"),
        ({"CONSOLE_ROOT_PATH": "monitoring"}, "root_path"),
        ({"CONSOLE_PAYLOAD_FORMATTER": "nomodule"}, "CONSOLE_PAYLOAD_FORMATTER"),
        ({"CONSOLE_RESULT_FORMATTER": "json:nothere"}, "CONSOLE_RESULT_FORMATTER"),
    ],
)
def test_bad_environment_fails_with_a_sentence(env, words):
    with pytest.raises(ValueError, match=words):
        ConsoleConfig.from_env(env)


def test_formatter_must_be_callable():
    with pytest.raises(ValueError, match="callable"):
        ConsoleConfig(payload_formatter="nope")  # type: ignore[arg-type]


def test_config_is_frozen():
    c = ConsoleConfig()
    with pytest.raises(AttributeError):
        c.read_only = True  # type: ignore[misc]
