"""A dead-letter helper built on the Inspector: what failed, why, and put it back (or purge).

``python -m pyasynq.examples.dead_letters [--queue Q] summary|requeue TYPE|purge --older-than-days N``
"""

from __future__ import annotations

import argparse
import os
from collections import Counter
from datetime import UTC, datetime, timedelta

from pyasynq import Inspector


def archived(inspector: Inspector, queue: str, page_size: int = 500):
    """Every archived task of a queue, a page at a time (never the whole set in one call)."""
    page = 1
    while True:
        batch = inspector.list_archived_tasks(queue, page_size=page_size, page=page)
        yield from batch
        if len(batch) < page_size:
            return
        page += 1


def summary(inspector: Inspector, queue: str) -> Counter:
    """Archived tasks counted by (type, last error)."""
    return Counter((t.type, t.last_err) for t in archived(inspector, queue))


def requeue(inspector: Inspector, queue: str, task_type: str) -> int:
    """Run again every archived task of ``task_type`` (e.g. after the bug was fixed)."""
    ids = [t.id for t in archived(inspector, queue) if t.type == task_type]
    return inspector.run_tasks(queue, ids).done if ids else 0


def purge(inspector: Inspector, queue: str, older_than: timedelta) -> int:
    """Delete archived tasks whose last failure is older than ``older_than``."""
    cutoff = datetime.now(UTC) - older_than
    ids = [
        t.id for t in archived(inspector, queue) if t.last_failed_at and t.last_failed_at < cutoff
    ]
    return inspector.delete_tasks(queue, ids).done if ids else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queue", default="default")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("summary")
    rq = sub.add_parser("requeue")
    rq.add_argument("task_type")
    pg = sub.add_parser("purge")
    pg.add_argument("--older-than-days", type=float, required=True)
    args = parser.parse_args()
    inspector = Inspector(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    if args.command == "summary":
        for (task_type, error), count in summary(inspector, args.queue).most_common():
            print(f"{count:6d}  {task_type:24s}  {error}")
    elif args.command == "requeue":
        print(f"requeued {requeue(inspector, args.queue, args.task_type)} tasks")
    else:
        print(f"purged {purge(inspector, args.queue, timedelta(days=args.older_than_days))} tasks")


if __name__ == "__main__":
    main()
