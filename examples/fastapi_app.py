"""An asyncio web app (FastAPI) that enqueues with ``AsyncClient`` and serves the console.

``pip install 'pyasynq[asgi]'`` then ``uvicorn pyasynq.examples.fastapi_app:app``.

* ``POST /signup {"email": "ada@example.com"}`` enqueues ``email:welcome`` without blocking the
  event loop (``await client.enqueue``) and answers the task's id and state.
* ``/monitoring`` is the pyasynq console (a Flask/WSGI app) mounted inside the ASGI app through
  ``a2wsgi.WSGIMiddleware`` (Starlette's own WSGIMiddleware is deprecated in favour of it).
* Run the handlers with ``python -m pyasynq.examples.fastapi_app worker``: async handlers on the
  worker's event loop (``async_concurrency``) beside sync ones on threads.

Environment: ``REDIS_URL`` (``redis://127.0.0.1:6379/0``), ``SECRET_KEY`` (console sessions).
Nothing else in ``pyasynq.examples`` imports this module (FastAPI is an optional extra).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from a2wsgi import WSGIMiddleware
from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

from pyasynq import AsyncClient, BrokerError, Context, ServeMux, Server, Task
from pyasynq.console import create_app
from pyasynq.console.config import ConsoleConfig

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


class Signup(BaseModel):
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """One AsyncClient (one connection pool) for the app's lifetime."""
    async with AsyncClient(REDIS_URL) as client:
        app.state.tasks = client
        yield


app = FastAPI(title="Acme signups", lifespan=lifespan)


@app.get("/")
async def index() -> dict[str, str]:
    return {"service": "acme signups", "console": "/monitoring/"}


@app.post("/signup", status_code=202)
async def signup(body: Signup, request: Request) -> dict[str, str]:
    client: AsyncClient = request.app.state.tasks
    try:
        info = await client.enqueue(
            Task("email:welcome", body.model_dump_json().encode()),
            queue="default",
            max_retry=5,
            timeout=60,
            retention=3600,  # keep it (and its result) an hour after it completes
        )
    except BrokerError as exc:  # Redis down: say so, never a traceback
        raise HTTPException(status_code=503, detail="the task queue is unavailable") from exc
    return {"task_id": info.id, "queue": info.queue, "state": info.state.value}


console = create_app(
    ConsoleConfig(
        redis_url=REDIS_URL,
        secret_key=os.environ.get("SECRET_KEY", "change-me-in-production"),
    )
)
# Both calls run fine; only the libraries' annotations disagree: a2wsgi types WSGI environs and
# ASGI scopes as TypedDicts, Flask and Starlette as plain dicts and mappings.
app.mount("/monitoring", WSGIMiddleware(console))  # type: ignore[arg-type]


# -- the worker side --------------------------------------------------------------------------
mux = ServeMux()


@mux.handle("email:welcome")
async def send_welcome(ctx: Context, task: Task) -> None:
    """An I/O-bound handler: runs as a task on the worker's event loop."""
    address = task.json()["email"]
    await asyncio.sleep(0.05)  # stands for the call to the mail provider
    task.result_writer.write(f"welcomed {address}")


if __name__ == "__main__" and sys.argv[1:] == ["worker"]:
    Server(REDIS_URL, concurrency=4, async_concurrency=200).run(mux)
