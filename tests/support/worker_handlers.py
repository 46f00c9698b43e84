"""Handlers for worker subprocess tests (``pyasynq worker tests.support.worker_handlers:mux``)."""

from __future__ import annotations

import os

from pyasynq import ServeMux

mux = ServeMux()


@mux.handle("slow")
def slow(ctx, task):
    """Sleep as many seconds as the payload says (cancellable); record who did it."""
    ctx.wait(float(task.payload or b"60"))
    ctx.check()
    task.result_writer.write(str(os.getpid()))


@mux.handle("quick")
def quick(ctx, task):
    task.result_writer.write(str(os.getpid()))
