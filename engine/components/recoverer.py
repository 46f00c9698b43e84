"""Recoverer: retries or archives tasks whose lease expired, reclaims stale aggregation sets.

Every minute (first run at start): cutoff = now - 30 s, the allowance Go gives for clock skew
between servers. A task found there belonged to a worker that died or lost Redis (spec §6.4).

Unlike Go, nothing is left in active for ever: a task whose message is missing or cannot be
decoded is archived with an error saying why, and an id in active without any lease is
recovered too. A queue whose keys hold bad data is skipped (logged at most once a minute)
without stopping the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyasynq import outcomes, worker_log
from pyasynq.broker.worker import TaskNotActiveError
from pyasynq.clock import Clock
from pyasynq.components.periodic import Periodic
from pyasynq.errors import BadDataError, BrokerError, LeaseExpiredError, RedisUnavailableError
from pyasynq.queue_faults import QueueFaults
from pyasynq.task import Task

if TYPE_CHECKING:
    from pyasynq.broker.broker import Broker

LEASE_CUTOFF = 30


class Recoverer(Periodic):
    name = "recoverer"

    def __init__(
        self,
        broker: Broker,
        queues: list[str],
        *,
        interval: float,
        clock: Clock,
        cutoff: float = LEASE_CUTOFF,
        retry_delay_func: Callable[[int, BaseException, Task], Any],
        is_failure: Callable[[BaseException], bool],
        logger: logging.Logger | None = None,
    ) -> None:
        super().__init__(interval, run_at_start=True, logger=logger)
        self.broker, self.queues, self.clock = broker, list(queues), clock
        self.retry_delay_func, self.is_failure = retry_delay_func, is_failure
        self.cutoff = cutoff
        self.recovered = 0
        self.archived_unreadable = 0
        # a queue with bad data is logged at most once a minute (no benching: one run a minute)
        self.queue_faults = QueueFaults(clock, self.log, base=0.0, cap=0.0)

    def run_once(self) -> None:
        now = self.clock.now()
        err = LeaseExpiredError()
        for q in self.queues:
            try:
                found = self.broker.claim_lease_expired(q, now - self.cutoff)
            except BadDataError as exc:
                self.queue_faults.failed(q, exc)
                continue
            for leased in found:
                self._settle(leased, err, now)
        if hasattr(self.broker, "reclaim_stale_aggregation_sets"):
            for q in self.queues:
                try:
                    self.broker.reclaim_stale_aggregation_sets(q, now)
                except BadDataError as exc:
                    self.queue_faults.failed(q, exc)

    def _settle(self, leased: Any, err: BaseException, now: float) -> None:
        """Retry or archive one lease-expired task; archive it as unreadable when it is."""
        msg, problem = leased.message()
        try:
            if problem:
                self.log.error(
                    "task %s of queue %r cannot be run, archiving it: %s",
                    leased.task_id,
                    leased.queue,
                    problem,
                )
                self.broker.archive_unreadable(leased.queue, leased.task_id, problem, msg, now=now)
                self.archived_unreadable += 1
                return
            self._recover(msg, err, now)
            self.recovered += 1
        except TaskNotActiveError:
            pass  # someone else recovered it first
        except RedisUnavailableError as exc:
            worker_log.connection_health(self.broker).failed(exc, self.name, self.log)
        except BrokerError as exc:
            self.log.warning("could not recover task %s: %s", leased.task_id, exc)

    def _recover(self, msg: Any, err: BaseException, now: float) -> None:
        # the processor's rule (pyasynq.outcomes): archive at the retry limit, else retry
        outcomes.settle_failure(
            self.broker,
            msg,
            err,
            str(err),
            now,
            retry_delay_func=self.retry_delay_func,
            is_failure=self.is_failure,
            log=self.log,
        )
