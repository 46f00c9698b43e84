"""The blueprints of the console's power tools (issue 7): search/bulk, enqueue and edits,
exports, the JSON API, cron controls and alerts. Listed here so adding one does not touch
``console/views/__init__.py``; modules not written yet are skipped."""

from __future__ import annotations

import importlib
from typing import Any

MODULES = ("bulk", "edit", "export", "api", "cron_controls", "alerts", "workflows")


def blueprints() -> list[Any]:
    out = []
    for name in MODULES:
        try:
            module = importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{name}":
                raise
            continue
        out.append(module.bp)
    return out
