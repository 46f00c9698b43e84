"""Redis over TLS from a URL: one server, mutual TLS, a chosen server name, Sentinel and Cluster,
against real ``redis-server`` processes listening with ``--tls-port`` on certificates made here."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from pyasynq import Client, Task
from pyasynq.broker.connection import TLSOptions, parse_url, with_tls
from pyasynq.errors import BrokerError
from pyasynq.inspector import Inspector
from tests.support.redis_cluster import _wait
from tests.support.redis_server import (
    RedisServer,
    find_redis_server,
    free_cluster_port,
    free_port,
)
from tests.support.tls import Certificates, TLSRedisServer


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Certificates:
    return Certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def tls_server(certs):
    server = TLSRedisServer(certs).start()
    yield server
    server.cleanup()


@pytest.fixture(scope="module")
def mtls_server(certs):
    server = TLSRedisServer(certs, mutual=True).start()
    yield server
    server.cleanup()


def _stats(url: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pyasynq.cli", "stats", "--redis-url", url],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_rediss_url_with_ca_carries_tasks(certs, tls_server):
    url = tls_server.tls_url(ssl_ca_certs=certs.path("ca.crt"))
    Client(url).enqueue(Task("tls:hello", b"x"), queue="secure")
    # the task really is in that Redis (read through the plain port)
    assert redis.Redis(port=tls_server.port).exists("asynq:{secure}:pending")
    insp = Inspector(url)
    assert insp.queues() == ["secure"]
    assert insp.broker.where().startswith("rediss://127.0.0.1:")
    result = _stats(url)
    assert result.returncode == 0, result.stderr
    assert "secure" in result.stdout


def test_server_name_is_verified_instead_of_the_address(certs, tls_server):
    good = tls_server.tls_url(ssl_ca_certs=certs.path("ca.crt"), ssl_server_name="redis.test")
    assert Inspector(good).queues() is not None
    bad = tls_server.tls_url(ssl_ca_certs=certs.path("ca.crt"), ssl_server_name="other.test")
    with pytest.raises(BrokerError, match=r"other\.test"):
        Inspector(bad).queues()


def test_async_client_takes_the_same_tls_parameters(certs, tls_server):
    """AsyncClient/AsyncInspector honour the URL's CA, server name and verification mode as
    the sync ones do (they used to turn TLS on and drop the rest)."""
    import asyncio

    from pyasynq import AsyncClient, AsyncInspector

    ca = certs.path("ca.crt")
    named = tls_server.tls_url(ssl_ca_certs=ca, ssl_server_name="redis.test")
    wrong_name = tls_server.tls_url(ssl_ca_certs=ca, ssl_server_name="other.test")

    async def scenario() -> list[str]:
        client = AsyncClient(tls_server.tls_url(ssl_ca_certs=ca))
        await client.enqueue(Task("tls:async", b"x"), queue="async-secure")
        await client.close()
        inspector = AsyncInspector(named)
        queues = await inspector.queues()
        await inspector.close()
        bad = AsyncInspector(wrong_name)
        with pytest.raises(BrokerError, match=r"other\.test|certificate|hostname"):
            await bad.queues()
        await bad.close()
        return queues

    assert "async-secure" in asyncio.run(scenario())
    assert redis.Redis(port=tls_server.port).exists("asynq:{async-secure}:pending")


def test_wrong_ca_fails_fast_with_a_clear_error_and_exit_3(certs, tls_server):
    url = tls_server.tls_url(ssl_ca_certs=certs.path("wrong-ca.crt"))
    started = time.monotonic()
    with pytest.raises(BrokerError) as info:
        Inspector(url).queues()
    assert time.monotonic() - started < 3  # no retries of a handshake that cannot succeed
    message = str(info.value)
    assert "certificate" in message and "wrong-ca.crt" in message
    result = _stats(url)
    assert result.returncode == 3
    assert "certificate" in result.stderr and "ssl_ca_certs" in result.stderr
    assert "Traceback" not in result.stderr


def test_tls_to_a_plain_port_fails_once_with_the_likely_cause(tls_server):
    """A plain Redis never answers a TLS hello: one timeout, then a sentence naming the likely
    cause (not four silent retries of it, as redis-py would do with a bare timeout)."""
    from pyasynq.broker.connection import TLSHandshakeError, connect

    plain = connect(f"rediss://127.0.0.1:{tls_server.port}/0", socket_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(TLSHandshakeError, match="timed out after 0.5 s.*serves plain Redis"):
        plain.ping()
    assert time.monotonic() - started < 1.5


def test_system_trust_store_refuses_a_private_ca(tls_server):
    with pytest.raises(BrokerError, match="set ssl_ca_certs"):
        Inspector(tls_server.tls_url()).queues()


def test_cert_reqs_none_skips_verification(certs, tls_server):
    url = tls_server.tls_url(ssl_ca_certs=certs.path("wrong-ca.crt"), ssl_cert_reqs="none")
    assert Inspector(url).queues() is not None


def test_mutual_tls(certs, mtls_server):
    url = mtls_server.tls_url(
        ssl_ca_certs=certs.path("ca.crt"),
        ssl_certfile=certs.path("client.crt"),
        ssl_keyfile=certs.path("client.key"),
    )
    Client(url).enqueue(Task("mtls"), queue="m")
    assert Inspector(url).queues() == ["m"]
    without = mtls_server.tls_url(ssl_ca_certs=certs.path("ca.crt"))
    with pytest.raises(BrokerError, match="requires a client certificate"):
        Inspector(without).queues()
    result = _stats(without)
    assert result.returncode == 3 and "ssl_certfile" in result.stderr


def test_sentinel_over_tls(certs):
    master = TLSRedisServer(certs).start()
    sentinel = RedisServer()
    tls_port = free_port()
    conf = Path(sentinel.dir) / "sentinel.conf"
    conf.write_text(
        f"port {sentinel.port}\nbind 127.0.0.1\ndir {sentinel.dir}\ntls-port {tls_port}\n"
        f"tls-cert-file {certs.path('server.crt')}\ntls-key-file {certs.path('server.key')}\n"
        f"tls-ca-cert-file {certs.path('ca.crt')}\ntls-auth-clients no\ntls-replication yes\n"
        f"sentinel monitor tlsmaster 127.0.0.1 {master.tls_port} 1\n"
    )
    proc = subprocess.Popen(
        [find_redis_server(), str(conf), "--sentinel"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(
            lambda: redis.Redis(port=sentinel.port).execute_command(
                "SENTINEL", "get-master-addr-by-name", "tlsmaster"
            ),
            20,
            "sentinel",
        )
        base = f"redis-sentinel://127.0.0.1:{tls_port}?master=tlsmaster"
        url = f"{base}&ssl_ca_certs={certs.path('ca.crt')}"
        Client(url).enqueue(Task("s"), queue="via-sentinel")
        assert redis.Redis(port=master.port).exists("asynq:{via-sentinel}:pending")
        assert "(TLS)" in Inspector(url).broker.where()
        with pytest.raises(BrokerError, match="certificate"):
            Inspector(f"{base}&ssl_ca_certs={certs.path('wrong-ca.crt')}").queues()
        assert _async_queues(url) == ["via-sentinel"]  # sentinels and master over TLS too
    finally:
        proc.terminate()
        proc.wait(10)
        master.cleanup()
        sentinel.cleanup()


def test_cluster_over_tls(certs):
    """A one-node cluster holding every slot: enough to prove the cluster client speaks TLS (and
    verifies ssl_server_name) to the node it is given and to the node the slot map names."""
    tls_port = free_cluster_port()  # with tls-cluster the bus is the TLS port + 10000
    port = free_port()
    while port in (tls_port, tls_port + 10000):
        port = free_port()
    node = RedisServer(
        "--tls-port", str(tls_port),
        "--tls-cert-file", certs.path("server.crt"),
        "--tls-key-file", certs.path("server.key"),
        "--tls-ca-cert-file", certs.path("ca.crt"),
        "--tls-auth-clients", "no",
        "--tls-cluster", "yes",
        "--cluster-enabled", "yes",
        "--cluster-config-file", "nodes.conf",
        port=port,
    ).start()  # fmt: skip
    try:
        plain = redis.Redis(port=node.port)
        plain.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)
        _wait(lambda: plain.cluster("INFO").get("cluster_state") == "ok", 20, "cluster ok")
        url = f"redis-cluster://127.0.0.1:{tls_port}?ssl_ca_certs={certs.path('ca.crt')}"
        Client(url).enqueue(Task("c"), queue="clustered")
        assert Inspector(url).queues() == ["clustered"]
        named = Inspector(url + "&ssl_server_name=redis.test")
        assert named.queues() == ["clustered"]
        pool = named.broker.redis.get_default_node().redis_connection.connection_pool
        assert pool.connection_class.default_server_name == "redis.test"
        with pytest.raises(BrokerError, match="other.test"):
            Inspector(url + "&ssl_server_name=other.test").queues()
        wrong = url.replace("ca.crt", "wrong-ca.crt")
        with pytest.raises(BrokerError, match="wrong-ca.crt"):
            Inspector(wrong).queues()
        assert _async_queues(url) == ["clustered"]
        with pytest.raises(ValueError, match="ssl_server_name is not supported by the asyncio"):
            _async_queues(url + "&ssl_server_name=redis.test")
    finally:
        node.cleanup()


def _async_queues(url: str) -> list[str]:
    import asyncio

    from pyasynq import AsyncInspector

    async def read() -> list[str]:
        inspector = AsyncInspector(url)
        try:
            return await inspector.queues()
        finally:
            await inspector.close()

    return asyncio.run(read())


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis://h?ssl_ca_certs=/etc/hostname", "need a rediss:// URL"),
        ("rediss://h?ssl_ca_certs=/no/such/ca.pem", "ssl_ca_certs: no such file"),
        ("rediss://h?ssl_cert_reqs=maybe", "ssl_cert_reqs must be one of required"),
        ("rediss://h?ssl_ca_cert=/etc/hostname", "unknown TLS parameter 'ssl_ca_cert'"),
        ("rediss://h?ssl_keyfile=/etc/hostname", "ssl_keyfile needs ssl_certfile"),
        ("redis-sentinel://h?master=m&ssl=perhaps", "ssl must be true or false"),
    ],
)
def test_bad_tls_urls_are_refused_with_the_reason(url, message):
    with pytest.raises(ValueError, match=message):
        parse_url(url)


def test_url_forms():
    s = parse_url("rediss://:pw@h:7/3?ssl_cert_reqs=optional&ssl_server_name=r.example")
    assert (s.hosts, s.db, s.password, s.tls) == ((("h", 7),), 3, "pw", True)
    assert s.tls_options == TLSOptions(cert_reqs="optional", server_name="r.example")
    assert parse_url("rediss://h").tls_options == TLSOptions()
    assert parse_url("redis-sentinel://h?master=m").tls_options is None
    assert parse_url("redis-sentinel://h?master=m&ssl=true").tls_options == TLSOptions()
    assert parse_url("redis-cluster://h:1?ssl=1").tls
    # a path inside the query no longer ends the host part
    assert parse_url("rediss://h:9?ssl_ca_certs=/etc/hostname").hosts == (("h", 9),)
    assert (
        with_tls("redis://:p@h:1/2", TLSOptions(server_name="n", cert_reqs="none"))
        == "rediss://:p@h:1/2?ssl_cert_reqs=none&ssl_server_name=n"
    )
    assert with_tls("redis-cluster://a:1,b:2", TLSOptions()) == "redis-cluster://a:1,b:2?ssl=true"
    assert with_tls("redis-sentinel://a?master=m", TLSOptions()).endswith("?master=m&ssl=true")
    with pytest.raises(ValueError):
        with_tls("unix:///tmp/r.sock", TLSOptions())
