"""Workflow operations (pyasynq only, under ``pyasynq:`` keys).

A workflow is one hash per workflow, ``pyasynq:{<home queue>}:wf:<id>`` (layout in
scripts/workflow_lib.lua and docs/workflows.md), plus two global indexes written outside the
scripts: ``pyasynq:workflows`` (every workflow by creation time, for listing) and
``pyasynq:workflows:open`` (workflows that may still need the reconciler). Members are ordinary
Asynq tasks. The hash tag keeps a workflow in its home queue's cluster slot; on a cluster all
members must therefore be in that queue (checked by ``pyasynq.extras.workflows``). A member's
completion, which continues its workflow, is written by ``pyasynq.broker.completion`` (the
processor's path for every finished task).
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from typing import Any, cast

from pyasynq.broker import keys
from pyasynq.broker.base import BrokerBase, to_str
from pyasynq.broker.completion import workflow_key

WORKFLOWS = "pyasynq:workflows"
OPEN_WORKFLOWS = "pyasynq:workflows:open"
WORKFLOW_HOMES = "pyasynq:workflows:home"


class WorkflowOps(BrokerBase):
    # -- workflows ----------------------------------------------------------------------------
    def create_workflow(
        self,
        home_queue: str,
        workflow_id: str,
        *,
        spec: dict[str, Any],
        fields: dict[str, str],
        members: Sequence[tuple[str, str, int, bytes]],
        queues: set[str],
        ttl: int,
        now: float,
    ) -> int:
        """Write the workflow and enqueue its first stage (one script): 1 done, 0 workflow id
        taken, -1 a first-stage task id taken. The indexes are written first: an index entry
        without a workflow is pruned."""
        with self.errors():
            pipe = self.redis.pipeline(transaction=False)
            pipe.sadd(keys.ALL_QUEUES, *sorted(queues))
            pipe.zadd(WORKFLOWS, {workflow_id: now})
            pipe.zadd(OPEN_WORKFLOWS, {workflow_id: now})
            pipe.hset(WORKFLOW_HOMES, workflow_id, home_queue)
            pipe.execute()
        args: list[Any] = [
            int(ttl),
            repr(float(now)),
            int(now * 1e9),
            json.dumps(spec, separators=(",", ":")),
            json.dumps(fields, separators=(",", ":")),
        ]
        for member_id, queue, stage, message in members:
            args += [member_id, queue, stage, message]
        return int(self.run("workflow_create", [workflow_key(home_queue, workflow_id)], args))

    def workflow_home(self, workflow_id: str) -> str | None:
        with self.errors():
            home = self.redis.hget(WORKFLOW_HOMES, workflow_id)
        return to_str(home) if home is not None else None

    def read_workflow(self, workflow_id: str) -> dict[str, bytes] | None:
        """The workflow hash (field -> raw value), or None when it expired or never existed."""
        home = self.workflow_home(workflow_id)
        if home is None:
            return None
        with self.errors():
            raw = cast(dict[bytes, bytes], self.redis.hgetall(workflow_key(home, workflow_id)))
        if not raw:
            return None
        return {to_str(k): v for k, v in raw.items()}

    def list_workflow_ids(self, start: int = 0, count: int = 50) -> tuple[list[str], int]:
        """Workflow ids, newest first, and how many the index holds."""
        with self.errors():
            ids = cast(list[bytes], self.redis.zrevrange(WORKFLOWS, start, start + count - 1))
            total = int(self.redis.zcard(WORKFLOWS))
        return [to_str(i) for i in ids], total

    def open_workflow_ids(self, count: int = 500, *, rotate: bool = False) -> list[str]:
        """Workflows that may still need reconciling, oldest first; with ``rotate``, when
        there are more than ``count``, a window starting at a random place (so that every
        open workflow is visited over a few calls, not only the oldest ones)."""
        with self.errors():
            start = 0
            if rotate:
                total = int(self.redis.zcard(OPEN_WORKFLOWS))
                if total == 0:  # the usual idle case: one command, not two
                    return []
                if total > count:
                    start = random.randrange(total - count + 1)
            ids = cast(list[bytes], self.redis.zrange(OPEN_WORKFLOWS, start, start + count - 1))
        return [to_str(i) for i in ids]

    def forget_workflows(self, workflow_ids: Sequence[str], *, everywhere: bool) -> None:
        """Drop ids from the open index (and, ``everywhere``, from every index)."""
        if not workflow_ids:
            return
        with self.errors():
            pipe = self.redis.pipeline(transaction=False)
            pipe.zrem(OPEN_WORKFLOWS, *workflow_ids)
            if everywhere:
                pipe.zrem(WORKFLOWS, *workflow_ids)
                pipe.hdel(WORKFLOW_HOMES, *workflow_ids)
            pipe.execute()

    def member_task_states(
        self, members: Sequence[tuple[str, str]]
    ) -> list[tuple[str | None, bytes | None]]:
        """(state, msg) of each (queue, task id); (None, None) when the task hash is gone."""
        if not members:
            return []
        with self.errors():
            pipe = self.redis.pipeline(transaction=False)
            for queue, task_id in members:
                pipe.hmget(keys.task_key(queue, task_id), "state", "msg")
            replies = pipe.execute()
        return [(to_str(s) if s is not None else None, m) for s, m in replies]

    def settle_member(
        self,
        home_queue: str,
        workflow_id: str,
        queue: str,
        task_id: str,
        expected: str,
        error: str,
        now: float,
    ) -> bool:
        """Record an outcome that happened outside our scripts (Go worker, deletion); True when
        it was recorded now (continuation fired), False when someone already did."""
        reply = self.run(
            "workflow_settle",
            [workflow_key(home_queue, workflow_id), keys.task_key(queue, task_id)],
            [task_id, expected, error, repr(float(now)), int(now * 1e9)],
        )
        return int(reply) == 1

    def cancel_workflow(
        self, home_queue: str, workflow_id: str, now: float
    ) -> tuple[str, list[tuple[str, str]]] | None:
        """Stop continuations; returns (state before, [(task id, queue) still enqueued])."""
        reply = self.run("workflow_cancel", [workflow_key(home_queue, workflow_id)], [repr(now)])
        if not reply:
            return None
        flat = [to_str(x) for x in reply]
        return flat[0], list(zip(flat[1::2], flat[2::2], strict=True))
