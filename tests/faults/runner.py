"""Processes the fault suite starts, kills and restarts: a worker and a scheduler.

``python -m tests.faults.runner worker REDIS_URL RUNS_DIR [--concurrency N] [--lease S]
[--shutdown-timeout S]`` runs an ``engine.Server`` whose handler appends the task ID to
``RUNS_DIR/runs-<pid>.log`` (one unbuffered ``O_APPEND`` write per run) *before* sleeping for
the task's payload in milliseconds. The log lives outside Redis on purpose: it must survive
both a SIGKILL of the worker and a Redis outage, and it tells how often each task really ran.

``python -m tests.faults.runner scheduler REDIS_URL`` runs an ``engine.Scheduler`` that
enqueues a ``tick`` task every second, to check the scheduler rides out a Redis outage.

Intervals are short (1 s heartbeat, 1 s recoverer, a few seconds of lease) so a killed worker's
tasks come back within seconds instead of Asynq's minute: the mechanism is the same.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from pyasynq import Scheduler, ServeMux, Server, Task


def make_mux(runs_dir: str) -> ServeMux:
    path = os.path.join(runs_dir, f"runs-{os.getpid()}.log")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    mux = ServeMux()

    @mux.handle("job")
    def job(ctx, task):  # type: ignore[no-untyped-def]
        os.write(fd, f"{task.id}\n".encode())
        ms = int(task.payload or b"0")
        if ms:
            ctx.wait(ms / 1000)
            ctx.check()  # shutdown or cancel: do not report success

    @mux.handle("tick")
    def tick(ctx, task):  # type: ignore[no-untyped-def]
        os.write(fd, f"tick {task.id}\n".encode())

    return mux


def run_worker(args: argparse.Namespace) -> None:
    server = Server(
        args.redis_url,
        concurrency=args.concurrency,
        queues={"default": 1},
        shutdown_timeout=args.shutdown_timeout,
        retry_delay_func=lambda n, e, t: 0.2,
        lease_duration=args.lease,
        lease_cutoff=1,
        heartbeat_interval=1,
        recoverer_interval=1,
        delayed_task_check_interval=0.2,
        syncer_interval=0.5,
        janitor_interval=2,
        task_check_interval=0.2,
        subscriber_retry_interval=0.5,
        tick=0.05,
    )
    print(f"worker {os.getpid()} ready", file=sys.stderr, flush=True)
    server.run(make_mux(args.runs_dir))


def run_scheduler(args: argparse.Namespace) -> None:
    scheduler = Scheduler(args.redis_url, heartbeat_interval=1, poll_interval=0.2)
    scheduler.register("@every 1s", Task("tick"), queue="default", retention=3600)
    scheduler.run()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="tests.faults.runner")
    sub = parser.add_subparsers(dest="kind", required=True)
    w = sub.add_parser("worker")
    w.add_argument("redis_url")
    w.add_argument("runs_dir")
    w.add_argument("--concurrency", type=int, default=8)
    w.add_argument("--lease", type=int, default=5)
    w.add_argument("--shutdown-timeout", type=float, default=2.0)
    s = sub.add_parser("scheduler")
    s.add_argument("redis_url")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"
    )
    if args.kind == "worker":
        run_worker(args)
    else:
        run_scheduler(args)


if __name__ == "__main__":
    main()
