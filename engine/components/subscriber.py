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
    from pyasynq.broker.worker import CancelSubscription, Leased


class Subscriber:
    """Listens for cancels, wake-ups and hand-offs; see the module docstring.

    With ``on_handoff`` it keeps two threads, one listening and one standing by: a task handed
    off to this idle worker, or the first one dequeued on a wake-up, may run right in the
    thread that read the message (the handler starts without waiting for a pool thread to
    wake, the last thread hop of idle latency). Before it runs, the standby takes over the
    connection, so cancels and further messages are still heard; afterwards the first thread
    stands by in turn. With no thread standing by (the other one is still running a task) the
    task goes to the pool as usual. Both callbacks get that choice as a second argument,
    ``hand_over()``: True when the caller may now run a task in this thread."""

    name = "subscriber"

    def __init__(
        self,
        broker: Broker,
        on_cancel: Callable[[str], Any],
        *,
        retry_interval: float = 5.0,
        poll: float = 0.2,
        logger: logging.Logger | None = None,
        on_wake: Callable[[str, Callable[[], bool]], Any] | None = None,
        on_handoff: Callable[[Leased, Callable[[], bool]], Any] | None = None,
        handoff_id: str = "",
    ) -> None:
        self.broker, self.on_cancel, self.on_wake = broker, on_cancel, on_wake
        self.on_handoff, self.handoff_id = on_handoff, handoff_id
        self.retry_interval, self.poll = retry_interval, poll
        self.log = logger or logging.getLogger("pyasynq.subscriber")
        self.ready = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._listening = threading.Lock()  # held by the thread reading the connection
        self._standing_by = 0  # threads waiting to listen (guarded by _state)
        self._state = threading.Lock()
        self._local = threading.local()  # .passed: this thread gave listening away
        self._running: set[threading.Thread] = set()  # threads running a handed-off task
        self._sub: CancelSubscription | None = None

    @property
    def _thread(self) -> threading.Thread | None:
        """The first thread (tests look at it)."""
        return self._threads[0] if self._threads else None

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._state:
                self._standing_by += 1
            got = self._listening.acquire(timeout=self.poll)
            with self._state:
                self._standing_by -= 1
            if not got:
                continue
            self._local.passed = False
            try:
                self._listen()
            finally:
                if not self._local.passed:
                    self._listening.release()

    def _listen(self) -> None:
        """Read messages until stopped or until this thread gave listening away."""
        while not self._stop.is_set():
            sub = self._sub
            if sub is None:
                try:
                    sub = self._sub = self.broker.subscribe_cancel(
                        self._wake if self.on_wake else None,
                        on_handoff=self._handoff if self.on_handoff else None,
                        handoff_id=self.handoff_id,
                    )
                except Exception as exc:
                    worker_log.connection_health(self.broker).failed(exc, self.name, self.log)
                    self._stop.wait(self.retry_interval)
                    continue
                self.ready.set()
                worker_log.connection_health(self.broker).ok(self.name, self.log)
            try:
                task_id = sub.get(self.poll)
            except Exception as exc:
                worker_log.connection_health(self.broker).failed(exc, self.name, self.log)
                self.ready.clear()
                self._close()
                self._stop.wait(self.retry_interval)
                continue
            if self._local.passed:
                return
            if task_id:
                self.on_cancel(task_id)

    def _handoff(self, leased: Leased) -> bool:
        """A hand-off read by this thread; True when this thread gave listening away to run
        it (the subscription must stop reading in this thread)."""
        assert self.on_handoff is not None
        return self._call(self.on_handoff, leased, f"task {leased.task_id}: the hand-off")

    def _wake(self, queue: str) -> bool:
        """A wake-up read by this thread: the processor may dequeue and run a task here, as
        for a hand-off (True: this thread gave listening away)."""
        assert self.on_wake is not None
        return self._call(self.on_wake, queue, f"queue {queue!r}: the wake-up")

    def _call(
        self, callback: Callable[[Any, Callable[[], bool]], Any], arg: Any, what: str
    ) -> bool:
        try:
            callback(arg, self._hand_over)
        except Exception:  # the processor's bug, not the connection's: keep listening
            self.log.exception("%s could not be taken", what)
        finally:
            with self._state:
                self._running.discard(threading.current_thread())
        return bool(self._local.passed)

    def _hand_over(self) -> bool:
        """Give the connection to the thread standing by, so that the caller can run a task
        here; False (keep listening) when no thread stands by or the subscriber stops."""
        with self._state:
            if self._standing_by == 0 or self._stop.is_set() or self._local.passed:
                return False
            self._local.passed = True
            self._running.add(threading.current_thread())
        self._listening.release()
        return True

    def _close(self) -> None:
        sub, self._sub = self._sub, None
        if sub is not None:
            sub.close()

    def start(self) -> None:
        for n in range(2 if self.on_handoff else 1):
            thread = threading.Thread(
                target=self._loop, name=f"pyasynq-subscriber-{n}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def stop(self) -> None:
        """Stop listening. A thread still running a handed-off task is not waited for: the
        processor's shutdown owns that task (and gives up on a handler that never returns)."""
        self._stop.set()
        for thread in self._threads:
            with self._state:
                running = thread in self._running
            if not running:
                thread.join(timeout=10)
        with self._state:
            self._close()
