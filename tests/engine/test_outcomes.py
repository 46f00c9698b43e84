"""pyasynq.outcomes: the one rule for a failed attempt, used by the processor and the recoverer."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from pyasynq import Client, Inspector, RevokeTask, SkipRetry, Task, TaskState
from pyasynq.broker.broker import Broker
from pyasynq.errors import TaskNotFoundError
from pyasynq.outcomes import settle_failure

LOG = logging.getLogger("test.outcomes")


@pytest.fixture
def active(redis_url, clock):
    """Enqueue one task (max_retry 2), dequeue it, and hand its message to the test."""
    broker = Broker(redis_url, clock=clock)

    def make(retried: int = 0):
        with Client(broker) as client:
            info = client.enqueue(Task("t", b"p"), max_retry=2)
        (leased,) = broker.dequeue_batch(["default"], 1)
        msg, problem = leased.message()
        assert not problem
        msg.retried = retried
        return info.id, msg

    yield broker, make
    broker.close()


def _settle(broker, msg, err, clock, delays):
    return settle_failure(
        broker,
        msg,
        err,
        str(err) or type(err).__name__,
        clock.now(),
        retry_delay_func=lambda n, e, t: delays.append((n, t.type)) or timedelta(seconds=40),
        is_failure=lambda e: True,
        log=LOG,
    )


def test_a_failure_with_retries_left_is_retried_after_the_delay_and_logged(active, clock, caplog):
    broker, make = active
    task_id, msg = make(retried=0)
    delays: list = []
    with caplog.at_level(logging.WARNING, logger="test.outcomes"):
        assert _settle(broker, msg, ValueError("boom"), clock, delays) == "retry"
    assert delays == [(0, "t")]  # the delay function sees the pre-increment count and the task
    info = Inspector(broker).get_task_info("default", task_id)
    assert info.state is TaskState.RETRY and info.retried == 1 and info.last_err == "boom"
    assert info.next_process_at.timestamp() == pytest.approx(clock.now() + 40, abs=1)
    assert "attempt 1 of 3" in caplog.text and "retry at" in caplog.text


@pytest.mark.parametrize(
    "retried, err, why",
    [(2, ValueError("last"), "retries exhausted"), (0, SkipRetry("bad input"), "SkipRetry")],
)
def test_exhausted_retries_and_skip_retry_archive(active, clock, caplog, retried, err, why):
    broker, make = active
    task_id, msg = make(retried=retried)
    delays: list = []
    with caplog.at_level(logging.WARNING, logger="test.outcomes"):
        assert _settle(broker, msg, err, clock, delays) == "archived"
    assert delays == []  # no delay is asked for a task that will not run again
    info = Inspector(broker).get_task_info("default", task_id)
    assert info.state is TaskState.ARCHIVED and info.last_err == str(err)
    assert "archived" in caplog.text


def test_revoke_task_deletes_it_and_counts_it_processed_not_failed(active, clock):
    broker, make = active
    task_id, msg = make()
    assert _settle(broker, msg, RevokeTask("no longer wanted"), clock, []) == "revoked"
    insp = Inspector(broker)
    with pytest.raises(TaskNotFoundError):
        insp.get_task_info("default", task_id)
    queue = insp.get_queue_info("default")
    assert (queue.processed, queue.failed) == (1, 0)
