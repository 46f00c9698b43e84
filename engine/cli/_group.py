"""A click group that takes Go ``asynq``'s command lines: aliases (``ls``, ``rm``, ``delete``,
``unpause``), help without a subcommand, and pflag's ``--flag=true`` spelling of booleans."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import click

# boolean flags Go's CLI has; pflag also accepts --name=true / --name=false for them
_BOOL_FLAGS = ("--tls", "--insecure", "--cluster", "--force", "--json")
_TRUE = {"1", "t", "true", "TRUE", "True", "T"}
_FALSE = {"0", "f", "false", "FALSE", "False", "F"}


def pflag_bools(args: list[str]) -> list[str]:
    """``--tls=true`` as ``--tls``, ``--tls=false`` dropped (click flags take no value)."""
    out: list[str] = []
    for arg in args:
        if arg == "--":
            out.extend(args[len(out) :])
            break
        name, eq, value = arg.partition("=")
        if eq and name in _BOOL_FLAGS and (value in _TRUE or value in _FALSE):
            if value in _TRUE:
                out.append(name)
            continue
        out.append(arg)
    return out


T = TypeVar("T")


def aliased(*aliases: str) -> Callable[[T], T]:
    """Give a command Go's other names (``@aliased("ls")``)."""

    def mark(cmd: T) -> T:
        cmd.aliases = tuple(aliases)  # type: ignore[attr-defined]  # a Command, or its callback
        return cmd

    return mark


def aliases_of(cmd: click.Command) -> tuple[str, ...]:
    found = getattr(cmd, "aliases", None) or getattr(cmd.callback, "aliases", None)
    return tuple(found) if found else ()


class GoGroup(click.Group):
    """Resolves aliases, prints help when called bare (exit 0, as cobra does)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("invoke_without_command", True)
        kwargs.setdefault("no_args_is_help", False)
        super().__init__(*args, **kwargs)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None:
            return found
        for cmd in self.commands.values():
            if cmd_name in aliases_of(cmd):
                return cmd
        return None

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        _, cmd, rest = super().resolve_command(ctx, args)
        return (cmd.name if cmd else None), cmd, rest

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if ctx.parent is None:
            args = pflag_bools(list(args))
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        result = super().invoke(ctx)
        if ctx.invoked_subcommand is None:  # "pyasynq" or "pyasynq queue" alone: its help
            click.echo(ctx.get_help())
        return result

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is None or cmd.hidden:
                continue
            aliases = aliases_of(cmd)
            label = f"{name} ({', '.join(aliases)})" if aliases else name
            rows.append((label, cmd.get_short_help_str(limit=formatter.width - 6 - len(label))))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def command(  # type: ignore[override]  # click's overloads, narrowed to the way we call it
        self, *args: Any, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], click.Command]:  # subcommands are Go-aware too
        kwargs.setdefault("cls", click.Command)
        return cast(Callable[[Callable[..., Any]], click.Command], super().command(*args, **kwargs))

    def group(  # type: ignore[override]
        self, *args: Any, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], GoGroup]:
        kwargs.setdefault("cls", GoGroup)
        return cast(Callable[[Callable[..., Any]], GoGroup], super().group(*args, **kwargs))
