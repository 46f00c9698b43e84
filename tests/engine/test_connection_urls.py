"""Redis URL forms (engine/broker/connection.py): a table of what each form means, a table of
bad URLs and their errors, and real connections over TCP and a unix socket."""

from __future__ import annotations

import asyncio
import os

import pytest

from pyasynq.broker.aio import connect_async
from pyasynq.broker.connection import ConnectionSettings, TLSOptions, connect, parse_url
from tests.support.redis_server import RedisServer

# url -> the fields of ConnectionSettings it must give (the others keep their defaults)
GOOD = [
    ("redis://localhost", dict(scheme="redis", hosts=(("localhost", 6379),))),
    ("redis://10.0.0.5:6380/3", dict(scheme="redis", hosts=(("10.0.0.5", 6380),), db=3)),
    ("redis://h:1?db=4", dict(scheme="redis", hosts=(("h", 1),), db=4)),
    ("REDIS://h:1", dict(scheme="redis", hosts=(("h", 1),))),
    ("redis://[::1]:7000/2", dict(scheme="redis", hosts=(("::1", 7000),), db=2)),
    ("redis://:s3cret@h", dict(scheme="redis", hosts=(("h", 6379),), password="s3cret")),
    ("redis://s3cret@h", dict(scheme="redis", hosts=(("h", 6379),), password="s3cret")),
    (
        "redis://alice:p%40ss%2Fw@h:1/0",
        dict(scheme="redis", hosts=(("h", 1),), username="alice", password="p@ss/w"),
    ),
    (
        "rediss://h:6390/1",
        dict(scheme="rediss", hosts=(("h", 6390),), db=1, tls=True, tls_options=TLSOptions()),
    ),
    ("unix:///run/redis.sock", dict(scheme="unix", path="/run/redis.sock")),
    ("unix:///run/redis.sock?db=5", dict(scheme="unix", path="/run/redis.sock", db=5)),
    (
        "redis-socket://:pw@/var/run/r.sock?db=1",
        dict(scheme="redis-socket", path="/var/run/r.sock", db=1, password="pw"),
    ),
    (
        "redis-sentinel://s1,s2:26380/2?master=main",
        dict(
            scheme="redis-sentinel",
            hosts=(("s1", 26379), ("s2", 26380)),
            db=2,
            master_name="main",
        ),
    ),
    (
        "redis-sentinel://:sentpw@s1?master=main&password=datapw",
        dict(
            scheme="redis-sentinel",
            hosts=(("s1", 26379),),
            master_name="main",
            sentinel_password="sentpw",
            password="datapw",
        ),
    ),
    (
        "redis-cluster://a:7000,b:7001,c",
        dict(scheme="redis-cluster", hosts=(("a", 7000), ("b", 7001), ("c", 6379))),
    ),
    (
        "redis://h/1?socket_timeout=2.5&socket_connect_timeout=1&health_check_interval=0"
        "&client_name=billing-api",
        dict(
            scheme="redis",
            hosts=(("h", 6379),),
            db=1,
            options=dict(
                socket_timeout=2.5,
                socket_connect_timeout=1.0,
                health_check_interval=0.0,
                client_name="billing-api",
            ),
        ),
    ),
    (
        "unix:///run/redis.sock?db=2&socket_timeout=0.5",
        dict(scheme="unix", path="/run/redis.sock", db=2, options=dict(socket_timeout=0.5)),
    ),
]

BAD = [
    ("localhost:6379", "not a redis URL"),
    ("redis:/h", "not a redis URL"),
    ("http://h", "unsupported redis URL scheme: 'http'"),
    ("redis://", "redis URL names no host"),
    ("redis://h:port", "invalid port in redis address 'h:port'"),
    ("redis://h/abc", "database must be a number, got 'abc'"),
    ("redis://h?db=x", "database must be a number, got 'x'"),
    ("redis://h/-1", "database number cannot be negative"),
    ("unix://", "unix socket URL needs a path"),
    ("redis-socket://", "unix socket URL needs a path"),
    ("redis-sentinel://s1:26379", "redis-sentinel URL needs ?master=<name>"),
    # a misspelt option is refused, not ignored
    ("redis://h?socket_timout=1", "unknown URL parameter 'socket_timout': accepted are db,"),
    ("redis://h?timeout=1", "unknown URL parameter 'timeout'"),
    ("redis://h?socket_timeout=abc", "socket_timeout must be a number of seconds, got 'abc'"),
    ("redis://h?socket_timeout=0", "socket_timeout must be more than 0 seconds"),
    ("redis://h?socket_connect_timeout=-1", "socket_connect_timeout must be more than 0"),
    ("redis://h?socket_timeout=nan", "socket_timeout must be more than 0 seconds"),
    ("redis://h?health_check_interval=-5", "health_check_interval must be 0 or more seconds"),
    ("redis://h?client_name=a%20b", "client_name must be one word, got 'a b'"),
]


@pytest.mark.parametrize("url,expected", GOOD, ids=[u for u, _ in GOOD])
def test_url_forms(url, expected):
    assert parse_url(url) == ConnectionSettings(**expected)


@pytest.mark.parametrize("url,message", BAD, ids=[u for u, _ in BAD])
def test_bad_urls_say_what_is_wrong(url, message):
    with pytest.raises(ValueError) as err:
        parse_url(url)
    assert message in str(err.value)


@pytest.mark.parametrize("value", [None, 6379, b"redis://h"])
def test_non_strings_are_refused(value):
    with pytest.raises(ValueError, match="not a redis URL"):
        parse_url(value)


def test_describe_names_the_target_without_secrets():
    assert parse_url("redis://:pw@h:1/2").describe() == "redis://h:1/2"
    assert parse_url("unix:///s.sock").describe() == "unix:/s.sock"
    assert parse_url("redis-cluster://a:1,b:2").describe() == "cluster a:1,b:2"
    assert parse_url("redis-sentinel://s:1?master=m").describe() == "sentinel s:1 master m"


@pytest.fixture(scope="module")
def socket_redis():
    server = RedisServer()
    sock = os.path.join(server.dir, "redis.sock")
    server.extra_args = ("--unixsocket", sock, "--unixsocketperm", "700")
    server.start()
    yield server, sock
    server.cleanup()


def test_url_options_reach_the_connection_and_code_wins(socket_redis):
    server, _ = socket_redis
    url = f"redis://127.0.0.1:{server.port}/0?socket_timeout=3&client_name=billing-api"
    client = connect(url)
    overridden = connect(url, socket_timeout=7.0)
    try:
        assert client.client_getname() == "billing-api"  # CLIENT SETNAME on connect
        assert client.connection_pool.connection_kwargs["socket_timeout"] == 3.0
        assert overridden.connection_pool.connection_kwargs["socket_timeout"] == 7.0
    finally:
        client.close()
        overridden.close()

    async def read_async() -> tuple[object, object]:
        aclient = connect_async(url)
        try:
            return await aclient.client_getname(), aclient.connection_pool.connection_kwargs
        finally:
            await aclient.aclose()

    name, kwargs = asyncio.run(read_async())
    assert name == "billing-api" and kwargs["socket_timeout"] == 3.0  # the asyncio client too


def test_tcp_and_unix_urls_reach_the_same_redis(socket_redis):
    server, sock = socket_redis
    tcp = connect(f"redis://127.0.0.1:{server.port}/3")
    unix = connect(f"unix://{sock}?db=3")
    socket_form = connect(f"redis-socket://{sock}?db=3")
    other_db = connect(f"unix://{sock}?db=0")
    try:
        tcp.flushall()
        tcp.set("k", "v")
        assert unix.get("k") == b"v" and socket_form.get("k") == b"v"
        assert other_db.get("k") is None  # the db number is honoured
    finally:
        for c in (tcp, unix, socket_form, other_db):
            c.close()
