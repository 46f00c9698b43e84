"""Subscriber: listens on ``asynq:cancel`` and cancels the named task if it runs here (§4.25).

With ``on_wake`` it also hears ``pyasynq:wake`` (our Client publishes a queue name when it
creates pending tasks) so an idle processor dequeues at once instead of at its next poll, and
with ``on_handoff`` its own ``pyasynq:handoff:<server id>`` channel, where an enqueue hands an
idle processor a task already leased to it.

It reconnects every 5 s while Redis is unreachable. ``ready`` is set once subscribed, so tests
(and a cautious caller) know a PUBLISH will be heard.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyasynq import worker_log

if TYPE_CHECKING:
    from pyasynq.broker.broker import Broker
    from pyasynq.broker.worker import Leased


class Subscriber:
    name = "subscriber"

    def __init__(
        self,
        broker: Broker,
        on_cancel: Callable[[str], Any],
        *,
        retry_interval: float = 5.0,
        poll: float = 0.2,
        logger: logging.Logger | None = None,
        on_wake: Callable[[str], Any] | None = None,
        on_handoff: Callable[[Leased], Any] | None = None,
        handoff_id: str = "",
    ) -> None:
        self.broker, self.on_cancel, self.on_wake = broker, on_cancel, on_wake
        self.on_handoff, self.handoff_id = on_handoff, handoff_id
        self.retry_interval, self.poll = retry_interval, poll
        self.log = logger or logging.getLogger("pyasynq.subscriber")
        self.ready = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                sub = self.broker.subscribe_cancel(
                    self.on_wake, on_handoff=self.on_handoff, handoff_id=self.handoff_id
                )
            except Exception as exc:
                worker_log.connection_health(self.broker).failed(exc, self.name, self.log)
                self._stop.wait(self.retry_interval)
                continue
            self.ready.set()
            worker_log.connection_health(self.broker).ok(self.name, self.log)
            try:
                while not self._stop.is_set():
                    task_id = sub.get(self.poll)
                    if task_id:
                        self.on_cancel(task_id)
            except Exception as exc:
                worker_log.connection_health(self.broker).failed(exc, self.name, self.log)
                self.ready.clear()
                self._stop.wait(self.retry_interval)
            finally:
                sub.close()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="pyasynq-subscriber", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
