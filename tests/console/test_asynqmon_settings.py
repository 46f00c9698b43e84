"""``pyasynq console`` takes Asynqmon's flags and variables beside its own: flag > environment >
default, our CONSOLE_* name > Asynqmon's name, and a default never overrides what was set.
The served console (CONSOLE_READ_ONLY=1, REDIS_ADDR, PORT) is checked in test_prometheus_page,
whose module starts one real ``pyasynq console`` for both."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pyasynq.cli import main
from pyasynq.cli.console import console_env
from pyasynq.console.config import ConsoleConfig

DEFAULT_URL = "redis://127.0.0.1:6379/0"

# (id, environment, flags given on the command line, expected ConsoleConfig fields)
CASES = [
    ("defaults", {}, {}, {"redis_url": DEFAULT_URL, "read_only": False, "root_path": "/monitoring"}),
    ("our read-only variable is kept (the bug)", {"CONSOLE_READ_ONLY": "1"}, {}, {"read_only": True}),
    ("Asynqmon READ_ONLY", {"READ_ONLY": "true"}, {}, {"read_only": True}),
    ("flag beats variable", {"CONSOLE_READ_ONLY": "1"}, {"read_only": False}, {"read_only": False}),
    ("our name beats Asynqmon's", {"CONSOLE_READ_ONLY": "0", "READ_ONLY": "1"}, {}, {"read_only": False}),
    ("Go-style bool", {"READ_ONLY": "T"}, {}, {"read_only": True}),
    (
        "REDIS_ADDR + DB + PASSWORD",
        {"REDIS_ADDR": "cache:6380", "REDIS_DB": "3", "REDIS_PASSWORD": "p@ss"},
        {},
        {"redis_url": "redis://:p%40ss@cache:6380/3"},
    ),
    ("REDIS_DB alone", {"REDIS_DB": "2"}, {}, {"redis_url": "redis://127.0.0.1:6379/2"}),
    (
        "REDIS_URL beats REDIS_ADDR (as Asynqmon)",
        {"REDIS_URL": "redis://u:1/4", "REDIS_ADDR": "a:2"},
        {},
        {"redis_url": "redis://u:1/4"},
    ),
    (
        "cluster nodes beat REDIS_URL (as Asynqmon)",
        {"REDIS_URL": "redis://u:1/4", "REDIS_CLUSTER_NODES": "n1:7000,n2:7001", "REDIS_PASSWORD": "s"},
        {},
        {"redis_url": "redis-cluster://:s@n1:7000,n2:7001"},
    ),
    (
        "--redis-addr flag beats REDIS_URL variable",
        {"REDIS_URL": "redis://env:1/0"},
        {"redis_addr": "flag:2", "redis_db": 5},
        {"redis_url": "redis://flag:2/5"},
    ),
    (
        "--redis-url flag beats REDIS_CLUSTER_NODES variable",
        {"REDIS_CLUSTER_NODES": "n:1"},
        {"redis_url": "redis://flag:3/1"},
        {"redis_url": "redis://flag:3/1"},
    ),
    (
        "REDIS_TLS is the server name",
        {"REDIS_ADDR": "r:6380", "REDIS_TLS": "redis.internal"},
        {},
        {"redis_url": "rediss://r:6380/0?ssl_server_name=redis.internal"},
    ),
    ("REDIS_TLS=true turns TLS on", {"REDIS_TLS": "true"}, {}, {"redis_url": "rediss://127.0.0.1:6379/0"}),
    (
        "insecure TLS",
        {"REDIS_URL": "redis://r:1/0", "REDIS_INSECURE_TLS": "1"},
        {},
        {"redis_url": "rediss://r:1/0?ssl_cert_reqs=none"},
    ),
    (
        "TLS flags on a sentinel URL",
        {},
        {"redis_url": "redis-sentinel://s:26379?master=m", "redis_insecure_tls": True},
        {"redis_url": "redis-sentinel://s:26379?master=m&ssl=true&ssl_cert_reqs=none"},
    ),
    (
        "payload and result lengths",
        {"MAX_PAYLOAD_LENGTH": "50", "CONSOLE_MAX_RESULT_LENGTH": "70", "MAX_RESULT_LENGTH": "9"},
        {},
        {"max_payload_length": 50, "max_result_length": 70},
    ),
    ("length flag beats both names", {"CONSOLE_MAX_PAYLOAD_LENGTH": "5"}, {"max_payload_length": 12}, {"max_payload_length": 12}),
    ("exporter on by default", {}, {}, {"metrics_exporter": True, "prometheus_addr": None}),
    ("ENABLE_METRICS_EXPORTER=false", {"ENABLE_METRICS_EXPORTER": "false"}, {}, {"metrics_exporter": False}),
    ("exporter flag", {"ENABLE_METRICS_EXPORTER": "false"}, {"enable_metrics_exporter": True}, {"metrics_exporter": True}),
    (
        "PROMETHEUS_ADDR",
        {"PROMETHEUS_ADDR": "http://prom:9090/"},
        {},
        {"prometheus_addr": "http://prom:9090"},
    ),
    (
        "prometheus flag beats variable",
        {"PROMETHEUS_ADDR": "http://env:9090"},
        {"prometheus_addr": "https://flag:9090"},
        {"prometheus_addr": "https://flag:9090"},
    ),
    ("root path variable", {"CONSOLE_ROOT_PATH": "/ops/"}, {}, {"root_path": "/ops"}),
    ("root path flag", {"CONSOLE_ROOT_PATH": "/ops"}, {"root_path": "/"}, {"root_path": ""}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("environ", "flags", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_precedence_table(environ, flags, expected):
    config = ConsoleConfig.from_env(console_env(environ=environ, **flags))
    assert {name: getattr(config, name) for name in expected} == expected


@pytest.mark.parametrize(
    ("environ", "words"),
    [
        ({"READ_ONLY": "maybe"}, ["READ_ONLY must be true or false"]),
        ({"MAX_PAYLOAD_LENGTH": "lots"}, ["MAX_PAYLOAD_LENGTH must be an integer"]),
        ({"PROMETHEUS_ADDR": "prom:9090"}, ["http://host:9090", "prom:9090"]),
        ({"REDIS_DB": "x"}, ["REDIS_DB"]),
        ({"REDIS_CA_CERT": "/no/such/ca.pem"}, ["ssl_ca_certs: no such file"]),
    ],
)
def test_bad_values_name_the_variable(environ, words):
    with pytest.raises(ValueError) as info:
        ConsoleConfig.from_env(environ)
    for word in words:
        assert word in str(info.value)
    assert "CONSOLE_READ_ONLY" not in str(info.value)  # the name the operator wrote


@pytest.mark.parametrize(
    ("args", "environ", "words"),
    [
        (["--root-path", "monitoring"], {}, "root_path must start with '/'"),
        ([], {"CONSOLE_ROOT_PATH": "no-slash"}, "root_path must start with '/'"),
        (["--redis-url", "http://x"], {}, "unsupported redis URL scheme"),
        (["--prometheus-addr", "localhost:9090"], {}, "prometheus_addr must look like"),
        (["--port", "0"], {}, "--port"),
        ([], {"PORT": "eighty"}, "--port"),
    ],
)
def test_bad_settings_are_usage_errors_before_anything_starts(args, environ, words):
    result = CliRunner().invoke(main, ["console", *args], env=environ)
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert "Traceback" not in result.output


def test_payload_and_result_cells_have_their_own_lengths(redis_url, r):
    """MAX_PAYLOAD_LENGTH and MAX_RESULT_LENGTH cut the table cells separately, as Asynqmon's."""
    from pyasynq.console import create_app
    from tests.support.states import seed_task

    seed_task(
        r,
        "default",
        "completed",
        payload=b"abcdefghijklmnopqrstuvwxyz",
        result=b"0123456789ABCDEFGHIJ",
        retention=3600,
    )
    config = ConsoleConfig.from_env(
        {
            "REDIS_URL": redis_url,
            "CONSOLE_SECRET_KEY": "k",
            "CONSOLE_RECORD_THROUGHPUT": "0",
            "MAX_PAYLOAD_LENGTH": "5",
            "MAX_RESULT_LENGTH": "12",
        }
    )
    app = create_app(config)
    try:
        html = app.test_client().get("/monitoring/queues/default?state=completed").get_data(True)
    finally:
        app.extensions["pyasynq"].close()
    assert "abcde…" in html and "abcdef" not in html
    assert "0123456789AB…" in html and "0123456789ABC" not in html
