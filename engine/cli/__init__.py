"""The ``pyasynq`` command: one module per command (group) in this package, each exporting ``command``."""

from __future__ import annotations

import importlib
import pkgutil

import click

from pyasynq import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pyasynq")
def main() -> None:
    """pyasynq: a Redis job queue compatible with Go Asynq, and its web console."""


def _register() -> None:
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        if module.startswith("_"):
            continue
        command = getattr(importlib.import_module(f"{__name__}.{module}"), "command", None)
        if isinstance(command, click.Command):
            main.add_command(command)


_register()
