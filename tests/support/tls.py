"""TLS for tests: certificates made with openssl on the spot, and a redis-server listening on TLS.

``Certificates(dir)`` writes a CA, a server certificate for ``127.0.0.1``/``localhost``/
``redis.test`` signed by it, a client certificate (mutual TLS) and an unrelated second CA (the
"wrong CA" a client may be given). ``TLSRedisServer`` is the fixtures' ``RedisServer`` with a TLS
port beside its plain one (the plain port only serves the start-up check and test assertions).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.support.redis_server import RedisServer, free_port

SERVER_NAMES = ("localhost", "redis.test")


def _openssl(*args: str, cwd: Path) -> None:
    binary = shutil.which("openssl")
    if binary is None:
        raise RuntimeError("openssl not found (needed to make test certificates)")
    subprocess.run([binary, *args], cwd=cwd, check=True, capture_output=True, timeout=60)


class Certificates:
    """PEM files in ``dir``: ca.crt, server.crt/.key, client.crt/.key, wrong-ca.crt."""

    def __init__(self, directory: str | Path) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._make()

    def path(self, name: str) -> str:
        return str(self.dir / name)

    def _ca(self, name: str) -> None:
        _openssl(
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-keyout", f"{name}.key", "-out", f"{name}.crt", "-subj", f"/CN=pyasynq test {name}",
            cwd=self.dir,
        )  # fmt: skip

    def _leaf(self, name: str, ext: str) -> None:
        (self.dir / f"{name}.ext").write_text(ext)
        _openssl(
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", f"{name}.key",
            "-out", f"{name}.csr", "-subj", f"/CN=pyasynq test {name}",
            cwd=self.dir,
        )  # fmt: skip
        _openssl(
            "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-out", f"{name}.crt", "-extfile", f"{name}.ext",
            cwd=self.dir,
        )  # fmt: skip

    def _make(self) -> None:
        self._ca("ca")
        self._ca("wrong-ca")
        sans = ",".join(["IP:127.0.0.1", *(f"DNS:{n}" for n in SERVER_NAMES)])
        self._leaf(
            "server",
            f"subjectAltName={sans}\nextendedKeyUsage=serverAuth\n",
        )
        self._leaf("client", "extendedKeyUsage=clientAuth\n")


class TLSRedisServer(RedisServer):
    """redis-server with ``--tls-port``; ``mutual=True`` demands a client certificate."""

    def __init__(self, certs: Certificates, *extra: str, mutual: bool = False) -> None:
        self.tls_port = free_port()
        super().__init__(
            "--tls-port", str(self.tls_port),
            "--tls-cert-file", certs.path("server.crt"),
            "--tls-key-file", certs.path("server.key"),
            "--tls-ca-cert-file", certs.path("ca.crt"),
            "--tls-auth-clients", "yes" if mutual else "no",
            *extra,
        )  # fmt: skip
        self.certs = certs

    def tls_url(self, host: str = "127.0.0.1", **params: str) -> str:
        from urllib.parse import urlencode

        query = f"?{urlencode(params)}" if params else ""
        return f"rediss://{host}:{self.tls_port}/0{query}"
