"""The producer: every enqueue option once (``showcase``), and the demo's steady stream (``run``).

``python -m pyasynq.examples.producer`` enqueues the showcase and exits; ``--forever`` keeps producing
a realistic mix (some slow, some failing, some scheduled, unique and grouped) until stopped.
"""

from __future__ import annotations

import argparse
import collections
import logging
import os
import random
import signal
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

from pyasynq import Client, DuplicateTaskError, Task
from pyasynq.examples import tasks

log = logging.getLogger("pyasynq.examples.producer")

WEBHOOK_URL = os.environ.get("DEMO_WEBHOOK_URL", "http://127.0.0.1:9/hooks")
USERS = ["ada", "grace", "linus", "margaret", "ken"]


def showcase(client: Client) -> list:
    """One call per option of ``Client.enqueue``, as documentation that runs."""
    now = datetime.now(UTC)
    return [
        client.enqueue(tasks.email("ada@example.com", "welcome")),  # Task defaults
        client.enqueue(tasks.email("bob@example.com", "reset"), queue="default"),  # override queue
        client.enqueue(tasks.image_resize("img-1", 320, 240), max_retry=3),
        client.enqueue(tasks.report("acme", "2026-W48"), timeout=timedelta(minutes=5)),
        client.enqueue(tasks.report("globex", "2026-W48"), deadline=now + timedelta(hours=1)),
        client.enqueue(tasks.data_sync("crm"), process_at=now + timedelta(minutes=10)),
        client.enqueue(tasks.data_sync("billing"), process_in=timedelta(minutes=30)),
        client.enqueue(tasks.data_sync("ledger"), unique=timedelta(hours=1)),
        client.enqueue(
            Task("report:generate", b'{"account":"initech","period":"Q4"}'),
            task_id=f"report-initech-q4-{uuid.uuid4().hex[:6]}",
            queue="low",
        ),
        client.enqueue(
            tasks.webhook(WEBHOOK_URL, "order.paid", {"order": 1}), retention=timedelta(days=1)
        ),
        client.enqueue(tasks.analytics_event("ada", "login"), group="user:ada"),
        client.enqueue(
            Task(
                "email:deliver",
                b'{"to":"x@example.com","template":"t"}',
                headers={"trace-id": uuid.uuid4().hex},
            ),
            queue="critical",
        ),
    ]


def produce_one(client: Client, n: int) -> str:
    """One task of a realistic mix: mostly quick work, some slow, some bound to fail; returns
    what kind of task it was (for the producer's periodic summary)."""
    roll = random.random()
    user = random.choice(USERS)
    if roll < 0.30:
        # a few bad addresses go straight to the archive (SkipRetry)
        to = f"{user}@example.com" if random.random() > 0.05 else f"{user}-at-example"
        client.enqueue(tasks.email(to, random.choice(["welcome", "receipt", "digest"])))
        return "emails"
    if roll < 0.50:
        client.enqueue(tasks.image_resize(f"img-{n}", random.choice([64, 320, 1024]), 240))
        return "image resizes"
    if roll < 0.65:
        status = random.choice(["ok", "ok", "ok", "fail", "gone"])
        client.enqueue(tasks.webhook(f"{WEBHOOK_URL}/{status}", "order.paid", {"order": n}))
        return "webhooks"
    if roll < 0.72:
        client.enqueue(tasks.report(user, "today"), process_in=random.randint(5, 120))
        return "scheduled reports"
    if roll < 0.80:
        # a sync of that source may already be queued: exactly what unique is for
        try:
            client.enqueue(tasks.data_sync(random.choice(["crm", "billing", "ledger"])), unique=30)
        except DuplicateTaskError:
            return "duplicate syncs refused"
        return "data syncs"
    client.enqueue(tasks.analytics_event(user, random.choice(["view", "click", "buy"])))
    return "analytics events (grouped)"


def run(client: Client, rate: float, stop: threading.Event, summary_every: float = 30.0) -> int:
    """Produce about ``rate`` tasks per second until ``stop`` is set; returns how many.

    Says what it produced once every ``summary_every`` seconds, not once per task: a person
    watching the demo wants the mix and the pace, not a line per enqueue."""
    n = 0
    kinds: collections.Counter[str] = collections.Counter()
    next_summary = time.monotonic() + summary_every
    while not stop.is_set():
        try:
            kinds[produce_one(client, n)] += 1
            n += 1
        except Exception as exc:  # noqa: BLE001 - a producer keeps going through Redis blips
            log.warning("enqueue failed: %s", exc)
            stop.wait(1)
        if time.monotonic() >= next_summary:
            log.info("produced %s", summary(kinds, summary_every))
            kinds.clear()
            next_summary = time.monotonic() + summary_every
        stop.wait(random.expovariate(rate))
    return n


def summary(kinds: collections.Counter[str], seconds: float) -> str:
    """``48 tasks in the last 30s: 15 emails, 10 image resizes, ...``"""
    total = sum(n for kind, n in kinds.items() if kind != "duplicate syncs refused")
    parts = ", ".join(f"{n} {kind}" for kind, n in kinds.most_common())
    return f"{total} tasks in the last {seconds:g}s: {parts or 'none'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--forever", action="store_true", help="keep producing until stopped")
    parser.add_argument("--rate", type=float, default=float(os.environ.get("DEMO_RATE", "5")))
    args = parser.parse_args()
    logging.basicConfig(level="INFO", format="%(asctime)s %(name)s %(levelname)s %(message)s")
    client = Client(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    shown = showcase(client)
    log.info(
        "enqueued %d showcase tasks (one per enqueue option): %s",
        len(shown),
        ", ".join(sorted({f"{i.state.value}" for i in shown})),
    )
    if args.forever:
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        log.info("produced %d tasks", run(client, args.rate, stop))


if __name__ == "__main__":
    main()
