"""The workflow script variants against Go's scripts as oracles.

``workflow_complete``/``workflow_archive`` must leave Asynq's keys exactly as Go's
``mark_complete``/``archive`` do (the continuation only adds ``pyasynq:`` keys and the
continuation's own new task); NOT FOUND must write nothing. The parents header the Lua appends
must decode as an ordinary protobuf header.
"""

from __future__ import annotations

import base64
import json

import pytest

from pyasynq import Client, Task
from pyasynq.broker import keys
from pyasynq.broker.broker import Broker
from pyasynq.broker.codec import decode_task
from pyasynq.broker.worker import TaskNotActiveError
from pyasynq.extras.workflows import chain, parents
from tests.engine.test_batch_scripts import snapshot

Q = "default"


@pytest.fixture
def broker(redis_url, clock):
    b = Broker(redis_url, clock=clock)
    yield b
    b.close()


def dequeued(broker, r, *, unique=False):
    """A fresh pending task (with a result written), dequeued as Go does; its message."""
    r.flushall()
    client = Client(broker.redis)  # a fresh Broker: it has registered no queue yet
    info = client.enqueue(
        Task("t", b"p"), retention=60, task_id="x", unique=600 if unique else None
    )
    data, _ = broker.dequeue([Q])
    broker.write_result(Q, info.id, b"\x00\xffres")
    return decode_task(data)


def asynq_only(snap):
    return {k: v for k, v in snap.items() if not k.startswith(b"pyasynq:")}


@pytest.mark.parametrize("unique", [False, True])
def test_complete_variant_equals_mark_complete(broker, r, unique):
    msg = dequeued(broker, r, unique=unique)
    broker.mark_complete(msg)
    go = snapshot(r)
    msg = dequeued(broker, r, unique=unique)
    broker.complete_member(msg, "pyasynq:{default}:wf:none")
    assert asynq_only(snapshot(r)) == asynq_only(go)
    with pytest.raises(TaskNotActiveError):
        broker.complete_member(msg, "pyasynq:{default}:wf:none")
    assert asynq_only(snapshot(r)) == asynq_only(go)


def test_archive_variant_equals_archive(broker, r):
    msg = dequeued(broker, r)
    broker.archive(msg, "bad")
    go = snapshot(r)
    msg = dequeued(broker, r)
    broker.archive_member(msg, "bad", "pyasynq:{default}:wf:none")
    assert asynq_only(snapshot(r)) == asynq_only(go)
    with pytest.raises(TaskNotActiveError):
        broker.archive_member(msg, "bad", "pyasynq:{default}:wf:none")
    assert asynq_only(snapshot(r)) == asynq_only(go)


def test_parents_header_is_valid_protobuf_with_binary_results(broker, r):
    wf = Client(broker).enqueue_workflow(
        chain(Task("a", headers={"trace": "é"}), Task("b", headers={"k": "v"}))
    )
    data, _ = broker.dequeue([Q])
    binary = bytes(range(256)) * 3 + b"\x01"
    broker.write_result(Q, wf.stages[0][0].id, binary)
    broker.complete_member(decode_task(data), broker_key(wf))
    nxt = decode_task(r.hget(keys.task_key(Q, wf.stages[1][0].id), "msg"))
    assert nxt.headers["k"] == "v" and nxt.headers["pyasynq-workflow"] == wf.id
    raw = json.loads(nxt.headers["pyasynq-parents"])
    assert base64.b64decode(raw[0]["result"]) == binary
    (p,) = parents(Task("b", headers=dict(nxt.headers)))
    assert (p.id, p.queue, p.state, p.result) == (wf.stages[0][0].id, Q, "completed", binary)
    # Go re-encodes the message (retry, archive): the header survives a decode/encode round trip
    again = decode_task(nxt.SerializeToString())
    assert json.loads(again.headers["pyasynq-parents"]) == raw


def broker_key(wf):
    from pyasynq.broker.completion import workflow_key

    return workflow_key(wf.queue, wf.id)
