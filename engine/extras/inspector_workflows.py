"""The Inspector's workflow methods (a mixin, so inspector.py only names it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyasynq.extras import workflow_state as workflows
from pyasynq.extras.workflow_state import WorkflowInfo

if TYPE_CHECKING:
    from pyasynq.broker.broker import Broker


class InspectorWorkflows:
    broker: Broker

    def get_workflow(self, workflow_id: str) -> WorkflowInfo:
        """One workflow: its stages, each member's state, times, result and error.
        Raises ``WorkflowNotFoundError`` when it never existed or its ttl ended."""
        return workflows.get_workflow(self.broker, workflow_id)

    def list_workflows(self, page: int = 1, page_size: int = 20) -> tuple[list[WorkflowInfo], int]:
        """Workflows newest first, and how many there are."""
        if page < 1 or page_size < 1:
            raise ValueError("page and page_size must be positive")
        return workflows.list_workflows(self.broker, page, page_size)

    def cancel_workflow(self, workflow_id: str) -> WorkflowInfo:
        """Stop a workflow: no further step or callback; pending members deleted, running
        ones cancelled (Asynq's cancel). A finished workflow is left as it is."""
        return workflows.cancel_workflow(self.broker, workflow_id)
