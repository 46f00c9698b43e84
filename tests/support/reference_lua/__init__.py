"""The separate queue-stats and memory-estimate scripts that ``queue_info.lua`` replaced.

Kept only as test oracles: the memory script is the one that reproduced Go's ``memory_usage``
exactly on the captured interop dumps, so the combined script is checked against it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyasynq.broker import keys
from pyasynq.broker.inspect import GROUP_SAMPLE, MEMORY_SAMPLE
from pyasynq.clock import utc_day

HERE = Path(__file__).parent


def _run(client: Any, name: str, script_keys: list[str], args: list[Any]) -> Any:
    return client.register_script((HERE / f"{name}.lua").read_text())(keys=script_keys, args=args)


def queue_stats(client: Any, queue: str, now: float) -> list[Any]:
    day = utc_day(now)
    script_keys = [
        keys.pending(queue),
        keys.active(queue),
        keys.scheduled(queue),
        keys.retry(queue),
        keys.archived(queue),
        keys.completed(queue),
        keys.processed_daily(queue, day),
        keys.failed_daily(queue, day),
        keys.processed_total(queue),
        keys.failed_total(queue),
        keys.paused(queue),
        keys.all_groups(queue),
    ]
    return list(
        _run(
            client,
            "queue_stats",
            script_keys,
            [keys.task_key_prefix(queue), keys.group_key_prefix(queue)],
        )
    )


def memory_usage(client: Any, queue: str) -> int:
    script_keys = [
        keys.active(queue),
        keys.pending(queue),
        keys.scheduled(queue),
        keys.retry(queue),
        keys.archived(queue),
        keys.completed(queue),
        keys.all_groups(queue),
    ]
    args = [keys.task_key_prefix(queue), MEMORY_SAMPLE, GROUP_SAMPLE, keys.group_key_prefix(queue)]
    return int(_run(client, "memory_usage", script_keys, args))
