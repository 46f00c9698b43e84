"""A worker process for the workflow SIGKILL test: ``python -m tests.support.workflow_worker URL``.

Short lease (2 s), fast recoverer and janitor, so a killed worker's tasks come back in seconds.
``wstep`` adds its payload to its parents' results; ``wcb`` (the on_success callback) records
its workflow id and parents in the test-only list ``test:callbacks``.
"""

from __future__ import annotations

import json
import random
import sys
import time

import redis

from pyasynq import ServeMux, Server
from pyasynq.extras.workflows import parent_results, parents, workflow_id_of

mux = ServeMux()


@mux.handle("wstep")
def step(ctx, task):
    time.sleep(0.04 + random.random() * 0.04)
    total = int(task.payload) + sum(int(r) for r in parent_results(task))
    task.result_writer.write(str(total).encode())


def main(url: str) -> None:
    r = redis.Redis.from_url(url)

    @mux.handle("wcb")
    def callback(ctx, task):
        got = [int(p.result) for p in parents(task)]
        r.rpush("test:callbacks", json.dumps([workflow_id_of(task), task.id, got]))

    Server(
        url,
        concurrency=8,
        lease_duration=2,
        lease_cutoff=0,
        heartbeat_interval=0.5,
        recoverer_interval=0.5,
        janitor_interval=0.3,
        delayed_task_check_interval=0.2,
        task_check_interval=0.2,
        retry_delay_func=lambda n, e, t: 0,
        shutdown_timeout=1,
    ).run(mux)


if __name__ == "__main__":
    main(sys.argv[1])
