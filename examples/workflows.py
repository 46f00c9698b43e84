"""Workflows end to end: a chain, a chord, callbacks and waiting for a result.

Run it against any Redis (it starts an in-process worker, so nothing else is needed)::

    python -m pyasynq.examples.workflows redis://127.0.0.1:6379/0

What it shows:

* ``chain(fetch, parse, store)``: each step reads the previous step's result;
* ``chord(group(square(i) for i in 1..10), total)``: the callback sums every member's result;
* ``client.enqueue(task, on_success=..., on_failure=...)``: callbacks told the task's outcome;
* ``client.wait(task_id)``: block until a task (with a retention) completed or archived;
  ``client.wait_workflow(id)``: until a workflow finished and its callbacks ran.
"""

from __future__ import annotations

import json
import sys

from pyasynq import Client, ServeMux, Server, SkipRetry, Task
from pyasynq.extras.workflows import chain, chord, group, parent_results, parents

mux = ServeMux()


@mux.handle("wf:fetch")
def fetch(ctx, task):
    task.result_writer.write(json.dumps({"rows": [3, 1, 2]}))


@mux.handle("wf:parse")
def parse(ctx, task):
    (fetched,) = parent_results(task)  # the previous step's result (bytes)
    rows = sorted(json.loads(fetched)["rows"])
    task.result_writer.write(json.dumps(rows))


@mux.handle("wf:store")
def store(ctx, task):
    (rows,) = parents(task)
    task.result_writer.write(f"stored {len(rows.json())} rows")


@mux.handle("wf:square")
def square(ctx, task):
    n = int(task.payload)
    task.result_writer.write(str(n * n))


@mux.handle("wf:total")
def total(ctx, task):
    task.result_writer.write(str(sum(int(r) for r in parent_results(task))))


@mux.handle("wf:charge")
def charge(ctx, task):
    if task.json()["amount"] < 0:
        raise SkipRetry("negative amount")  # archived at once: on_failure fires
    task.result_writer.write("charged")


@mux.handle("wf:notify")
def notify(ctx, task):
    (done,) = parents(task)  # the finished task: id, queue, state, result or error
    outcome = done.result.decode() if done.state == "completed" else done.error
    task.result_writer.write(f"{done.id}: {done.state} ({outcome})")


def main(url: str) -> dict[str, object]:
    server = Server(url, concurrency=4, janitor_interval=1)
    server.start(mux)
    client = Client(url)
    try:
        pipeline = client.enqueue_workflow(
            chain(Task("wf:fetch"), Task("wf:parse"), Task("wf:store")), name="etl"
        )
        squares = client.enqueue_workflow(
            chord(group(Task("wf:square", str(i)) for i in range(1, 11)), Task("wf:total"))
        )
        paid = client.enqueue(
            Task.from_json("wf:charge", {"amount": 5}), on_success=Task("wf:notify")
        )
        refused = client.enqueue(
            Task.from_json("wf:charge", {"amount": -1}), on_failure=Task("wf:notify")
        )
        # A workflow's members are enqueued as their turn comes: wait for the workflow...
        etl = client.wait_workflow(pipeline.id, timeout=30)
        chorded = client.wait_workflow(squares.id, timeout=30)
        # ...or for one task (with a retention) that exists: Client.wait / TaskInfo.wait.
        out: dict[str, object] = {
            "etl": etl.stages[-1][0].result,
            "sum of squares": chorded.stages[-1][0].result,
            "etl state": etl.state,
            "chord state": chorded.state,
            "charge": client.wait(paid.id, timeout=30).result,
            "refused": refused.wait(client, timeout=30).last_err,
        }
        cb = client.wait_workflow(paid.headers["pyasynq-workflow"], timeout=30).on_success
        out["on_success callback"] = cb.result
        return out
    finally:
        client.close()
        server.shutdown()


if __name__ == "__main__":
    for key, value in main(
        sys.argv[1] if len(sys.argv) > 1 else "redis://127.0.0.1:6379/0"
    ).items():
        print(f"{key}: {value!r}")
