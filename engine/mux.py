"""ServeMux: route a task to a handler by its type, with middleware (spec §6.9).

A handler is a function ``(ctx, task)`` or an object with ``process_task(ctx, task)``; either
may be ``async``. It returns nothing on success and raises to fail. Calling an adapted handler
returns ``None`` or an awaitable: the processor runs awaitables on an event loop, so sync
middleware works around async handlers unchanged (it just returns what ``next`` returned).
Async middleware should ``await maybe_await(next(ctx, task))`` to wrap sync handlers too.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast, overload

from pyasynq.errors import HandlerNotFoundError

HandlerFunc = Callable[[Any, Any], Any]
Middleware = Callable[[HandlerFunc], HandlerFunc]
H = TypeVar("H")
"""A handler as registered: ``handle`` gives it back unchanged, so a decorated function keeps its
signature for type checkers."""


async def maybe_await(value: Any) -> Any:
    """Await ``value`` if it is awaitable, else return it: lets async middleware wrap any handler."""
    if inspect.isawaitable(value):
        return await value
    return value


def as_handler(handler: Any) -> HandlerFunc:
    """A plain callable ``(ctx, task)`` for a function, an async function or a handler object."""
    process = getattr(handler, "process_task", None)
    if process is not None and callable(process):
        return cast(HandlerFunc, process)
    if callable(handler):
        return cast(HandlerFunc, handler)
    raise TypeError(
        f"a handler must be a function (ctx, task) or have process_task(ctx, task), got {handler!r}"
    )


def not_found(ctx: Any, task: Any) -> None:
    """Go's NotFound handler: ``handler not found for task "<type>"``, a normal (retried) failure."""
    raise HandlerNotFoundError(task.type)


class ServeMux:
    """Exact type match first, else the longest registered pattern that prefixes the type.

    >>> mux = ServeMux()
    >>> @mux.handle("email:")
    ... def send(ctx, task): ...
    """

    def __init__(self) -> None:
        self._routes: dict[str, HandlerFunc] = {}
        self._middleware: list[Middleware] = []

    @overload
    def handle(self, pattern: str, handler: None = None) -> Callable[[H], H]: ...

    @overload
    def handle(self, pattern: str, handler: H) -> H: ...

    def handle(self, pattern: str, handler: Any = None) -> Any:
        """Register ``handler`` for ``pattern``; without a handler, return a decorator."""
        if not isinstance(pattern, str) or not pattern.strip():
            raise ValueError("asynq: invalid pattern")
        if handler is None:

            def decorator(fn: H) -> H:
                self.handle(pattern, fn)
                return fn

            return decorator
        if pattern in self._routes:
            raise ValueError(f"asynq: multiple registrations for {pattern}")
        self._routes[pattern] = as_handler(handler)
        return handler

    handle_func = handle

    def use(self, *middleware: Middleware) -> None:
        """Add middleware; the first one added is the outermost (runs first), as in Go."""
        self._middleware.extend(middleware)

    @property
    def patterns(self) -> list[str]:
        return sorted(self._routes)

    def handler(self, task_type: str) -> tuple[HandlerFunc, str]:
        """The handler for ``task_type`` and the pattern it matched (``""`` for not-found)."""
        found = self._routes.get(task_type)
        if found is not None:
            return found, task_type
        best = ""
        for pattern in self._routes:
            if len(pattern) > len(best) and task_type.startswith(pattern):
                best = pattern
        if best:
            return self._routes[best], best
        return not_found, ""

    def process_task(self, ctx: Any, task: Any) -> None | Awaitable[Any]:
        handler, _ = self.handler(task.type)
        for mw in reversed(self._middleware):
            handler = mw(handler)
        return cast("None | Awaitable[Any]", handler(ctx, task))

    __call__ = process_task
