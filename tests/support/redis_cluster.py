"""Real local Redis deployments for tests: a 3-master cluster, and a master+replica+sentinel."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import redis

from tests.support.redis_server import RedisServer, find_redis_server, free_cluster_port


def _redis_cli() -> str:
    candidate = Path(find_redis_server()).with_name("redis-cli")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("redis-cli")
    if found:
        return found
    raise RuntimeError("redis-cli not found (needed to create a cluster)")


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except redis.RedisError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


class RedisClusterDeployment:
    """Three cluster-enabled masters on free loopback ports, joined with ``redis-cli --cluster``."""

    def __init__(self, masters: int = 3) -> None:
        self.nodes = [
            RedisServer(
                "--cluster-enabled",
                "yes",
                "--cluster-node-timeout",
                "2000",
                "--cluster-config-file",
                "nodes.conf",
                port=free_cluster_port(),
            )
            for _ in range(masters)
        ]

    @property
    def url(self) -> str:
        return "redis-cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def start(self) -> RedisClusterDeployment:
        try:
            self._start()
        except BaseException:
            self.cleanup()
            raise
        return self

    def _start(self) -> None:
        for node in self.nodes:
            node.start()
        addrs = [f"127.0.0.1:{n.port}" for n in self.nodes]
        subprocess.run(
            [
                _redis_cli(),
                "--cluster",
                "create",
                *addrs,
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )

        def ok() -> bool:
            for node in self.nodes:
                info = redis.Redis(port=node.port).cluster("INFO")
                if info.get("cluster_state") != "ok":
                    return False
            return True

        _wait(ok, 30, "cluster_state:ok")

    def cleanup(self) -> None:
        for node in self.nodes:
            node.cleanup()


class SentinelDeployment:
    """A master, one replica and one sentinel (``redis-server --sentinel``) watching them."""

    master_name = "pyasynq"

    def __init__(self) -> None:
        self.master = RedisServer()
        self.replica: RedisServer | None = None
        self.sentinel: RedisServer | None = None
        self.sentinel_proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis-sentinel://127.0.0.1:{self.sentinel.port}?master={self.master_name}"

    def start(self) -> SentinelDeployment:
        self.master.start()
        self.replica = RedisServer("--replicaof", "127.0.0.1", str(self.master.port)).start()
        _wait(
            lambda: (
                redis.Redis(port=self.replica.port).info("replication").get("master_link_status")
                == "up"
            ),
            20,
            "replica link",
        )
        self.sentinel = RedisServer()
        conf = Path(self.sentinel.dir) / "sentinel.conf"
        conf.write_text(
            f"port {self.sentinel.port}\nbind 127.0.0.1\ndir {self.sentinel.dir}\n"
            f"sentinel monitor {self.master_name} 127.0.0.1 {self.master.port} 1\n"
            f"sentinel down-after-milliseconds {self.master_name} 1000\n"
            f"sentinel failover-timeout {self.master_name} 5000\n"
        )
        self.sentinel_proc = subprocess.Popen(
            [find_redis_server(), str(conf), "--sentinel"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait(
            lambda: (
                redis.Redis(port=self.sentinel.port).execute_command(
                    "SENTINEL", "get-master-addr-by-name", self.master_name
                )
                is not None
            ),
            20,
            "sentinel",
        )
        return self

    def master_port(self) -> int:
        addr = redis.Redis(port=self.sentinel.port).execute_command(
            "SENTINEL", "get-master-addr-by-name", self.master_name
        )
        return int(addr[1])

    def kill_master(self) -> None:
        self.master.proc.kill()
        self.master.proc.wait(5)

    def wait_failover(self, timeout: float = 30) -> int:
        old = self.master.port
        _wait(lambda: self.master_port() != old, timeout, "sentinel failover")
        return self.master_port()

    def cleanup(self) -> None:
        if self.sentinel_proc and self.sentinel_proc.poll() is None:
            self.sentinel_proc.terminate()
            self.sentinel_proc.wait(5)
        for server in (self.master, self.replica, self.sentinel):
            if server:
                server.cleanup()
