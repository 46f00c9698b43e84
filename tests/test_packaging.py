"""The wheel built from the repo carries everything the product needs at run time."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--quiet", "--wheel-dir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (path,) = out.glob("pyasynq-*.whl")
    with zipfile.ZipFile(path) as zf:
        yield zf


def test_wheel_has_every_lua_script(wheel):
    names = set(wheel.namelist())
    scripts = sorted(p.name for p in (ROOT / "engine/broker/scripts").glob("*.lua"))
    assert scripts, "no Lua scripts in the repo"
    for name in scripts:
        assert f"engine/broker/scripts/{name}" in names


def test_wheel_has_templates_and_static_files(wheel):
    names = set(wheel.namelist())
    for folder, target in (("templates", "console/templates"), ("static", "console/static")):
        files = [p for p in (ROOT / folder).rglob("*") if p.is_file()]
        assert files, f"{folder}/ is empty"
        for path in files:
            assert f"{target}/{path.relative_to(ROOT / folder).as_posix()}" in names


def test_wheel_declares_the_pyasynq_command_and_runtime_deps(wheel):
    entry_points = next(n for n in wheel.namelist() if n.endswith("entry_points.txt"))
    assert "pyasynq = engine.cli:main" in wheel.read(entry_points).decode()
    metadata = wheel.read(next(n for n in wheel.namelist() if n.endswith("METADATA"))).decode()
    for dep in ("redis", "protobuf", "croniter", "click", "flask", "jinja2", "gunicorn"):
        assert f"Requires-Dist: {dep}" in metadata.replace("Requires-Dist: Flask", "Requires-Dist: flask")
