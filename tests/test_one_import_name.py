"""The code imports itself one way only: ``pyasynq``, never its folder names.

The folders engine/, console/ and examples/ are the packages pyasynq, pyasynq.console and
pyasynq.examples. Importing a folder by its own name (or relatively) would load the same module
twice under two names, with two copies of every class, so a lint rule bans it and the packages
refuse to load under another name.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _ruff() -> str:
    return shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"


def test_lint_rule_refuses_folder_names_and_relative_imports(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import engine.client\nfrom console import create_app\n"
        "from examples.tasks import x\nfrom .sibling import y\n"
    )
    proc = subprocess.run(
        [_ruff(), "check", "--no-cache", "--config", str(ROOT / "pyproject.toml"),
         "--select", "TID", str(bad)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stdout.count("TID251") == 3 and proc.stdout.count("TID252") == 1


def test_the_repository_follows_the_rule():
    proc = subprocess.run(
        [_ruff(), "check", "--no-cache", "--select", "TID", "."],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout


def test_packages_refuse_to_load_under_their_folder_names():
    for folder in ("engine", "console"):
        proc = subprocess.run(
            [sys.executable, "-c", f"import {folder}"], cwd=ROOT, capture_output=True, text=True
        )
        assert proc.returncode == 1
        assert "ImportError" in proc.stderr and "pyasynq" in proc.stderr


def test_public_api_is_at_the_top():
    import pyasynq
    from pyasynq.console import ConsoleConfig, create_app

    for name in ("Task", "Client", "Server", "ServeMux", "Scheduler", "Inspector", "__version__"):
        assert hasattr(pyasynq, name), name
    assert callable(create_app) and ConsoleConfig.__module__ == "pyasynq.console.config"
