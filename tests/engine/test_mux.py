"""ServeMux routing (spec §6.9), middleware order and handler adaptation."""

from __future__ import annotations

import asyncio

import pytest

from pyasynq import HandlerNotFoundError, ServeMux, Task
from pyasynq.mux import as_handler, maybe_await


def call(mux, type_):
    calls = []
    task = Task(type_)
    result = mux.process_task(calls, task)
    if asyncio.iscoroutine(result):
        asyncio.run(result)
    return calls


def test_exact_then_longest_prefix():
    mux = ServeMux()
    mux.handle("email:", lambda ctx, t: ctx.append("email:"))
    mux.handle("email:welcome", lambda ctx, t: ctx.append("exact"))
    mux.handle("email:we", lambda ctx, t: ctx.append("email:we"))
    mux.handle("e", lambda ctx, t: ctx.append("e"))
    assert call(mux, "email:welcome") == ["exact"]
    assert call(mux, "email:welcomeX") == ["exact"]
    assert call(mux, "email:wex") == ["email:we"]
    assert call(mux, "email:other") == ["email:"]
    assert call(mux, "eX") == ["e"]


def test_not_found_text():
    with pytest.raises(HandlerNotFoundError, match='handler not found for task "nope"'):
        call(ServeMux(), "nope")


def test_decorator_objects_and_errors():
    mux = ServeMux()

    @mux.handle("a")
    def a(ctx, task):
        ctx.append("a")

    class B:
        def process_task(self, ctx, task):
            ctx.append("b")

    mux.handle("b", B())
    assert call(mux, "a") == ["a"] and call(mux, "b") == ["b"]
    with pytest.raises(ValueError):
        mux.handle("a", a)
    with pytest.raises(ValueError):
        mux.handle("  ", a)
    with pytest.raises(TypeError):
        as_handler(42)
    assert mux.patterns == ["a", "b"]


def test_middleware_order_first_is_outermost():
    mux = ServeMux()

    def mw(name):
        def wrap(nxt):
            def h(ctx, task):
                ctx.append(f"{name}>")
                nxt(ctx, task)
                ctx.append(f"<{name}")

            return h

        return wrap

    mux.use(mw("1"), mw("2"))
    mux.handle("t", lambda ctx, t: ctx.append("h"))
    assert call(mux, "t") == ["1>", "2>", "h", "<2", "<1"]


def test_async_handler_and_async_middleware():
    mux = ServeMux()

    async def h(ctx, task):
        await asyncio.sleep(0)
        ctx.append("async")

    def amw(nxt):
        async def wrapped(ctx, task):
            ctx.append("mw")
            await maybe_await(nxt(ctx, task))

        return wrapped

    mux.use(amw)
    mux.handle("x", h)
    mux.handle("y", lambda ctx, t: ctx.append("sync"))
    assert call(mux, "x") == ["mw", "async"]
    assert call(mux, "y") == ["mw", "sync"]
