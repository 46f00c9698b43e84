"""pyasynq worker for the I/O-bound workload: ``python -m bench.peers.pyasynq_io_worker CONC``.

Each task awaits 50 ms (``asyncio.sleep``): an ``async def`` handler on the event-loop runtime,
``async_concurrency=CONC`` tasks in flight. ``BENCH_IO_SYNC=1`` runs the same wait as a sync
handler (``time.sleep``) on ``CONC`` threads instead, for comparison.
"""

import asyncio
import logging
import os
import sys
import time

from pyasynq import ServeMux, Server

IO_SECONDS = 0.05

mux = ServeMux()


@mux.handle("io")
async def io(ctx, task) -> None:
    await asyncio.sleep(IO_SECONDS)


sync_mux = ServeMux()


@sync_mux.handle("io")
def io_sync(ctx, task) -> None:
    time.sleep(IO_SECONDS)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    if os.environ.get("BENCH_SWITCH"):
        sys.setswitchinterval(float(os.environ["BENCH_SWITCH"]))
    conc = int(sys.argv[1])
    url = os.environ["BENCH_REDIS_URL"]
    if os.environ.get("BENCH_IO_SYNC") == "1":
        Server(url, concurrency=conc, async_concurrency=0).run(sync_mux)
    else:
        Server(url, concurrency=2, async_concurrency=conc).run(mux)
