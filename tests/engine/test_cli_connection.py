"""Go ``asynq``'s connection flags, ``--config`` / ``~/.asynq.yaml`` and their precedence.

The mapping of Go's TLS flags is checked at the URL and settings level (the TLS handshake
itself belongs to the broker's connection code); everything else runs against the test Redis.
"""

from __future__ import annotations

import pytest
import redis
from click.testing import CliRunner

from pyasynq import Client, Task
from pyasynq.broker.connection import parse_url
from pyasynq.cli import main
from pyasynq.cli._connection import ConnectionFlags, go_url


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("REDIS_URL", raising=False)
    return tmp_path


@pytest.fixture
def addr(redis_server, redis_url):
    """host:port of the test Redis, with one task in db 0 and another in db 2."""
    Client(redis_url).enqueue(Task("t"), queue="in_db0")
    host = parse_url(redis_url).hosts[0]
    db2 = redis.Redis(host=host[0], port=host[1], db=2)
    db2.flushdb()
    Client(f"redis://{host[0]}:{host[1]}/2").enqueue(Task("t"), queue="in_db2")
    yield f"{host[0]}:{host[1]}"
    db2.flushdb()
    db2.close()


def cli(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env)


@pytest.mark.parametrize(
    "args",
    [
        ["-u", "{addr}", "-n", "2", "queue", "ls"],
        ["queue", "ls", "-u", "{addr}", "-n", "2"],
        ["--uri={addr}", "queue", "list", "--db=2"],
        ["-u", "{addr}", "queue", "ls", "-n2"],
        ["--uri", "{addr}", "--db", "2", "-p", "", "queue", "ls"],
    ],
)
def test_persistent_flags_before_or_after_the_subcommand(home, addr, args):
    result = cli(*[a.format(addr=addr) for a in args])
    assert (result.exit_code, result.output) == (0, "in_db2\n"), result.output


def test_flag_after_the_subcommand_wins(home, addr):
    result = cli("-n", "2", "queue", "ls", "-u", addr, "-n", "0")
    assert result.output == "in_db0\n"


def test_config_file_with_gos_keys(home, addr, tmp_path):
    (home / ".asynq.yaml").write_text(f"uri: {addr}\ndb: 2\n")
    result = cli("queue", "ls")
    assert result.exit_code == 0
    assert result.stdout == "in_db2\n"  # stdout stays clean for scripts
    assert f"Using config file: {home / '.asynq.yaml'}" in result.stderr
    # a flag beats the file, per key (viper's order)
    assert cli("queue", "ls", "-n", "0").stdout == "in_db0\n"
    other = tmp_path / "other.yml"
    other.write_text(f"uri: {addr}\ndb: 0\nunknown_key: ignored\n")
    assert cli("--config", str(other), "queue", "ls").stdout == "in_db0\n"
    assert cli("queue", "ls", "--config", str(other)).stdout == "in_db0\n"


def test_env_redis_url_beats_the_config_file_but_not_flags(home, addr, redis_url):
    (home / ".asynq.yaml").write_text(f"uri: {addr}\ndb: 2\n")
    env = {"REDIS_URL": redis_url}  # db 0
    assert cli("queue", "ls", env=env).stdout == "in_db0\n"
    assert cli("queue", "ls", "-n", "2", env=env).stdout == "in_db2\n"


def test_bad_config_and_missing_config_are_usage_errors(home, tmp_path):
    missing = cli("--config", str(tmp_path / "nope.yaml"), "queue", "ls")
    assert missing.exit_code == 2 and "not found" in missing.output
    (home / ".asynq.yaml").write_text("db: [1, 2\n")
    broken = cli("queue", "ls")
    assert broken.exit_code == 2 and "cannot read config file" in broken.output
    (home / ".asynq.yaml").write_text("db: many\n")
    bad = cli("queue", "ls")
    assert bad.exit_code == 2 and "bad value for db" in bad.output


def test_bad_url_is_a_usage_error_listing_the_forms(home):
    for args in (
        ["--redis-url", "http://x", "queue", "ls"],
        ["queue", "ls", "-r", "redis://h:notaport/0"],
        ["stats", "-u", "host:port"],
    ):
        result = cli(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "bad Redis URL" in result.output and "redis-cluster://" in result.output
        assert "redis-sentinel://" in result.output and "--tls_server" in result.output
        assert "Traceback" not in result.output


def test_redis_url_and_go_flags_together_are_refused(home):
    result = cli("--redis-url", "redis://127.0.0.1:1/0", "queue", "ls", "-n", "2")
    assert result.exit_code == 2 and "not both" in result.output


def test_pflag_boolean_spellings(home):
    # --tls=false is the same as no --tls; --tls=true turns TLS on (then the port is wrong: 3)
    from pyasynq.cli._group import pflag_bools

    assert pflag_bools(["--tls=false", "stats", "--insecure=true", "--json=1"]) == [
        "stats",
        "--insecure",
        "--json",
    ]
    assert pflag_bools(["--", "--tls=true"]) == ["--", "--tls=true"]


# -- Go's flags as our URLs ------------------------------------------------------------------------


def test_go_flags_map_onto_urls():
    assert go_url(ConnectionFlags()) == "redis://127.0.0.1:6379/0"
    assert go_url(ConnectionFlags(uri="h:1", db=3, password="p@ss:/w")) == (
        "redis://:p%40ss%3A%2Fw@h:1/3"
    )
    assert go_url(ConnectionFlags(uri="h:1", username="alice", password="pw")) == (
        "redis://alice:pw@h:1/0"
    )
    assert go_url(ConnectionFlags(uri="h:6380", tls=True)) == "rediss://h:6380/0"
    # --tls_server alone turns TLS on (Go's getTLSConfig); --insecure skips verification
    assert go_url(ConnectionFlags(uri="h:6380", tls_server="redis.example", insecure=True)) == (
        "rediss://h:6380/0?ssl_server_name=redis.example&ssl_cert_reqs=none"
    )
    assert go_url(ConnectionFlags(uri="h:6380", insecure=True)) == "redis://h:6380/0"
    assert go_url(ConnectionFlags(cluster=True, cluster_addrs="a:7000, b:7001", password="pw")) == (
        "redis-cluster://:pw@a:7000,b:7001"
    )
    assert go_url(ConnectionFlags(cluster=True)).startswith("redis-cluster://127.0.0.1:7000,")
    assert go_url(ConnectionFlags(uri="redis-socket:///tmp/r.sock?db=1")) == (
        "redis-socket:///tmp/r.sock?db=1"
    )


def test_go_flags_give_the_settings_they_mean():
    tls = parse_url(go_url(ConnectionFlags(uri="h:6380", db=4, password="pw", tls=True)))
    assert (tls.scheme, tls.hosts, tls.db, tls.password, tls.tls) == (
        "rediss",
        (("h", 6380),),
        4,
        "pw",
        True,
    )
    cluster = parse_url(go_url(ConnectionFlags(cluster=True, cluster_addrs="a:7000,b:7001")))
    assert (cluster.scheme, cluster.hosts) == ("redis-cluster", (("a", 7000), ("b", 7001)))
    insecure = parse_url(
        go_url(ConnectionFlags(uri="h:6380", tls_server="redis.example", insecure=True))
    )
    assert insecure.tls
    options = getattr(insecure, "tls_options", None)  # the broker's TLS settings, where it has them
    if options is not None:
        assert (options.server_name, options.cert_reqs) == ("redis.example", "none")


def test_config_file_tls_keys_reach_the_url(home, tmp_path):
    from pyasynq.cli._connection import load_config

    path = tmp_path / "asynq.json"
    path.write_text('{"uri": "h:6380", "tls": "true", "tls_server": "n", "insecure": true}')
    settings = load_config(str(path))
    assert settings == {"uri": "h:6380", "tls": True, "tls_server": "n", "insecure": True}
    assert go_url(ConnectionFlags(**settings)) == (
        "rediss://h:6380/0?ssl_server_name=n&ssl_cert_reqs=none"
    )
    toml = tmp_path / "asynq.toml"
    toml.write_text('uri = "h:1"\ndb = 5\ncluster_addrs = "a:1,b:2"\n')
    assert load_config(str(toml)) == {"uri": "h:1", "db": 5, "cluster_addrs": "a:1,b:2"}


def test_unreachable_cluster_exits_3(home):
    from tests.support.redis_server import free_port

    addrs = f"127.0.0.1:{free_port()},127.0.0.1:{free_port()}"
    result = cli("--cluster", "--cluster_addrs", addrs, "queue", "ls")
    assert result.exit_code == 3 and "cannot reach Redis" in result.output, result.output
