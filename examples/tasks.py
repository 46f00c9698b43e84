"""Task types and payload builders: the one place producers and workers agree on."""

from __future__ import annotations

from pyasynq import Task

EMAIL_DELIVERY = "email:deliver"
IMAGE_RESIZE = "image:resize"
WEBHOOK_DELIVERY = "webhook:deliver"
REPORT_GENERATE = "report:generate"
DATA_SYNC = "data:sync"
ANALYTICS_EVENT = "analytics:event"
ANALYTICS_BATCH = "analytics:batch"


def email(to: str, template: str, **params: str) -> Task:
    """Emails are urgent but retried a few times only: a stale email is worse than none."""
    return Task.from_json(
        EMAIL_DELIVERY,
        {"to": to, "template": template, "params": params},
        queue="critical",
        max_retry=5,
        timeout=30,
    )


def image_resize(image_id: str, width: int, height: int) -> Task:
    return Task.from_json(
        IMAGE_RESIZE, {"image_id": image_id, "size": [width, height]}, timeout=120
    )


def webhook(url: str, event: str, body: dict) -> Task:
    """Webhooks keep their result for a day so operators can see what the endpoint answered."""
    return Task.from_json(
        WEBHOOK_DELIVERY,
        {"url": url, "event": event, "body": body},
        max_retry=8,
        timeout=15,
        retention=86400,
    )


def report(account: str, period: str) -> Task:
    return Task.from_json(
        REPORT_GENERATE, {"account": account, "period": period}, queue="low", timeout=600
    )


def data_sync(source: str) -> Task:
    return Task.from_json(DATA_SYNC, {"source": source}, queue="low", timeout=300)


def analytics_event(user: str, name: str) -> Task:
    """Events are grouped per user and delivered as one batch by the aggregator."""
    return Task.from_json(ANALYTICS_EVENT, {"user": user, "event": name}, group=f"user:{user}")
