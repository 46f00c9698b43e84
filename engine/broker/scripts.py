"""Loads the Lua scripts (one ``.lua`` file per broker operation) and runs them by EVALSHA."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def source(name: str) -> str:
    """The text of ``scripts/<name>.lua``."""
    return resources.files(__package__).joinpath("scripts", f"{name}.lua").read_text("utf-8")


def names() -> list[str]:
    folder = resources.files(__package__).joinpath("scripts")
    return sorted(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".lua"))
