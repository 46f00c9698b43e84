"""Where the templates and static files live, in both the repo and the installed wheel.

The repository keeps ``templates/`` and ``static/`` at the top level (next to ``console/``);
the wheel ships them inside the package as ``pyasynq/console/templates`` and ``.../static``. Looking in the package
first means an installed console never picks up a stray checkout's files.
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    inside = _HERE / name
    if inside.is_dir():
        return inside
    beside = _HERE.parent / name
    if beside.is_dir():
        return beside
    raise RuntimeError(
        f"console {name}/ not found in {inside} or {beside}; is the package complete?"
    )


def templates_dir() -> Path:
    return _find("templates")


def static_dir() -> Path:
    return _find("static")
