"""The tree .ci/typecheck.py gives mypy: the installed package's layout, one name per file.

mypy cannot follow the editable install's import hook, and given the folders it would name
engine/processor.py ``engine.processor``. These checks keep the tree in step with
[tool.setuptools.package-dir] and the reported paths pointing at the checkout's files.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("typecheck", ROOT / ".ci" / "typecheck.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_tree_is_the_installed_layout():
    tree = _script().build_tree() / "pyasynq"
    assert os.path.realpath(tree / "processor.py") == str(ROOT / "engine/processor.py")
    assert os.path.realpath(tree / "broker/broker.py") == str(ROOT / "engine/broker/broker.py")
    assert os.path.realpath(tree / "console/backend.py") == str(ROOT / "console/backend.py")
    assert os.path.realpath(tree / "examples") == str(ROOT / "examples")
    assert not (tree / "__pycache__").exists()
    assert (ROOT / "engine/processor.py").is_file()  # rebuilding the tree leaves the files be


def test_reported_paths_name_the_checkout_files():
    script = _script()
    tree = script.build_tree() / "pyasynq"
    line = f"{tree}/console/views/bulk.py:44: error: something  [arg-type]"
    assert script.checkout_path(line) == "console/views/bulk.py:44: error: something  [arg-type]"
    line = f"{tree}/broker/base.py:1: note: x"
    assert script.checkout_path(line) == "engine/broker/base.py:1: note: x"
    assert script.checkout_path("Found 2 errors in 1 file") == "Found 2 errors in 1 file"
