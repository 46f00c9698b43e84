"""``pyasynq task wait`` and ``pyasynq workflow ls|inspect|cancel``; ``Client.wait`` refusals."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pyasynq import Client, Inspector, ServeMux, Task
from pyasynq.cli import main
from pyasynq.errors import NoRetentionError, TaskNotFoundError, WaitTimeoutError
from pyasynq.extras.workflows import chain
from tests.support.worker_util import fast_server


@pytest.fixture
def run(redis_url):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, [*args, "--redis-url", redis_url], catch_exceptions=False)

    return invoke


@pytest.fixture
def client(redis_url):
    c = Client(redis_url)
    yield c
    c.close()


def test_wait_refuses_a_task_without_retention_and_times_out(run, client):
    plain = client.enqueue(Task("x"))
    with pytest.raises(NoRetentionError, match="no retention"):
        client.wait(plain.id, timeout=5)
    res = run("task", "wait", "--id", plain.id)
    assert res.exit_code == 1 and "no retention" in res.output
    with pytest.raises(TaskNotFoundError):
        client.wait("missing", timeout=1)
    kept = client.enqueue(Task("x"), retention=60)
    with pytest.raises(WaitTimeoutError, match="still pending"):
        client.wait(kept.id, timeout=0.2, poll_interval=0.05)
    res = run("task", "wait", "--id", kept.id, "--timeout", "0.2")
    assert res.exit_code == 5 and "still pending" in res.output


def test_task_wait_and_workflow_commands(run, client, redis_url):
    mux = ServeMux()

    @mux.handle("ok")
    def ok(ctx, task):
        task.result_writer.write(b"fine")

    kept = client.enqueue(Task("ok"), retention=60)
    wf = client.enqueue_workflow(chain(Task("ok"), Task("ok", queue="parked")), name="two")
    server = fast_server(redis_url, concurrency=2)
    server.start(mux)
    try:
        res = run("task", "wait", "--id", kept.id, "--timeout", "10")
        assert res.exit_code == 0 and "Result: fine" in res.output
        res = run("task", "wait", "--id", kept.id, "--json")
        assert json.loads(res.output)["state"] == "completed"
        first = wf.stages[0][0].id
        assert Client(redis_url).wait(first, timeout=10).result == b"fine"
    finally:
        server.shutdown()
    res = run("workflow", "ls")
    assert res.exit_code == 0 and wf.id in res.output and "running" in res.output
    res = run("workflow", "inspect", wf.id)
    assert res.exit_code == 0 and "completed" in res.output and "fine" in res.output
    with pytest.raises(WaitTimeoutError, match="workflow .* still running"):
        client.wait_workflow(wf.id, timeout=0.1, poll_interval=0.02)
    res = run("workflow", "cancel", wf.id)
    assert res.exit_code == 0 and "cancelled" in res.output
    assert Inspector(redis_url).get_workflow(wf.id).stages[1][0].state == "cancelled"
    assert client.wait_workflow(wf.id, timeout=1).state == "cancelled"
    res = run("workflow", "inspect", "nope")
    assert res.exit_code == 1 and "does not exist" in res.output


def test_workflow_reconcile_command(run, client):
    from tests.engine.test_workflows import go_worker_finish

    wf = client.enqueue_workflow(chain(Task("a"), Task("b")))
    go_worker_finish(client.broker, "default", result=b"r")
    res = run("workflow", "reconcile")
    assert res.exit_code == 0 and "settled 1 member(s)" in res.output
    assert run("workflow", "reconcile").output.strip() == "settled 0 member(s)"
    assert Inspector(client.broker).get_workflow(wf.id).stages[1][0].state == "enqueued"
