"""Periodic jobs: ``pyasynq scheduler pyasynq.examples.scheduler:build`` or ``python -m pyasynq.examples.scheduler``."""

from __future__ import annotations

import logging
import os

from pyasynq import Scheduler
from pyasynq.examples import tasks


def build(redis_url: str | None = None) -> Scheduler:
    scheduler = Scheduler(
        redis_url or os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        location=os.environ.get("SCHEDULER_TZ", "UTC"),
    )
    scheduler.register("@every 15s", tasks.data_sync("crm"))
    scheduler.register("@every 1m", tasks.report("acme", "last-minute"), queue="low")
    scheduler.register("0 7 * * 1-5", tasks.email("team@example.com", "daily-digest"))
    scheduler.register("@hourly", tasks.data_sync("billing"), unique=3000)
    return scheduler


def main() -> None:
    logging.basicConfig(level="INFO", format="%(asctime)s %(name)s %(levelname)s %(message)s")
    build().run()


if __name__ == "__main__":
    main()
