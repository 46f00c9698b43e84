"""Go's ``--cluster --cluster_addrs`` against a real 3-master Redis Cluster: ``queue ls`` prints
Go's key-slot table and ``stats`` Go's cluster section."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from pyasynq import Client, Task
from pyasynq.cli import main
from tests.support.redis_cluster import RedisClusterDeployment


@pytest.fixture(scope="module")
def cluster():
    deployment = RedisClusterDeployment().start()
    yield deployment
    deployment.cleanup()


def test_cluster_flags_reach_the_cluster(cluster, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("REDIS_URL", raising=False)
    client = Client(cluster.url)
    client.enqueue(Task("t"), queue="default")
    client.close()
    addrs = ",".join(f"127.0.0.1:{n.port}" for n in cluster.nodes)
    listing = CliRunner().invoke(main, ["--cluster", "--cluster_addrs", addrs, "queue", "ls"])
    assert listing.exit_code == 0, listing.output
    header, rule, row = (re.split(r"\s{2,}", line.strip()) for line in listing.output.splitlines())
    assert header == ["Queue", "Cluster KeySlot", "Cluster Nodes"]
    assert row[:2] == ["default", "5718"]
    assert re.fullmatch(r"\[\{[0-9a-f]{40} 127\.0\.0\.1:\d+\}\]", row[2])

    stats = CliRunner().invoke(main, ["stats", "--cluster", f"--cluster_addrs={addrs}"])
    assert stats.exit_code == 0, stats.output
    section = stats.output.split("Redis Cluster Info\n")[1].splitlines()
    assert re.split(r"\s{2,}", section[2].strip()) == ["OK", "3", "3"]
