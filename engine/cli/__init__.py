"""The ``pyasynq`` command: one module per command (group) in this package, each exporting ``command``.

The root takes Go ``asynq``'s persistent flags (``-u -n -p -U --cluster --cluster_addrs --tls
--tls_server --insecure --config``) before the subcommand; Go's commands take them after it too
(see ``pyasynq.cli._connection``). Tests may pass ``obj={"clock": ManualClock(...)}`` to pin "now".
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import cast

import click

from pyasynq import __version__
from pyasynq.cli._connection import CONNECTION_OPTIONS, ConnectionFlags
from pyasynq.cli._group import GoGroup

GO_ASYNQ_VERSION = "0.26.0"


def version_line() -> str:
    return f"pyasynq version {__version__} (asynq {GO_ASYNQ_VERSION} CLI compatible)"


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(version_line())
        ctx.exit()


@click.group(
    cls=GoGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Use 'pyasynq <command> --help' for more information about a command. "
    "Go's persistent flags work before or after the subcommand.",
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
@click.pass_context
def main(ctx: click.Context, /, **flags: object) -> None:
    """pyasynq: a Redis job queue compatible with Go Asynq, and its web console.

    Command line compatible with Go's `asynq` CLI (v0.26.0)."""
    obj = ctx.ensure_object(dict)
    obj["connection"] = ConnectionFlags(**flags)  # type: ignore[arg-type]


for _option in CONNECTION_OPTIONS:
    main = cast(GoGroup, _option(main))  # click adds the option to the group in place


@main.command("version", hidden=True)
def version() -> None:
    """Print the version (Go: asynq version)."""
    click.echo(version_line())


@main.command("help", hidden=True, context_settings={"ignore_unknown_options": True})
@click.argument("path", nargs=-1)
@click.pass_context
def help_command(ctx: click.Context, path: tuple[str, ...]) -> None:
    """Help about any command (Go's `asynq help <command>`)."""
    root = ctx.find_root()
    cmd: click.Command = root.command
    sub_ctx = root
    for name in path:
        if not isinstance(cmd, click.Group):
            break
        found = cmd.get_command(sub_ctx, name)
        if found is None:
            raise click.UsageError(f"unknown command {name!r} for {sub_ctx.command_path!r}")
        sub_ctx = click.Context(found, info_name=found.name, parent=sub_ctx)
        cmd = found
    click.echo(cmd.get_help(sub_ctx))


def _register() -> None:
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        if module.startswith("_"):
            continue
        command = getattr(importlib.import_module(f"{__name__}.{module}"), "command", None)
        if isinstance(command, click.Command):
            main.add_command(command)


_register()
