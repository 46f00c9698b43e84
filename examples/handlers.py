"""Handlers for the example task types, and the ServeMux that routes them.

Each handler is a plain function ``(ctx, task)``; raising retries the task, ``SkipRetry``
sends it straight to the archive (the dead letter queue). ``DEMO_FAILURE_RATE`` (0..1) makes
some work fail on purpose so the demo fills the retry and archived tabs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import time
import urllib.error
import urllib.request

from pyasynq import ServeMux, SkipRetry, Task
from pyasynq.examples import tasks
from pyasynq.examples.middleware import logging_middleware, recovery_middleware

log = logging.getLogger("pyasynq.examples.handlers")


def _failure_rate() -> float:
    try:
        return float(os.environ.get("DEMO_FAILURE_RATE", "0"))
    except ValueError:
        return 0.0


def _payload(task: Task) -> dict:
    try:
        data = task.json()
    except ValueError as exc:
        raise SkipRetry(f"payload is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise SkipRetry("payload must be a JSON object")
    return data


def deliver_email(ctx, task: Task) -> None:
    data = _payload(task)
    if "@" not in str(data.get("to", "")):
        raise SkipRetry(f"invalid recipient {data.get('to')!r}")  # retrying cannot fix this
    if random.random() < _failure_rate():
        raise ConnectionError("SMTP server 421: try again later")
    ctx.wait(random.uniform(0.05, 0.3))  # talking to the mail server
    log.debug("email %s sent to %s", data.get("template"), data["to"])


def resize_image(ctx, task: Task) -> None:
    data = _payload(task)
    width, height = data.get("size", [0, 0])
    if width <= 0 or height <= 0:
        raise SkipRetry(f"invalid size {width}x{height}")
    # CPU work stands in for a real resize; it checks for cancellation as a long job should
    digest = data["image_id"].encode()
    for _ in range(2000):
        ctx.check()
        digest = hashlib.sha256(digest).digest()
    task.result_writer.write(json.dumps({"thumbnail": digest.hex()[:16], "size": [width, height]}))


def deliver_webhook(ctx, task: Task) -> None:
    data = _payload(task)
    request = urllib.request.Request(
        data["url"],
        data=json.dumps({"event": data["event"], "body": data.get("body", {})}).encode(),
        headers={"Content-Type": "application/json", "X-Task-Id": task.id or ""},
        method="POST",
    )
    timeout = max(1.0, min(10.0, ctx.time_remaining()))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(4096)
            task.result_writer.write(
                json.dumps({"status": response.status, "body": body.decode("utf-8", "replace")})
            )
    except urllib.error.HTTPError as exc:
        if 400 <= exc.code < 500 and exc.code != 429:
            raise SkipRetry(f"endpoint refused the webhook: HTTP {exc.code}") from exc
        raise RuntimeError(f"endpoint answered HTTP {exc.code}") from exc


def generate_report(ctx, task: Task) -> None:
    data = _payload(task)
    rows = []
    for day in range(1, 8):
        if ctx.wait(random.uniform(0.1, 0.4)):  # a slow query per day; stop early if cancelled
            ctx.check()
        rows.append({"day": day, "orders": random.randint(10, 500)})
    if random.random() < _failure_rate():
        raise TimeoutError("warehouse query timed out")
    task.result_writer.write(json.dumps({"account": data["account"], "rows": rows}))


def sync_data(ctx, task: Task) -> None:
    data = _payload(task)
    if random.random() < _failure_rate() * 2:
        raise RuntimeError(f"upstream {data['source']} returned 503")
    time.sleep(random.uniform(0.2, 1.5))


def analytics_batch(ctx, task: Task) -> None:
    """The aggregated form of many ``analytics:event`` tasks (see worker.aggregate)."""
    events = _payload(task).get("events", [])
    log.debug("stored %d analytics events", len(events))


def analytics_event(ctx, task: Task) -> None:
    """A single event that was run on its own (e.g. from the console) instead of aggregated."""
    _payload(task)


def build_mux() -> ServeMux:
    mux = ServeMux()
    mux.use(recovery_middleware, logging_middleware)
    mux.handle(tasks.EMAIL_DELIVERY, deliver_email)
    mux.handle(tasks.IMAGE_RESIZE, resize_image)
    mux.handle(tasks.WEBHOOK_DELIVERY, deliver_webhook)
    mux.handle(tasks.REPORT_GENERATE, generate_report)
    mux.handle(tasks.DATA_SYNC, sync_data)
    mux.handle(tasks.ANALYTICS_BATCH, analytics_batch)
    mux.handle(tasks.ANALYTICS_EVENT, analytics_event)
    return mux


mux = build_mux()
