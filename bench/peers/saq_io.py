"""SAQ worker for the I/O-bound workload: ``saq bench.peers.saq_io.settings``."""

import asyncio
import os

from saq import Queue


async def io(ctx) -> None:
    await asyncio.sleep(0.05)


settings = {
    "queue": Queue.from_url(os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")),
    "functions": [io],
    "concurrency": int(os.environ.get("BENCH_CONCURRENCY", "10")),
}
