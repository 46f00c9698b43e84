"""arq tasks and WorkerSettings: ``arq bench.peers.arq_tasks.WorkerSettings``."""

import os

from arq.connections import RedisSettings

from bench.peers._lat import record


async def noop(ctx) -> None:
    return None


async def lat(ctx, enqueued_at: float) -> None:
    record(enqueued_at)


class WorkerSettings:
    functions = [noop, lat]
    redis_settings = RedisSettings.from_dsn(
        os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    max_jobs = int(os.environ.get("BENCH_CONCURRENCY", "10"))
    keep_result = 0  # like asynq without retention: nothing kept after success
    handle_signals = True
