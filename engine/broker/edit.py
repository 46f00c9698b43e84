"""Console-driven edits of waiting tasks that Go's inspector lacks (reschedule)."""

from __future__ import annotations

from pyasynq.broker import keys
from pyasynq.broker.base import BrokerBase


class EditOps(BrokerBase):
    def reschedule(self, queue: str, task_id: str, process_at: float) -> tuple[int, str]:
        """Run ``reschedule_task.lua``; (code, state the task was in)."""
        code, state = self.run(
            "reschedule_task",
            [keys.task_key(queue, task_id), keys.scheduled(queue)],
            [task_id, int(process_at), keys.queue_prefix(queue)],
        )
        return int(code), state.decode() if isinstance(state, bytes) else str(state)
