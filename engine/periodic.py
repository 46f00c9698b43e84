"""PeriodicTaskManager: keeps a Scheduler's entries in step with a config source (spec §7.2).

The source ("provider") is a callable returning configs, or the path of a YAML/JSON file. Every
``sync_interval`` seconds (3 min by default) the provider is read again; each config is identified
by the SHA-256 of spec + type + payload + its sorted option strings, exactly as Go's manager does,
so an edited config counts as "removed + added" and takes effect without a restart.

File format (YAML or JSON)::

    configs:
      - cronspec: "*/5 * * * *"
        task_type: report:generate
        payload: {"kind": "daily"}      # a string is used as UTF-8 bytes; anything else as JSON
        options: {queue: low, timeout: 30m, max_retry: 3}

Durations in a file may be seconds or Go duration strings (``30m``, ``1h30m``); ``deadline`` and
``process_at`` are ISO-8601 times with an offset.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyasynq.option_strings import format_options, parse_go_duration
from pyasynq.options import check_option_names
from pyasynq.scheduler import Scheduler
from pyasynq.task import Task

if TYPE_CHECKING:
    from pyasynq.broker.broker import Broker
    from pyasynq.broker.connection import RedisTarget
    from pyasynq.client import Client

DEFAULT_SYNC_INTERVAL = 180.0
_DURATION_OPTIONS = ("timeout", "unique", "process_in", "retention")
_TIME_OPTIONS = ("deadline", "process_at")


@dataclass(frozen=True)
class PeriodicTaskConfig:
    """One periodic task: a spec, a task, and ``Client.enqueue`` options."""

    cronspec: str
    task: Task
    options: Mapping[str, Any] = field(default_factory=dict)

    def option_strings(self) -> list[str]:
        return format_options(self.options)

    def hash(self) -> str:
        """Go's identity: SHA-256 over spec, type, payload and the sorted option strings."""
        h = hashlib.sha256()
        h.update(self.cronspec.encode())
        h.update(self.task.type.encode())
        h.update(self.task.payload or b"")
        for text in sorted(self.option_strings()):
            h.update(text.encode())
        return h.hexdigest()

    def validate(self) -> None:
        if not isinstance(self.cronspec, str) or not self.cronspec.strip():
            raise ValueError("PeriodicTaskConfig.cronspec cannot be empty")
        if not isinstance(self.task, Task):
            raise ValueError("PeriodicTaskConfig.task cannot be nil")
        check_option_names(dict(self.options))


Provider = Callable[[], Iterable[PeriodicTaskConfig | Mapping[str, Any]]]


def _file_option(name: str, value: Any) -> Any:
    if name in _DURATION_OPTIONS and isinstance(value, str):
        return parse_go_duration(value)
    if name in _TIME_OPTIONS and isinstance(value, str):
        when = datetime.fromisoformat(value)
        if when.tzinfo is None:
            raise ValueError(f"{name} {value!r} needs a UTC offset")
        return when
    return value


def config_from_mapping(data: Mapping[str, Any]) -> PeriodicTaskConfig:
    """A config from a dict (file entry): keys ``cronspec``/``spec``, ``task_type``/``type``,
    ``payload``, ``headers``, ``options``."""
    spec = data.get("cronspec", data.get("spec"))
    task_type = data.get("task_type", data.get("type"))
    if not spec or not task_type:
        raise ValueError(f"periodic task config needs cronspec and task_type: {dict(data)!r}")
    payload = data.get("payload")
    if payload is not None and not isinstance(payload, bytes | str):
        payload = json.dumps(payload, separators=(",", ":"))
    raw_options = data.get("options") or {}
    if not isinstance(raw_options, Mapping):
        raise ValueError(f"options must be a mapping, got {raw_options!r}")
    options = {str(k): _file_option(str(k), v) for k, v in raw_options.items()}
    task = Task(str(task_type), payload, headers=data.get("headers") or None)
    return PeriodicTaskConfig(str(spec), task, options)


def as_config(item: PeriodicTaskConfig | Mapping[str, Any]) -> PeriodicTaskConfig:
    if isinstance(item, PeriodicTaskConfig):
        return item
    if isinstance(item, Mapping):
        return config_from_mapping(item)
    raise ValueError(f"provider returned {type(item).__name__}, not a PeriodicTaskConfig")


class FileConfigProvider:
    """Reads configs from a YAML or JSON file on every call (so edits are picked up)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def __call__(self) -> list[PeriodicTaskConfig]:
        text = self.path.read_text("utf-8")
        if self.path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
        if isinstance(data, Mapping):
            data = data.get("configs", [])
        if data is None:
            return []
        if not isinstance(data, list):
            raise ValueError(f"{self.path}: expected a list of configs or a 'configs' list")
        return [config_from_mapping(item) for item in data]

    def __repr__(self) -> str:
        return f"FileConfigProvider({str(self.path)!r})"


class PeriodicTaskManager:
    """Registers the provider's configs on a Scheduler and re-syncs them periodically.

    Pass ``scheduler`` to reuse one, or Scheduler keywords (``location``, hooks, ``clock``...)
    to have one built on ``redis``.
    """

    def __init__(
        self,
        redis: RedisTarget | Broker | Client = "redis://127.0.0.1:6379/0",
        *,
        provider: Provider | str | os.PathLike[str],
        sync_interval: float = DEFAULT_SYNC_INTERVAL,
        scheduler: Scheduler | None = None,
        logger: logging.Logger | None = None,
        **scheduler_options: Any,
    ) -> None:
        if sync_interval <= 0:
            raise ValueError("sync_interval must be positive")
        if isinstance(provider, str | os.PathLike):
            provider = FileConfigProvider(provider)
        if not callable(provider):
            raise TypeError("provider must be a callable or a file path")
        self.provider: Provider = provider
        self.sync_interval = float(sync_interval)
        self.logger = logger or logging.getLogger("pyasynq.periodic")
        self.scheduler = scheduler or Scheduler(redis, logger=logger, **scheduler_options)
        self._entries: dict[str, str] = {}  # config hash -> entry id
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def entry_ids(self) -> dict[str, str]:
        """Config hash -> scheduler entry ID of what is registered now."""
        with self._lock:
            return dict(self._entries)

    def sync(self) -> tuple[list[str], list[str]]:
        """Read the provider once and apply the difference; returns (added, removed) entry IDs.

        Raises when the provider fails or returns an invalid config; nothing changes then.
        """
        configs = [as_config(item) for item in self.provider()]
        for config in configs:
            config.validate()
        wanted = {config.hash(): config for config in configs}
        added, removed = [], []
        with self._lock:
            for digest in [d for d in self._entries if d not in wanted]:
                entry_id = self._entries.pop(digest)
                with contextlib.suppress(KeyError):  # already removed by hand
                    self.scheduler.unregister(entry_id)
                removed.append(entry_id)
            for digest, config in wanted.items():
                if digest in self._entries:
                    continue
                try:
                    entry_id = self.scheduler.register(
                        config.cronspec, config.task, **config.options
                    )
                except (ValueError, TypeError) as exc:
                    self.logger.error(
                        "cannot register periodic task %s (%s): %s",
                        config.task.type,
                        config.cronspec,
                        exc,
                    )
                    continue
                self._entries[digest] = entry_id
                added.append(entry_id)
        if added or removed:
            self.logger.info(
                "periodic tasks synced: %d added, %d removed", len(added), len(removed)
            )
        return added, removed

    def _sync_loop(self) -> None:
        while not self._stop.wait(self.sync_interval):
            try:
                self.sync()
            except Exception as exc:  # keep the current entries; try again next interval
                self.logger.error("periodic task sync failed: %s", exc)

    def _start_sync(self) -> None:
        self.sync()  # a broken initial config is an error the caller must see (as in Go)
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._sync_loop, name="pyasynq-periodic-sync", daemon=True
        )
        self._thread.start()

    def start(self) -> PeriodicTaskManager:
        """Initial sync, then run the scheduler and the re-sync loop in background threads."""
        self._start_sync()
        self.scheduler.start()
        return self

    def run(self) -> None:
        """Like ``start`` but blocks (signal-aware) until SIGTERM/SIGINT, then shuts down."""
        self._start_sync()
        try:
            self.scheduler.run()
        finally:
            self._stop_sync()

    def _stop_sync(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)
        self._thread = None

    def stop(self) -> None:
        self._stop.set()
        self.scheduler.stop()

    def shutdown(self) -> None:
        self._stop_sync()
        self.scheduler.shutdown()
