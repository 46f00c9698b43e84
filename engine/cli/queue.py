"""``pyasynq queue list|inspect|history|pause|resume|remove`` (Go's ``asynq queue`` and aliases)."""

from __future__ import annotations

from collections.abc import Callable

import click

from pyasynq.cli._common import (
    EXIT_REFUSED,
    cli_now,
    guarded,
    inspector,
    json_option,
    print_json,
)
from pyasynq.cli._connection import connection_options
from pyasynq.cli._gofmt import error_rate, go_quote, heading, print_go_table
from pyasynq.cli._group import GoGroup, aliased
from pyasynq.errors import AsynqError, BrokerError, QueueNotEmptyError
from pyasynq.states import STATES

SEPARATOR = "================================================="


@click.group("queue", cls=GoGroup)
def command() -> None:
    """Manage queues."""


def _failed(message: str) -> None:
    click.echo(f"error: {message}", err=True)


def _finish(failures: int) -> None:
    """Go goes on with the next queue after an error and exits 0; we go on too, then exit 1."""
    if failures:
        raise SystemExit(EXIT_REFUSED)


@command.command("list")
@aliased("ls")
@connection_options
@json_option
@guarded
def list_queues(redis_url: str, as_json: bool) -> None:
    """List queues (sorted by name; Go prints Redis' set order).

    With --cluster, a table of each queue's cluster key slot and nodes, as Go's."""
    from pyasynq.broker.connection import parse_url

    insp = inspector(redis_url)
    queues = insp.queues()
    if as_json:
        print_json(queues)
        return
    if parse_url(redis_url).scheme != "redis-cluster":
        for q in queues:
            click.echo(q)
        return
    rows = []
    for q in queues:
        nodes = " ".join(f"{{{n.id} {n.addr}}}" for n in insp.cluster_nodes(q))
        rows.append([q, insp.cluster_key_slot(q), f"[{nodes}]"])
    print_go_table(["Queue", "Cluster KeySlot", "Cluster Nodes"], rows)


@command.command("inspect")
@click.argument("queues", nargs=-1, required=True)
@connection_options
@json_option
@guarded
def inspect(queues: tuple[str, ...], redis_url: str, as_json: bool) -> None:
    """Display detailed information on one or more queues."""
    insp = inspector(redis_url)
    if as_json:
        infos = insp.get_queue_infos(queues)
        print_json(infos if len(infos) > 1 else infos[0])
        return
    failures = 0
    for n, q in enumerate(queues):
        if n:
            click.echo(f"\n{SEPARATOR}\n")
        try:
            info = insp.get_queue_info(q)
        except BrokerError:
            raise
        except (AsynqError, ValueError) as exc:
            _failed(str(exc))
            failures += 1
            continue
        heading("Queue Info")
        click.echo(f"Name:   {info.queue}")
        click.echo(f"Size:   {info.size}")
        click.echo(f"Groups: {info.groups}")
        click.echo(f"Paused: {str(info.paused).lower()}\n")
        heading("Task Count by State")
        print_go_table(STATES, [[getattr(info, s) for s in STATES]])
        click.echo()
        day = info.timestamp or cli_now()  # none when the queue could not be read at all
        heading(f"Daily Stats {day.strftime('%Y-%m-%d')} UTC")
        print_go_table(
            ["processed", "failed", "error rate"],
            [[info.processed, info.failed, error_rate(info.processed, info.failed)]],
        )
    _finish(failures)


@command.command("history")
@click.argument("queues", nargs=-1, required=True)
@click.option("--days", "-x", type=click.IntRange(1, 90), default=10, show_default=True,
              help="Show data from the last x days.")  # fmt: skip
@connection_options
@json_option
@guarded
def history(queues: tuple[str, ...], days: int, redis_url: str, as_json: bool) -> None:
    """Display historical aggregate data from one or more queues (today first)."""
    insp = inspector(redis_url)
    if as_json:
        print_json({q: insp.history(q, days) for q in queues})
        return
    failures = 0
    for n, q in enumerate(queues):
        if n:
            click.echo(f"\n{SEPARATOR}\n")
        click.echo(f"Queue: {q}\n")
        try:
            stats = insp.history(q, days)
        except BrokerError:
            raise
        except (AsynqError, ValueError) as exc:
            _failed(str(exc))
            failures += 1
            continue
        print_go_table(
            ["date (UTC)", "processed", "failed", "error rate"],
            [
                [
                    s.date.strftime("%Y-%m-%d"),
                    s.processed,
                    s.failed,
                    error_rate(s.processed, s.failed),
                ]
                for s in stats
            ],
        )
    _finish(failures)


def _each_queue(
    queues: tuple[str, ...],
    act: Callable[[str], object],
    done: str,
    refusal: Callable[[AsynqError | ValueError, str], str] = lambda exc, _queue: str(exc),
) -> None:
    """Go's loop of ``queue pause|resume|remove``: ``act`` on each queue and print
    ``Successfully <done> queue "q"``; a refused queue (``AsynqError``, ``ValueError``) is
    reported with ``refusal`` and the loop goes on (``_finish`` gives the exit code), while a
    Redis failure (``BrokerError``) stops it for ``guarded`` to report."""
    failures = 0
    for q in queues:
        try:
            act(q)
        except BrokerError:
            raise
        except (AsynqError, ValueError) as exc:
            _failed(refusal(exc, q))
            failures += 1
            continue
        click.echo(f"Successfully {done} queue {go_quote(q)}")
    _finish(failures)


@command.command("pause")
@click.argument("queues", nargs=-1, required=True)
@connection_options
@guarded
def pause(queues: tuple[str, ...], redis_url: str) -> None:
    """Pause one or more queues: workers stop taking their tasks.

    A queue that does not exist is refused (exit 1); Go's asynq accepts it silently and
    leaves a pause mark for a queue nobody uses.
    """
    insp = inspector(redis_url)
    known = set(insp.queues())

    def pause_known(q: str) -> None:
        if q not in known:
            raise AsynqError(f"queue {go_quote(q)} does not exist")
        insp.pause_queue(q)

    _each_queue(queues, pause_known, "paused")


@command.command("resume")
@aliased("unpause")
@click.argument("queues", nargs=-1, required=True)
@connection_options
@guarded
def resume(queues: tuple[str, ...], redis_url: str) -> None:
    """Resume (unpause) one or more queues."""
    _each_queue(queues, inspector(redis_url).unpause_queue, "unpaused")


def _force_hint(exc: AsynqError | ValueError, q: str) -> str:
    """A non-empty queue's refusal names the command that removes it anyway."""
    if isinstance(exc, QueueNotEmptyError):
        return f"{exc}\nIf you are sure you want to delete it, run 'pyasynq queue rm --force {q}'"
    return str(exc)


@command.command("remove")
@aliased("rm", "delete")
@click.argument("queues", nargs=-1, required=True)
@click.option("--force", "-f", is_flag=True, help="Remove the queue regardless of its size.")
@connection_options
@guarded
def remove(queues: tuple[str, ...], force: bool, redis_url: str) -> None:
    """Remove one or more queues (refused for a non-empty queue unless --force)."""
    insp = inspector(redis_url)
    _each_queue(queues, lambda q: insp.delete_queue(q, force=force), "removed", _force_hint)
