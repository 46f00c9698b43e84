"""Loads the Lua scripts (one ``.lua`` file per broker operation) and runs them by EVALSHA."""

from __future__ import annotations

from functools import cache
from importlib import resources

INCLUDE = "-- #include "


@cache
def source(name: str) -> str:
    """The text of ``scripts/<name>.lua``; a line ``-- #include <other>`` is replaced by the
    text of ``scripts/<other>.lua`` (shared Lua functions, e.g. ``workflow_lib``)."""
    text = resources.files(__package__).joinpath("scripts", f"{name}.lua").read_text("utf-8")
    if INCLUDE not in text:
        return text
    return "\n".join(
        source(line[len(INCLUDE) :].strip()) if line.startswith(INCLUDE) else line
        for line in text.splitlines()
    )


def names() -> list[str]:
    folder = resources.files(__package__).joinpath("scripts")
    return sorted(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".lua"))
