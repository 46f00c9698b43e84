"""Runs mypy over the package pyasynq with one module name per file (./run-tests calls it).

The folders engine/, console/ and examples/ are the package pyasynq through setuptools'
package-dir, and the editable install maps them with an import hook that mypy cannot follow.
Given the folders themselves, mypy would name engine/processor.py `engine.processor` (or find
it twice). So this script builds a tree of symbolic links, .mypy_cache/src/pyasynq/, laid out as
the installed package is, runs `mypy -p pyasynq` against it ([tool.mypy] in pyproject.toml holds
the settings), and prints each reported path as the checkout's own file (engine/processor.py).
Extra arguments go to mypy.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / ".mypy_cache" / "src"
# Where each part of the package lives in the checkout ([tool.setuptools.package-dir]).
PARTS = {"console": ROOT / "console", "examples": ROOT / "examples"}
LOCATION = re.compile(r"^(?P<path>[^:\s]+\.pyi?)(?P<rest>:.*)$")


def build_tree() -> Path:
    """The package as mypy should see it: engine/'s entries plus console/ and examples/ inside."""
    package = TREE / "pyasynq"
    if TREE.exists():
        shutil.rmtree(TREE)
    package.mkdir(parents=True)
    for entry in (ROOT / "engine").iterdir():
        if entry.name != "__pycache__" and entry.name not in PARTS:
            (package / entry.name).symlink_to(entry)
    for name, folder in PARTS.items():
        (package / name).symlink_to(folder)
    return TREE


def checkout_path(line: str) -> str:
    """A line of mypy's output with a path in the link tree turned into the checkout's file."""
    match = LOCATION.match(line)
    if not match:
        return line
    real = os.path.realpath(match["path"])
    try:
        shown = os.path.relpath(real, ROOT)
    except ValueError:
        return line
    return shown + match["rest"] if not shown.startswith("..") else line


def main(argv: list[str]) -> int:
    tree = build_tree()
    env = dict(os.environ, MYPYPATH=str(tree))
    command = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml")]
    run = subprocess.run(
        [*command, "-p", "pyasynq", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in run.stdout.splitlines():
        print(checkout_path(line))
    sys.stderr.write(run.stderr)
    return run.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
