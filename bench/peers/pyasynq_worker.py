"""pyasynq worker: ``python -m bench.peers.pyasynq_worker CONCURRENCY``."""

import logging
import os
import sys

from bench.peers._lat import record
from pyasynq import Server


def handler(ctx, task) -> None:
    if task.type == "lat":
        record(float(task.payload))


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    queues = {q: 1 for q in os.environ.get("BENCH_QUEUES", "default").split(",")}
    Server(os.environ["BENCH_REDIS_URL"], concurrency=int(sys.argv[1]), queues=queues).run(handler)
