"""A private Prometheus (Debian's ``prometheus`` binary) for tests: its own config and storage in a
temporary directory, a free loopback port, a 1 s scrape of the targets it is given. The system's
Prometheus service is never used."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from tests.support.redis_server import free_port


def find_prometheus() -> str | None:
    return shutil.which("prometheus")


class PrometheusServer:
    """``prometheus`` scraping ``targets`` (host:port) at ``metrics_path`` every second."""

    def __init__(self, targets: list[str], metrics_path: str = "/metrics") -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="pyasynq-prometheus-"))
        self.targets = targets
        self.metrics_path = metrics_path
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> PrometheusServer:
        binary = find_prometheus()
        if binary is None:
            raise RuntimeError("prometheus not found: apt-get install -y prometheus")
        config = self.dir / "prometheus.yml"
        config.write_text(
            json.dumps(  # JSON is YAML: no quoting surprises
                {
                    "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                    "scrape_configs": [
                        {
                            "job_name": "pyasynq",
                            "metrics_path": self.metrics_path,
                            "static_configs": [{"targets": self.targets}],
                        }
                    ],
                }
            )
        )
        self.proc = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={self.dir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=warn",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(self.dir / "prometheus.log").open("wb"),
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        log = (self.dir / "prometheus.log").read_text(errors="replace")[-2000:]
        self.cleanup()
        raise RuntimeError(f"prometheus did not start: {log}")

    def query(self, promql: str) -> list[dict]:
        """The instant vector of ``promql`` now."""
        url = f"{self.url}/api/v1/query?{urllib.parse.urlencode({'query': promql})}"
        with urllib.request.urlopen(url, timeout=10) as resp:
            return json.loads(resp.read())["data"]["result"]

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
