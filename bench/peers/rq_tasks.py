"""RQ tasks: started with ``rq worker -w rq.worker.SimpleWorker`` (no fork per job)."""

from bench.peers._lat import record


def noop() -> None:
    return None


def lat(enqueued_at: float) -> None:
    record(enqueued_at)
