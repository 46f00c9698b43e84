"""arq worker for the I/O-bound workload: ``arq bench.peers.arq_io.WorkerSettings``."""

import asyncio
import os

from arq.connections import RedisSettings


async def io(ctx) -> None:
    await asyncio.sleep(0.05)


class WorkerSettings:
    functions = [io]
    redis_settings = RedisSettings.from_dsn(
        os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    max_jobs = int(os.environ.get("BENCH_CONCURRENCY", "10"))
    keep_result = 0  # like asynq without retention: nothing kept after success
    handle_signals = True
